/**
 * A tiny ONNX writer for tests: enough protobuf (ModelProto, GraphProto, NodeProto, TensorProto,
 * ValueInfoProto) to build small float models in TypeScript — no Python `onnx` needed. The
 * encoding follows onnx.proto (field numbers noted below); onnxruntime-node loads the result.
 */
import { writeFileSync } from 'node:fs';

const enum Wire { Varint = 0, Fixed32 = 5, Len = 2 }

export const DT = { FLOAT: 1, INT64: 7, STRING: 8, BOOL: 9, DOUBLE: 11 } as const;

class Buf {
  private parts: number[] = [];
  varint(v: number | bigint): this {
    let x = BigInt.asUintN(64, BigInt(v));
    do {
      let b = Number(x & 0x7fn);
      x >>= 7n;
      if (x) b |= 0x80;
      this.parts.push(b);
    } while (x);
    return this;
  }
  tag(field: number, wire: Wire): this { return this.varint((field << 3) | wire); }
  bytes(field: number, data: Uint8Array): this {
    this.tag(field, Wire.Len).varint(data.length);
    for (const b of data) this.parts.push(b);
    return this;
  }
  str(field: number, s: string): this { return this.bytes(field, new TextEncoder().encode(s)); }
  int(field: number, v: number | bigint): this { return this.tag(field, Wire.Varint).varint(v); }
  float(field: number, v: number): this {
    const b = Buffer.alloc(4);
    b.writeFloatLE(v);
    this.tag(field, Wire.Fixed32);
    for (const x of b) this.parts.push(x);
    return this;
  }
  done(): Uint8Array { return Uint8Array.from(this.parts); }
}

export interface TensorInit { name: string; type: 'float' | 'int64'; dims: number[]; values: number[] }
export interface NodeSpec { op: string; inputs: string[]; outputs: string[]; attrs?: Record<string, number | { ints: number[] } | { float: number }> }
export interface ValueSpec { name: string; type: keyof typeof DT; shape: (number | string)[] }

function tensor(t: TensorInit): Uint8Array {
  const b = new Buf();
  for (const d of t.dims) b.int(1, d); // dims
  b.int(2, t.type === 'float' ? DT.FLOAT : DT.INT64); // data_type
  if (t.type === 'float') {
    const raw = Buffer.alloc(4 * t.values.length);
    t.values.forEach((v, i) => raw.writeFloatLE(v, 4 * i));
    b.str(8, t.name).bytes(9, raw); // name, raw_data
  } else {
    const raw = Buffer.alloc(8 * t.values.length);
    t.values.forEach((v, i) => raw.writeBigInt64LE(BigInt(v), 8 * i));
    b.str(8, t.name).bytes(9, raw);
  }
  return b.done();
}

function valueInfo(v: ValueSpec): Uint8Array {
  const shape = new Buf();
  for (const d of v.shape) shape.bytes(1, (typeof d === 'number' ? new Buf().int(1, d) : new Buf().str(2, d)).done());
  const tensorType = new Buf().int(1, DT[v.type]).bytes(2, shape.done()).done();
  const type = new Buf().bytes(1, tensorType).done();
  return new Buf().str(1, v.name).bytes(2, type).done();
}

function node(n: NodeSpec, i: number): Uint8Array {
  const b = new Buf();
  for (const x of n.inputs) b.str(1, x);
  for (const x of n.outputs) b.str(2, x);
  b.str(3, `n${i}`).str(4, n.op);
  for (const [name, v] of Object.entries(n.attrs ?? {})) {
    const a = new Buf().str(1, name);
    if (typeof v === 'number') a.int(3, v).int(20, 2); // i, type INT
    else if ('ints' in v) { for (const x of v.ints) a.int(8, x); a.int(20, 7); } // ints, type INTS
    else a.float(2, v.float).int(20, 1); // f, type FLOAT
    b.bytes(5, a.done());
  }
  return b.done();
}

