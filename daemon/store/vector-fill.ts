// The raw bindings are what @duckdb/node-api itself is built on (it pins this exact version); the
// vector-level calls used here (copy into a vector, assign one string) have no wrapper that avoids
// a boxed value or an N-API call per cell.
import duckdb from '@duckdb/node-bindings';
import { endianness } from 'node:os';
import { DuckDBDataChunk, DuckDBTypeId, type DuckDBAppender, type DuckDBType } from '@duckdb/node-api';
import type { BatchColumn, PredictionBatch } from './prediction-batch';

/** Rows per DuckDB data chunk (DuckDB's STANDARD_VECTOR_SIZE). */
export const CHUNK_ROWS = 2048;

type Fill = 'uuid' | 'time' | 'double' | 'float' | 'text';

/**
 * Fills DuckDB data chunks of `predictions` straight from `PredictionBatch`es and hands them to an
 * appender. Every column is written with one memory copy into its vector (typed arrays for
 * numbers, UUIDs and times; DuckDB's 16-byte `string_t` records for text), plus the validity mask
 * when the column has NULLs: a few N-API calls per column per 2048 rows, none per cell.
 *
 * Text: the distinct consecutive strings of a column (a per-request value is one string for the
 * whole request) are each turned into a `string_t` once. Strings of ≤ 12 bytes are inlined in
 * their `string_t` as DuckDB does; the others are UTF-8-encoded together into one buffer, which
 * is assigned once as one string of the vector (DuckDB copies it into the vector's string heap,
 * which lives until the chunk is reset, after the append), and each long value's `string_t`
 * points into that copy.
 * DuckDB validates the UTF-8 of every string it appends ("Invalid unicode … in segment statistics"),
 * so a mistake here fails the commit instead of storing garbage.
 *
 * One instance per table layout; its chunk and scratch arrays are reused by every flush.
 */
export class PredictionChunkFiller {
  private readonly chunk: DuckDBDataChunk;
  private readonly fills: Fill[];
  private readonly f64 = new Float64Array(CHUNK_ROWS);
  private readonly f32 = new Float32Array(CHUNK_ROWS);
  private readonly i64 = new BigInt64Array(CHUNK_ROWS);
  /** UUIDs or string_t records: 4 uint32 words per row. */
  private readonly words = new Uint32Array(CHUNK_ROWS * 4);
  private readonly validityBuffer = new ArrayBuffer(CHUNK_ROWS / 8);
  private readonly validity = new Uint32Array(this.validityBuffer);
  /** Per row of a text column: index of its string in `pieces`, or -1 for NULL. */
  private readonly pieceOfRow = new Int32Array(CHUNK_ROWS);
  private readonly pieces: string[] = [];
  /** Pieces of a column that need UTF-8 encoding (long or not ASCII). */
  private readonly encode: number[] = [];
  private pieceWords = new Uint32Array(CHUNK_ROWS * 4);
  private pieceBytes = new Int32Array(CHUNK_ROWS);
  private pieceOffsets = new Int32Array(CHUNK_ROWS);
  /** UTF-8 of a column's strings; its own ArrayBuffer (offset 0), grown on demand. */
  private text = Buffer.from(new ArrayBuffer(64 * 1024));
  /** Batches and their row ranges in the chunk being filled. */
  private readonly segBatch: PredictionBatch[] = [];
  private readonly segFrom: number[] = [];
  private readonly segTo: number[] = [];
  private readonly segCols: (BatchColumn | undefined)[] = [];

  constructor(
    readonly columns: readonly string[],
    readonly types: readonly DuckDBType[],
  ) {
    // duckdb_string_t, UUIDs and validity words are written as little-endian words (x64, arm64).
    if (endianness() !== 'LE') throw new Error('the prediction writer needs a little-endian machine');
    this.fills = columns.map((name, i) => fillOf(name, types[i]!));
    this.chunk = DuckDBDataChunk.create([...types]);
  }

