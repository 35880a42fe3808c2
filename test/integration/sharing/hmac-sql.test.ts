import { DuckDBInstance } from '@duckdb/node-api';
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { hmacHex, hmacMacroSql } from '../../../daemon/sharing/hash-key';
import { literal } from '../../../daemon/store/sql';

describe('HMAC-SHA256 in DuckDB SQL (the TEMP macro the export hashes with)', () => {
  it('equals node:crypto for short, block-sized and long keys, any text, and leaves NULL alone', async () => {
    const db = await DuckDBInstance.create(':memory:');
    const c = await db.connect();
    try {
      const values = ['passenger1@example.com', '', "o'brien", 'ünïcødé ✈', 'a\\x41b', 'F1477920', '10.0.0.1', 'x'.repeat(500)];
      for (const key of [randomBytes(16), randomBytes(64), randomBytes(65), randomBytes(200), Buffer.from('Jefe-but-longer-than-16')]) {
        await c.run(hmacMacroSql(key));
        const rows = (await c.runAndReadAll(`SELECT v, sightline_hmac(v) AS h FROM (SELECT unnest([${values.map(literal).join(', ')}]) AS v)`)).getRowObjectsJS();
        for (const r of rows) expect(r.h, `${key.length}-byte key, ${String(r.v)}`).toBe(hmacHex(key, String(r.v)));
        // Numbers hash as their text (as DuckDB prints them).
        const [n] = (await c.runAndReadAll(`SELECT sightline_hmac(42::INTEGER) AS i, sightline_hmac(NULL::VARCHAR) AS z`)).getRowObjectsJS();
        expect(n!.i).toBe(hmacHex(key, '42'));
        expect(n!.z).toBeNull();
      }
      // TEMP: nothing of it is in the database's catalog.
      expect((await c.runAndReadAll(`SELECT count(*)::INTEGER AS n FROM duckdb_functions() WHERE function_name = 'sightline_hmac' AND database_name <> 'temp'`)).getRowObjectsJS()[0]!.n).toBe(0);
    } finally {
      c.closeSync();
      db.closeSync();
    }
  });
});
