import { randomBytes } from 'node:crypto';

/**
 * UUIDv7 (RFC 9562): 48-bit Unix milliseconds, then random bits. Time-ordered, so the ids of a
 * trace sort by arrival and DuckDB's zone maps prune them well. Returned as the 128-bit integer
 * (for DuckDB's appender) and its canonical string (for clients).
 */
let lastMs = 0n;
let counter = 0n;

export function uuidv7(): { value: bigint; text: string } {
  let ms = BigInt(Date.now());
  // Monotonic within a millisecond: a 12-bit counter in rand_a, like RFC 9562 method 1.
  if (ms <= lastMs) {
    counter += 1n;
    if (counter > 0xfffn) {
      lastMs += 1n;
      counter = 0n;
    }
    ms = lastMs;
  } else {
    lastMs = ms;
    counter = 0n;
  }
  const rnd = randomBytes(8);
  const randB = rnd.readBigUInt64BE(0) & 0x3fffffffffffffffn;
  const value = (ms << 80n) | (0x7n << 76n) | (counter << 64n) | (0x2n << 62n) | randB;
  return { value, text: uuidText(value) };
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
