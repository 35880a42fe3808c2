import { describe, expect, it } from 'vitest';
import { fillUuidv7, parseUuid, setUuidWords, uuidText, uuidv7, uuidWordsText, uuidWordsValue } from '../../../daemon/store/ids';

describe('uuidv7', () => {
  it('is a version-7, RFC 4122-variant UUID whose text and value agree', () => {
    for (let i = 0; i < 5000; i++) {
      const { value, text } = uuidv7();
      expect(text).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(uuidText(value)).toBe(text);
      expect(parseUuid(text)).toBe(value);
    }
  });

  it('carries the current Unix time in milliseconds in its first 48 bits', () => {
    const before = Date.now();
    const { value } = uuidv7();
    const ms = Number(value >> 80n);
    expect(ms).toBeGreaterThanOrEqual(before);
    expect(ms).toBeLessThanOrEqual(Date.now() + 1);
  });

  it('is strictly increasing, even for many ids in the same millisecond', () => {
    let prev = uuidv7().value;
    for (let i = 0; i < 20_000; i++) {
      const { value } = uuidv7();
      expect(value > prev).toBe(true);
      prev = value;
    }
  });

  it('is unique across 100k ids', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 100_000; i++) seen.add(uuidv7().text);
    expect(seen.size).toBe(100_000);
  });

  it('rejects malformed UUID text', () => {
    expect(parseUuid('not-a-uuid')).toBeNull();
    expect(parseUuid('01a211f9-d788-7000-90f2-4dd22f74d54')).toBeNull();
  });
});

describe('batch ids (fillUuidv7)', () => {
  it('are valid UUIDv7 whose words, value and text agree, unique and increasing across batches and single ids', () => {
    const seen = new Set<string>();
    let prev = uuidv7().value;
    for (let b = 0; b < 200; b++) {
      const n = 1 + (b % 37) * 13;
      const words = new Uint32Array(n * 4);
      fillUuidv7(words, 0, n);
      for (let i = 0; i < n; i++) {
        const text = uuidWordsText(words, i);
        expect(text).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
        const value = uuidWordsValue(words, i);
        expect(parseUuid(text)).toBe(value);
        expect(uuidText(value)).toBe(text);
        expect(value > prev).toBe(true);
        prev = value;
        seen.add(text);
      }
      const single = uuidv7().value; // shares the (ms, counter) stamp: still after the batch
      expect(single > prev).toBe(true);
      prev = single;
    }
    expect(seen.size).toBe(Array.from({ length: 200 }, (_, b) => 1 + (b % 37) * 13).reduce((a, c) => a + c, 0));
  });

  it('carry the current time and are stored with the top bit flipped (DuckDB hugeint layout)', () => {
    const words = new Uint32Array(4);
    const before = Date.now();
    fillUuidv7(words, 0, 1);
    const v = uuidWordsValue(words, 0);
    expect(Number(v >> 80n)).toBeGreaterThanOrEqual(before);
    expect(Number(v >> 80n)).toBeLessThanOrEqual(Date.now() + 1);
    expect((words[3]! ^ 0x80000000) >>> 0).toBe(Number(v >> 96n));
  });

  it('setUuidWords stores any UUID exactly', () => {
    const words = new Uint32Array(8);
    for (const text of ['00000000-0000-0000-0000-000000000000', 'ffffffff-ffff-ffff-ffff-ffffffffffff', '0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b', '80000000-0000-4000-8000-000000000001']) {
      setUuidWords(words, 1, parseUuid(text)!);
      expect(uuidWordsText(words, 1)).toBe(text);
    }
  });
});
