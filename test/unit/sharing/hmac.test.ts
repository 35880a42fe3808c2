import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { hmacHex, hmacMacroSql, keyId, loadHashKey } from '../../../daemon/sharing/hash-key';

describe('keyed hashing (HMAC-SHA256)', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sightline-hmac-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('matches RFC 4231 test case 2', () => {
    expect(hmacHex(Buffer.from('Jefe'), 'what do ya want for nothing?')).toBe('5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843');
  });

  it('is deterministic for a key and differs across keys (never a bare hash)', () => {
    const k1 = Buffer.from('0123456789abcdef0123456789abcdef');
    const k2 = Buffer.from('fedcba9876543210fedcba9876543210');
    expect(hmacHex(k1, 'passenger1@example.com')).toBe(hmacHex(Buffer.from(k1), 'passenger1@example.com'));
    expect(hmacHex(k1, 'passenger1@example.com')).not.toBe(hmacHex(k2, 'passenger1@example.com'));
    expect(hmacHex(k1, 'a')).not.toBe(hmacHex(k1, 'b'));
    expect(hmacHex(k1, 'x')).toMatch(/^[0-9a-f]{64}$/);
    expect(keyId(k1)).toBe(keyId(Buffer.from(k1)));
    expect(keyId(k1)).not.toBe(keyId(k2));
    expect(keyId(k1)).toHaveLength(16);
  });

  it('reads the key from a file (trailing newline dropped) or the environment, and refuses short or missing keys', () => {
    const file = path.join(dir, 'key');
    writeFileSync(file, 'a-secret-key-of-more-than-16-bytes\n');
    const fromFile = loadHashKey({ file });
    const fromEnv = loadHashKey({ env: { SIGHTLINE_HASH_KEY: 'a-secret-key-of-more-than-16-bytes' } });
    expect(fromFile.equals(fromEnv)).toBe(true);
    expect(() => loadHashKey({ env: { SIGHTLINE_HASH_KEY: 'short' } })).toThrow(/at least 16/);
    expect(() => loadHashKey({ env: {} })).toThrow(/--hash-key-file FILE or \$SIGHTLINE_HASH_KEY/);
    expect(() => loadHashKey({ file: path.join(dir, 'missing') })).toThrow(/--hash-key-file/);
  });

  it('builds a TEMP macro (never persisted) holding only the padded key blocks', () => {
    const key = Buffer.from('0123456789abcdef0123456789abcdef');
    const sql = hmacMacroSql(key);
    expect(sql.startsWith('CREATE OR REPLACE TEMP MACRO sightline_hmac(v)')).toBe(true);
    expect(sql).not.toContain(key.toString('hex'));
    expect(sql).not.toContain(key.toString('utf8'));
  });
});
