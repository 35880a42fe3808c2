import { createHash, createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { SightlineError } from '../../protocol';

/** Shorter keys can be brute-forced over small value sets (ages, zip codes); refuse them. */
export const MIN_KEY_BYTES = 16;
const BLOCK = 64;

/**
 * The secret of `--redact col=hash`: from `--hash-key-file F` (its bytes, a trailing newline
 * dropped) or `$SIGHTLINE_HASH_KEY`. Values are replaced by HMAC-SHA256(key, value) — never a
 * bare hash, which anyone can recompute over a guessable value set.
 */
export function loadHashKey(opts: { file?: string | undefined; env?: NodeJS.ProcessEnv }): Buffer {
  let key: Buffer;
  let from: string;
  if (opts.file) {
    try {
      key = readFileSync(opts.file);
    } catch (err) {
      throw new SightlineError('bad_file', `--hash-key-file ${opts.file}: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (key.length > 0 && key[key.length - 1] === 0x0a) key = key.subarray(0, key[key.length - 2] === 0x0d ? key.length - 2 : key.length - 1);
    from = `--hash-key-file ${opts.file}`;
  } else {
    const text = (opts.env ?? process.env).SIGHTLINE_HASH_KEY;
    if (!text) throw new SightlineError('invalid_request', '--redact col=hash needs a secret key: --hash-key-file FILE or $SIGHTLINE_HASH_KEY (e.g. `head -c 32 /dev/urandom | base64 > key`); keep it to hash later exports the same way');
    key = Buffer.from(text, 'utf8');
    from = '$SIGHTLINE_HASH_KEY';
  }
  if (key.length < MIN_KEY_BYTES) throw new SightlineError('invalid_request', `the hash key from ${from} has ${key.length} bytes; use at least ${MIN_KEY_BYTES} random bytes`);
  return key;
}

/** HMAC-SHA256(key, UTF-8 of value) as 64 lowercase hex characters. */
export function hmacHex(key: Buffer, value: string): string {
  return createHmac('sha256', key).update(value, 'utf8').digest('hex');
}

/** A public fingerprint of the key: equal ids mean two exports hash values the same way. */
export function keyId(key: Buffer): string {
  return hmacHex(key, 'sightline-key-id').slice(0, 16);
}

/**
 * The same HMAC in DuckDB SQL (RFC 2104 over its sha256 of BLOBs), as a TEMP macro so the key
 * material lives only in this connection's memory and is never written into a file:
 * HMAC(K, m) = H((K' ⊕ opad) ‖ H((K' ⊕ ipad) ‖ m)), K' = K (or H(K) when longer than 64 bytes)
 * zero-padded to 64 bytes. `sightline_hmac(v)` hashes the text of any value; NULL stays NULL.
 */
export function hmacMacroSql(key: Buffer, name = 'sightline_hmac'): string {
  const k = Buffer.alloc(BLOCK);
  (key.length > BLOCK ? createHash('sha256').update(key).digest() : key).copy(k);
  const ipad = Buffer.from(k.map((b) => b ^ 0x36)).toString('hex');
  const opad = Buffer.from(k.map((b) => b ^ 0x5c)).toString('hex');
  return `CREATE OR REPLACE TEMP MACRO ${name}(v) AS CASE WHEN v IS NULL THEN NULL ELSE sha256(unhex('${opad}') || unhex(sha256(unhex('${ipad}') || encode(CAST(v AS VARCHAR))))) END`;
}