  /** Appends every row of `batches` (in order) through `appender`. */
  append(appender: DuckDBAppender, batches: readonly PredictionBatch[]): void {
    let b = 0;
    let from = 0;
    while (b < batches.length) {
      // Gather up to CHUNK_ROWS rows, from batch b at row `from` on.
      let n = 0;
      this.segBatch.length = 0;
      this.segFrom.length = 0;
      this.segTo.length = 0;
      while (b < batches.length && n < CHUNK_ROWS) {
        const batch = batches[b]!;
        const take = Math.min(batch.rows - from, CHUNK_ROWS - n);
        if (take > 0) {
          this.segBatch.push(batch);
          this.segFrom.push(from);
          this.segTo.push(from + take);
          n += take;
          from += take;
        }
        if (from >= batch.rows) {
          b++;
          from = 0;
        }
      }
      if (n === 0) break;
      this.fillChunk(n);
      appender.appendDataChunk(this.chunk);
    }
  }

  private fillChunk(n: number): void {
    const raw = this.chunk.chunk;
    duckdb.data_chunk_reset(raw);
    duckdb.data_chunk_set_size(raw, n);
    for (let c = 0; c < this.columns.length; c++) {
      const vector = duckdb.data_chunk_get_vector(raw, c);
      const name = this.columns[c]!;
      const cols = this.segCols;
      cols.length = this.segBatch.length;
      for (let s = 0; s < cols.length; s++) cols[s] = this.segBatch[s]!.columns.get(name);
      switch (this.fills[c]!) {
        case 'uuid': this.fillIds(vector, n); break;
        case 'time': this.fillTimes(vector, n); break;
        case 'double': this.fillNumbers(vector, n, this.f64, 8); break;
        case 'float': this.fillNumbers(vector, n, this.f32, 4); break;
        case 'text': this.fillText(vector, n); break;
      }
    }
  }

  private fillIds(vector: duckdb.Vector, n: number): void {
    const out = this.words;
    let r = 0;
    for (let s = 0; s < this.segBatch.length; s++) {
      const ids = this.segBatch[s]!.ids;
      for (let i = this.segFrom[s]! * 4, end = this.segTo[s]! * 4; i < end; i++) out[r++] = ids[i]!;
    }
    duckdb.copy_data_to_vector(vector, 0, out.buffer, 0, n * 16);
  }

  private fillTimes(vector: duckdb.Vector, n: number): void {
    const out = this.i64;
    let r = 0;
    for (let s = 0; s < this.segBatch.length; s++) {
      const batch = this.segBatch[s]!;
      const from = this.segFrom[s]!;
      const to = this.segTo[s]!;
      if (typeof batch.time === 'bigint') {
        out.fill(batch.time, r, r + to - from);
        r += to - from;
      } else {
        for (let i = from; i < to; i++) out[r++] = batch.time[i]!;
      }
    }
    duckdb.copy_data_to_vector(vector, 0, out.buffer, 0, n * 8);
  }

  private fillNumbers(vector: duckdb.Vector, n: number, out: Float64Array | Float32Array, width: number): void {
    const validity = this.validity;
    let hasNull = false;
    let r = 0;
    for (let s = 0; s < this.segBatch.length; s++) {
      const col = this.segCols[s];
      const from = this.segFrom[s]!;
      const to = this.segTo[s]!;
      if (col === undefined || (col.kind === 'const' && col.value === null)) {
        if (!hasNull) validity.fill(0xffffffff);
        hasNull = true;
        for (let i = from; i < to; i++, r++) validity[r >>> 5]! &= ~(1 << (r & 31));
      } else if (col.kind === 'const') {
        const v = col.value!;
        out.fill(typeof v === 'number' ? v : Number(v), r, r + to - from);
        r += to - from;
      } else {
        const values = col.values;
        for (let i = from; i < to; i++, r++) {
          const v = values[i];
          if (typeof v === 'number') out[r] = v;
          else if (v === null || v === undefined) {
            if (!hasNull) validity.fill(0xffffffff);
            hasNull = true;
            validity[r >>> 5]! &= ~(1 << (r & 31));
          } else out[r] = Number(v);
        }
      }
    }
    duckdb.copy_data_to_vector(vector, 0, out.buffer as ArrayBuffer, 0, n * width);
    if (hasNull) this.copyValidity(vector, n);
  }

