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

export function uuidv7(): { value: bigint; text: string } {
  let ms = Date.now();
  // Monotonic within a millisecond (RFC 9562 method 1): bump the counter, borrow the next ms on overflow.
  if (ms <= lastMs) {
    counter++;
    if (counter > 0xfff) {
      lastMs++;
      counter = 0;
      msHex = '';
    }
    ms = lastMs;
  } else {
    lastMs = ms;
    counter = 0;
    msHex = '';
  }
  if (msHex === '') msHex = ms.toString(16).padStart(12, '0');
  if (poolPos >= pool.length) {
    randomFillSync(pool);
    poolPos = 0;
  }
  const p = poolPos;
  poolPos += 8;
  const variant = HEX[(pool[p]! & 0x3f) | 0x80]!;
  const rest = HEX[pool[p + 1]!]! + HEX[pool[p + 2]!]! + HEX[pool[p + 3]!]! + HEX[pool[p + 4]!]! + HEX[pool[p + 5]!]! + HEX[pool[p + 6]!]! + HEX[pool[p + 7]!]!;
  const ver = (0x7000 | counter).toString(16);
  const text = `${msHex.slice(0, 8)}-${msHex.slice(8)}-${ver}-${variant}${rest.slice(0, 2)}-${rest.slice(2)}`;
  const value = BigInt(`0x${msHex}${ver}${variant}${rest}`);
  return { value, text };
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
