import { describe, expect, it } from 'vitest';
import { parseUuid, uuidText, uuidv7 } from '../../../daemon/store/ids';

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