  private copyValidity(vector: duckdb.Vector, n: number): void {
    duckdb.vector_ensure_validity_writable(vector);
    duckdb.copy_data_to_vector_validity(vector, 0, this.validityBuffer, 0, Math.ceil(n / 64) * 8);
  }

  private fillText(vector: duckdb.Vector, n: number): void {
    // 1. Which string each row holds: consecutive repeats share one piece.
    const pieces = this.pieces;
    pieces.length = 0;
    const pieceOfRow = this.pieceOfRow;
    let last: string | null = null;
    let r = 0;
    for (let s = 0; s < this.segBatch.length; s++) {
      const col = this.segCols[s];
      const from = this.segFrom[s]!;
      const to = this.segTo[s]!;
      if (col === undefined || (col.kind === 'const' && col.value === null)) {
        pieceOfRow.fill(-1, r, r + to - from);
        r += to - from;
      } else if (col.kind === 'const') {
        const str = typeof col.value === 'string' ? col.value : String(col.value);
        if (str !== last) {
          pieces.push(str);
          last = str;
        }
        pieceOfRow.fill(pieces.length - 1, r, r + to - from);
        r += to - from;
      } else {
        const values = col.values;
        for (let i = from; i < to; i++, r++) {
          const v = values[i];
          if (v === null || v === undefined) {
            pieceOfRow[r] = -1;
            continue;
          }
          const str = typeof v === 'string' ? v : String(v);
          if (str !== last) {
            pieces.push(str);
            last = str;
          }
          pieceOfRow[r] = pieces.length - 1;
        }
      }
    }
    const count = pieces.length;
    if (count === 0) {
      // Every row NULL (a column this request does not log): a zeroed validity mask, zeroed records.
      this.validity.fill(0);
      this.words.fill(0, 0, n * 4);
      duckdb.copy_data_to_vector(vector, 0, this.words.buffer, 0, n * 16);
      this.copyValidity(vector, n);
      return;
    }
    // 2. The 16-byte string_t of each piece. Short ASCII pieces are inlined straight from their
    //    characters; the others (longer than 12 characters, or not ASCII) are UTF-8-encoded
    //    together, once, into `text`.
    if (count > this.pieceBytes.length) this.growPieces(count);
    const pw = this.pieceWords;
    const bytes = this.pieceBytes;
    const offsets = this.pieceOffsets;
    const encode = this.encode;
    encode.length = 0;
    for (let p = 0; p < count; p++) {
      const str = pieces[p]!;
      const len = str.length;
      if (len <= 12 && inlineAscii(str, pw, p * 4)) continue;
      encode.push(p);
    }
    if (encode.length > 0) {
      const joined = encode.length === 1 ? pieces[encode[0]!]! : encode.map((p) => pieces[p]!).join('');
      if (this.text.length < joined.length * 3) this.text = Buffer.from(new ArrayBuffer(Math.max(joined.length * 3, this.text.length * 2)));
      const text = this.text;
      const total = text.write(joined, 0, 'utf8');
      const ascii = total === joined.length;
      let off = 0;
      let anyLong = false;
      for (const p of encode) {
        const len = ascii ? pieces[p]!.length : Buffer.byteLength(pieces[p]!, 'utf8');
        bytes[p] = len;
        offsets[p] = off;
        off += len;
        if (len > 12) anyLong = true;
      }
      let ptrLo = 0;
      let ptrHi = 0;
      if (anyLong) {
        // One string holding every encoded piece (longer than 12 bytes, so stored out of line).
        duckdb.vector_assign_string_element_len(vector, 0, text.subarray(0, total));
        const rec = duckdb.vector_get_data(vector, 16);
        if ((rec[0]! | (rec[1]! << 8) | (rec[2]! << 16) | (rec[3]! << 24)) >>> 0 !== total) {
          throw new Error(`DuckDB stored a ${total}-byte string with another length; not appending`);
        }
        ptrLo = (rec[8]! | (rec[9]! << 8) | (rec[10]! << 16) | (rec[11]! << 24)) >>> 0;
        ptrHi = (rec[12]! | (rec[13]! << 8) | (rec[14]! << 16) | (rec[15]! << 24)) >>> 0;
      }
      for (const p of encode) {
        const len = bytes[p]!;
        const o = offsets[p]!;
        const w = p * 4;
        pw[w] = len;
        if (len <= 12) {
          // Inlined: the bytes, zero-padded (DuckDB compares inlined strings word by word).
          pw[w + 1] = 0;
          pw[w + 2] = 0;
          pw[w + 3] = 0;
          for (let k = 0; k < len; k++) pw[w + 1 + (k >>> 2)]! |= text[o + k]! << ((k & 3) * 8);
        } else {
          pw[w + 1] = (text[o]! | (text[o + 1]! << 8) | (text[o + 2]! << 16) | (text[o + 3]! << 24)) >>> 0;
          const lo = ptrLo + o;
          pw[w + 2] = lo >>> 0;
          pw[w + 3] = (ptrHi + (lo > 0xffffffff ? 1 : 0)) >>> 0;
        }
      }
    }
    // 3. Each row's record.
    const out = this.words;
    const validity = this.validity;
    let hasNull = false;
    for (let i = 0; i < n; i++) {
      const p = pieceOfRow[i]!;
      const o = i * 4;
      if (p < 0) {
        if (!hasNull) validity.fill(0xffffffff);
        hasNull = true;
        validity[i >>> 5]! &= ~(1 << (i & 31));
        out[o] = 0;
        out[o + 1] = 0;
        out[o + 2] = 0;
        out[o + 3] = 0;
      } else {
        const w = p * 4;
        out[o] = pw[w]!;
        out[o + 1] = pw[w + 1]!;
        out[o + 2] = pw[w + 2]!;
        out[o + 3] = pw[w + 3]!;
      }
    }
    duckdb.copy_data_to_vector(vector, 0, out.buffer, 0, n * 16);
    if (hasNull) this.copyValidity(vector, n);
  }

