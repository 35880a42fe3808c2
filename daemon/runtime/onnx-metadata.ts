import { SightlineError } from '../../protocol';

/**
 * Reads the top-level fields of an ONNX ModelProto that onnxruntime-node does not expose:
 * `metadata_props` (field 14, repeated StringStringEntryProto{key=1,value=2}), producer
 * (2, 3), model_version (5) and doc_string (6). It walks only the top level of the protobuf
 * wire format, skipping the (large) graph without decoding it.
 */
export interface OnnxMetadata {
  producerName?: string;
  producerVersion?: string;
  modelVersion?: number;
  docString?: string;
  props: Record<string, string>;
}

const WIRE_VARINT = 0;
const WIRE_I64 = 1;
const WIRE_LEN = 2;
const WIRE_I32 = 5;

export function readOnnxMetadata(buf: Uint8Array): OnnxMetadata {
  const out: OnnxMetadata = { props: {} };
  const dec = new TextDecoder('utf-8', { fatal: false });
  let pos = 0;
  let sawGraph = false;
  while (pos < buf.length) {
    const [tag, p1] = varint(buf, pos);
    pos = p1;
    const field = Number(tag >> 3n);
    const wire = Number(tag & 7n);
    if (field === 0) throw bad('field number 0');
    if (wire === WIRE_VARINT) {
      const [v, p2] = varint(buf, pos);
      pos = p2;
      if (field === 5) out.modelVersion = Number(v);
    } else if (wire === WIRE_LEN) {
      const [len, p2] = varint(buf, pos);
      const end = p2 + Number(len);
      if (end > buf.length) throw bad('a field runs past the end of the file (truncated?)');
      const body = buf.subarray(p2, end);
      if (field === 2) out.producerName = dec.decode(body);
      else if (field === 3) out.producerVersion = dec.decode(body);
      else if (field === 6) out.docString = dec.decode(body);
      else if (field === 7) sawGraph = true;
      else if (field === 14) {
        const entry = readEntry(body, dec);
        if (entry) out.props[entry[0]] = entry[1];
      }
      pos = end;
    } else if (wire === WIRE_I64) {
      pos += 8;
    } else if (wire === WIRE_I32) {
      pos += 4;
    } else {
      throw bad(`unsupported wire type ${wire}`);
    }
  }
  if (pos !== buf.length) throw bad('trailing bytes');
  if (!sawGraph) throw bad('no graph');
  return out;
}

function readEntry(body: Uint8Array, dec: TextDecoder): [string, string] | null {
  let pos = 0;
  let k: string | null = null;
  let v = '';
  while (pos < body.length) {
    const [tag, p1] = varint(body, pos);
    const field = Number(tag >> 3n);
    const wire = Number(tag & 7n);
    if (wire !== WIRE_LEN) return null;
    const [len, p2] = varint(body, p1);
    const end = p2 + Number(len);
    if (end > body.length) return null;
    const s = dec.decode(body.subarray(p2, end));
    if (field === 1) k = s;
    else if (field === 2) v = s;
    pos = end;
  }
  return k === null ? null : [k, v];
}

function varint(buf: Uint8Array, start: number): [bigint, number] {
  let result = 0n;
  let shift = 0n;
  let pos = start;
  for (;;) {
    if (pos >= buf.length) throw bad('truncated varint');
    const b = buf[pos++] as number;
    result |= BigInt(b & 0x7f) << shift;
    if ((b & 0x80) === 0) return [result, pos];
    shift += 7n;
    if (shift > 63n) throw bad('varint too long');
  }
}

function bad(why: string): SightlineError {
  return new SightlineError('model_load_failed', `not a valid ONNX model file: ${why}`);
}