/** ONNX bytes of one graph (opset 13, IR 7). */
export function onnxModel(g: { name: string; inputs: ValueSpec[]; outputs: ValueSpec[]; initializers: TensorInit[]; nodes: NodeSpec[] }): Uint8Array {
  const graph = new Buf();
  g.nodes.forEach((n, i) => graph.bytes(1, node(n, i)));
  graph.str(2, g.name);
  for (const t of g.initializers) graph.bytes(5, tensor(t));
  for (const v of g.inputs) graph.bytes(11, valueInfo(v));
  for (const v of g.outputs) graph.bytes(12, valueInfo(v));
  const opset = new Buf().str(1, '').int(2, 13).done();
  return new Buf().int(1, 7).str(2, 'sightline-test').bytes(7, graph.done()).bytes(8, opset).done();
}

/**
 * A binary classifier over float inputs `features` (each [N,1]): z = Σ w_i·x_i + b, then
 * `probability` = `post(z)` (default sigmoid) as [N] and `label` = (probability ≥ 0.5) + classOffset (int64).
 * `post`: 'sigmoid' | 'identity' | 'div0' (z / 0: infinite outputs) | 'log' (ln z: NaN where z < 0).
 */
export function linearClassifier(o: { features: string[]; weights: number[]; bias: number; post?: 'sigmoid' | 'identity' | 'div0' | 'log'; classOffset?: number }): Uint8Array {
  const k = o.features.length;
  const nodes: NodeSpec[] = [
    { op: 'Concat', inputs: o.features, outputs: ['x'], attrs: { axis: 1 } },
    { op: 'MatMul', inputs: ['x', 'W'], outputs: ['xw'] },
    { op: 'Add', inputs: ['xw', 'B'], outputs: ['z'] },
  ];
  const post = o.post ?? 'sigmoid';
  if (post === 'sigmoid') nodes.push({ op: 'Sigmoid', inputs: ['z'], outputs: ['p2'] });
  else if (post === 'div0') nodes.push({ op: 'Div', inputs: ['z', 'zero'], outputs: ['p2'] });
  else if (post === 'log') nodes.push({ op: 'Log', inputs: ['z'], outputs: ['p2'] });
  else nodes.push({ op: 'Identity', inputs: ['z'], outputs: ['p2'] });
  nodes.push(
    { op: 'Squeeze', inputs: ['p2', 'axes'], outputs: ['probability'] },
    { op: 'GreaterOrEqual', inputs: ['probability', 'half'], outputs: ['ge'] },
    { op: 'Cast', inputs: ['ge'], outputs: ['cls'], attrs: { to: DT.INT64 } },
    { op: 'Add', inputs: ['cls', 'offset'], outputs: ['label'] },
  );
  return onnxModel({
    name: 'test_linear',
    inputs: o.features.map((name) => ({ name, type: 'FLOAT', shape: ['N', 1] })),
    outputs: [{ name: 'probability', type: 'FLOAT', shape: ['N'] }, { name: 'label', type: 'INT64', shape: ['N'] }],
    initializers: [
      { name: 'W', type: 'float', dims: [k, 1], values: o.weights },
      { name: 'B', type: 'float', dims: [1], values: [o.bias] },
      { name: 'half', type: 'float', dims: [], values: [0.5] },
      { name: 'axes', type: 'int64', dims: [1], values: [1] },
      { name: 'offset', type: 'int64', dims: [], values: [o.classOffset ?? 0] },
      ...(post === 'div0' ? [{ name: 'zero', type: 'float' as const, dims: [], values: [0] }] : []),
    ],
    nodes,
  });
}

/** Writes `<file>` and its model card `<file without .onnx>.sightline.json`. */
export function writeModel(file: string, bytes: Uint8Array, card: Record<string, unknown>): void {
  writeFileSync(file, bytes);
  writeFileSync(file.replace(/\.onnx$/, '.sightline.json'), JSON.stringify(card, null, 2) + '\n');
}

export function binaryCard(name: string, version: string, features: string[], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name, version, task: 'binary_classification',
    features: features.map((f) => ({ name: f, kind: 'numeric', dtype: 'float32' })),
    label: { name: 'y', positive: 1 }, outputs: { probability: 'probability', label: 'label' },
    threshold: 0.5, ...extra,
  };
}