  private growPieces(count: number): void {
    this.pieceWords = new Uint32Array(count * 4);
    this.pieceBytes = new Int32Array(count);
    this.pieceOffsets = new Int32Array(count);
  }
}

/**
 * Writes the inlined string_t of `str` (≤ 12 characters) at word `w` of `out` when it is ASCII
 * (one byte per character); false, leaving it to the UTF-8 encoder, when it is not.
 */
function inlineAscii(str: string, out: Uint32Array, w: number): boolean {
  const len = str.length;
  let a = 0;
  let b = 0;
  let c = 0;
  for (let k = 0; k < len; k++) {
    const code = str.charCodeAt(k);
    if (code > 0x7f) return false;
    if (k < 4) a |= code << (k * 8);
    else if (k < 8) b |= code << ((k - 4) * 8);
    else c |= code << ((k - 8) * 8);
  }
  out[w] = len;
  out[w + 1] = a >>> 0;
  out[w + 2] = b >>> 0;
  out[w + 3] = c >>> 0;
  return true;
}

function fillOf(name: string, type: DuckDBType): Fill {
  if (name === 'id' && type.typeId === DuckDBTypeId.UUID) return 'uuid';
  if (name === 'time' && type.typeId === DuckDBTypeId.TIMESTAMP_TZ) return 'time';
  switch (type.typeId) {
    case DuckDBTypeId.DOUBLE: return 'double';
    case DuckDBTypeId.FLOAT: return 'float';
    case DuckDBTypeId.VARCHAR: return 'text'; // JSON is VARCHAR with an alias
    default:
      throw new Error(`predictions column ${JSON.stringify(name)} has type ${String(type)}, which the prediction writer cannot fill (expected id UUID, time TIMESTAMPTZ, and DOUBLE, FLOAT or VARCHAR columns)`);
  }
}
