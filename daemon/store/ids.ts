import { randomFillSync } from 'node:crypto';

/**
 * UUIDv7 (RFC 9562): 48-bit Unix milliseconds, a 12-bit counter, then random bits. Time-ordered,
 * so the ids of a trace sort by arrival and DuckDB's zone maps prune them well. Returned as the
 * 128-bit integer (for DuckDB's appender) and its canonical string (for clients).
 *
 * Ids are minted on the logging hot path, so randomness comes from a pooled buffer (one
 * `randomFillSync` per 2048 ids) and the text is built from a byte→hex table.
 */
const HEX: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
const pool = Buffer.alloc(8 * 2048);
let poolPos = pool.length;

let lastMs = 0;
let counter = 0;
let msHex = '';

/** The next (millisecond, counter) stamp: monotonic within a millisecond (RFC 9562 method 1), borrowing the next ms on overflow. */
function nextStamp(): number {
  const ms = Date.now();
  if (ms <= lastMs) {
    counter++;
    if (counter > 0xfff) {
      lastMs++;
      counter = 0;
      msHex = '';
    }
  } else {
    lastMs = ms;
    counter = 0;
    msHex = '';
  }
  return lastMs;
}

/** Offset of 8 fresh random bytes in `pool`. */
function randomBytes8(): number {
  if (poolPos >= pool.length) {
    randomFillSync(pool);
    poolPos = 0;
  }
  const p = poolPos;
  poolPos += 8;
  return p;
}

export function uuidv7(): { value: bigint; text: string } {
  const ms = nextStamp();
  if (msHex === '') msHex = ms.toString(16).padStart(12, '0');
  const p = randomBytes8();
  const variant = HEX[(pool[p]! & 0x3f) | 0x80]!;
  const rest = HEX[pool[p + 1]!]! + HEX[pool[p + 2]!]! + HEX[pool[p + 3]!]! + HEX[pool[p + 4]!]! + HEX[pool[p + 5]!]! + HEX[pool[p + 6]!]! + HEX[pool[p + 7]!]!;
  const ver = (0x7000 | counter).toString(16);
  const text = `${msHex.slice(0, 8)}-${msHex.slice(8)}-${ver}-${variant}${rest.slice(0, 2)}-${rest.slice(2)}`;
  const value = BigInt(`0x${msHex}${ver}${variant}${rest}`);
  return { value, text };
}

/**
 * Ids of a batch, written straight into `out` (4 uint32 words per row from `row`) in DuckDB's
 * storage layout of a UUID: the 128-bit value as a little-endian hugeint whose top bit is flipped
 * (so that signed comparison sorts UUIDs as unsigned). No BigInt, no string per id.
 *
 * Every id is a valid UUIDv7 (RFC 9562): 48-bit Unix ms, version 7, a 12-bit counter (`rand_a`,
 * method 1), the variant, then 62 bits of `rand_b` = 42 random bits drawn once per block of 2^20
 * rows and a 20-bit row index (method 2, a counter in the random part). A block takes its own
 * (ms, counter) stamp, so ids are unique within the process and strictly increasing, across
 * batches and with `uuidv7()`, which shares the stamp.
 */
export function fillUuidv7(out: Uint32Array, row: number, count: number): void {
  for (let start = 0; start < count; start += ID_BLOCK) {
    const n = Math.min(ID_BLOCK, count - start);
    const ms = nextStamp();
    const p = randomBytes8();
    const hi = Math.floor(ms / 0x10000) >>> 0; // top 32 bits of the 48-bit ms
    const mid = ((((ms % 0x10000) << 16) | 0x7000 | counter) >>> 0);
    const r1 = ((0x80000000 | ((pool[p]! & 0x3f) << 24) | (pool[p + 1]! << 16) | (pool[p + 2]! << 8) | pool[p + 3]!) >>> 0);
    const r0 = ((pool[p + 4]! << 24) | ((pool[p + 5]! & 0xf0) << 16)) >>> 0; // bits 31..20; the row index fills 19..0
    for (let i = 0; i < n; i++) {
      const o = (row + start + i) * 4;
      out[o] = (r0 | i) >>> 0;
      out[o + 1] = r1;
      out[o + 2] = mid;
      out[o + 3] = (hi ^ 0x80000000) >>> 0;
    }
  }
}

/** Rows per (ms, counter) stamp in `fillUuidv7`: the row index takes the low 20 bits of `rand_b`. */
const ID_BLOCK = 1 << 20;

/** Writes a UUID value into `out` at `row`, in DuckDB's storage layout (see `fillUuidv7`). */
export function setUuidWords(out: Uint32Array, row: number, value: bigint): void {
  const o = row * 4;
  out[o] = Number(value & 0xffffffffn);
  out[o + 1] = Number((value >> 32n) & 0xffffffffn);
  out[o + 2] = Number((value >> 64n) & 0xffffffffn);
  out[o + 3] = (Number((value >> 96n) & 0xffffffffn) ^ 0x80000000) >>> 0;
}

/** The canonical text of the UUID at `row` of `words` (DuckDB's storage layout). */
export function uuidWordsText(words: Uint32Array, row: number): string {
  const o = row * 4;
  const a = (words[o + 3]! ^ 0x80000000) >>> 0;
  const b = words[o + 2]!;
  const c = words[o + 1]!;
  const d = words[o]!;
  return `${hex8(a)}-${HEX[b >>> 24]}${HEX[(b >>> 16) & 0xff]}-${HEX[(b >>> 8) & 0xff]}${HEX[b & 0xff]}-${HEX[c >>> 24]}${HEX[(c >>> 16) & 0xff]}-${HEX[(c >>> 8) & 0xff]}${HEX[c & 0xff]}${hex8(d)}`;
}

/** The UUID at `row` of `words` as its 128-bit value. */
export function uuidWordsValue(words: Uint32Array, row: number): bigint {
  const o = row * 4;
  return (BigInt((words[o + 3]! ^ 0x80000000) >>> 0) << 96n) | (BigInt(words[o + 2]!) << 64n) | (BigInt(words[o + 1]!) << 32n) | BigInt(words[o]!);
}

function hex8(w: number): string {
  return HEX[w >>> 24]! + HEX[(w >>> 16) & 0xff]! + HEX[(w >>> 8) & 0xff]! + HEX[w & 0xff]!;
}

export function uuidText(value: bigint): string {
  const h = value.toString(16).padStart(32, '0');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export function parseUuid(text: string): bigint | null {
  const hex = text.replace(/-/g, '');
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) return null;
  return BigInt(`0x${hex}`);
}
