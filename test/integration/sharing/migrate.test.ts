import { DuckDBInstance } from '@duckdb/node-api';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createHash } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MigrateResult, TRACE_SCHEMA_VERSION } from '../../../protocol';
import { MIGRATIONS, upgradeSchema, type Migration } from '../../../daemon/store/migrations';
import { TraceStore } from '../../../daemon/store/trace-store';
import { runCli } from '../../helpers/daemon';
import { queryTrace } from '../../helpers/sample';
import { DATA_FINGERPRINT, writeV0Trace } from './v0-fixture';

const sha = (f: string): string => createHash('sha256').update(readFileSync(f)).digest('hex');

describe('trace schema versions: migrations, older and newer files', () => {
  let dir: string;
  let v0: string;
  let fingerprint: Record<string, unknown>;
  let n = 0;
  const copyOf = (f: string): string => {
    const c = path.join(dir, `copy-${++n}.duckdb`);
    copyFileSync(f, c);
    return c;
  };
  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'sightline-migrate-'));
    v0 = path.join(dir, 'v0.duckdb');
    await writeV0Trace(v0);
    fingerprint = (await queryTrace(v0, DATA_FINGERPRINT))[0]!;
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('a read-only open of a v0 file says to run `sightline migrate FILE`, and changes nothing', async () => {
    const f = copyOf(v0);
    const before = sha(f);
    const r = await runCli(['open', f]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`uses trace schema version 0; this Sightline reads it after an upgrade to version ${TRACE_SCHEMA_VERSION}`);
    expect(r.stderr).toContain(`Run \`sightline migrate ${f}\``);
    const d = await runCli(['diff', f, f]);
    expect(d.code).toBe(2);
    expect(d.stderr).toContain('sightline migrate');
    expect(sha(f)).toBe(before);
  });

  it('`sightline migrate` upgrades a v0 file to the current version with its data intact, keeping a backup', async () => {
    const f = copyOf(v0);
    const dry = MigrateResult.parse(JSON.parse((await runCli(['migrate', f, '--dry-run', '--json'])).stdout));
    expect(dry).toMatchObject({ from: 0, to: TRACE_SCHEMA_VERSION, migrated: false, backup: null });
    expect(dry.steps).toEqual([{ from: 0, to: 1, description: MIGRATIONS[0]!.description }]);

    const r = await runCli(['migrate', f, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const res = MigrateResult.parse(JSON.parse(r.stdout));
    expect(res).toMatchObject({ from: 0, to: 1, migrated: true, backup: `${f}.v0.bak` });
    expect((await queryTrace<{ value: string }>(res.backup!, `SELECT value FROM meta WHERE key = 'schema_version'`))[0]!.value).toBe('0');

    expect((await queryTrace(f, DATA_FINGERPRINT))[0]).toEqual(fingerprint);
    const meta = Object.fromEntries((await queryTrace<{ key: string; value: string }>(f, 'SELECT key, value FROM meta')).map((m) => [m.key, m.value]));
    expect(meta.schema_version).toBe('1');
    expect(meta.created).toBe('2025-01-15T10:00:00Z');
    expect(meta.migrated).toMatch(/^0->1 /);
    expect(await queryTrace(f, 'SELECT name, table_name FROM baselines')).toEqual([{ name: 'train-v0', table_name: 'baseline__train-v0' }]);
    const tables = (await queryTrace<{ t: string }>(f, `SELECT table_name AS t FROM information_schema.tables ORDER BY 1`)).map((x) => x.t);
    for (const t of ['components', 'component_runs', 'artifacts', 'run_io', 'flags']) expect(tables).toContain(t);

    // Now it opens read-only like any trace, and every reader works on it.
    const open = await runCli(['open', f, '--json']);
    expect(open.code, open.stderr).toBe(0);
    expect(JSON.parse(open.stdout)).toMatchObject({ schemaVersion: 1, totals: { predictions: 500, labels: 500, featureColumns: 3 } });
    expect((await runCli(['export', f, '--out', path.join(dir, 'from-v0.duckdb'), '--limit', '50'])).code).toBe(0);
    const again = await runCli(['migrate', f]);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('nothing to do');
  });

  it('a writable open (any writing command) upgrades an older file by itself', async () => {
    const f = copyOf(v0);
    const r = await runCli(['prune', f, '--before', '1990-01-01']);
    expect(r.code, r.stderr).toBe(0);
    expect((await queryTrace<{ value: string }>(f, `SELECT value FROM meta WHERE key = 'schema_version'`))[0]!.value).toBe('1');
    expect((await queryTrace(f, DATA_FINGERPRINT))[0]).toEqual(fingerprint);
  });

  it('a migration that fails half-way leaves the file exactly as it was (one transaction)', async () => {
    const f = copyOf(v0);
    const failing: Migration[] = [{ ...MIGRATIONS[0]!, steps: [...MIGRATIONS[0]!.steps, async (c) => { await c.run('SELECT * FROM no_such_table'); }] }];
    const db = await DuckDBInstance.create(f);
    const conn = await db.connect();
    try {
      await expect(upgradeSchema(conn, 0, 1, failing)).rejects.toThrow(/from schema version 0 to 1 failed; the file is unchanged/);
    } finally {
      conn.closeSync();
      db.closeSync();
    }
    expect((await queryTrace<{ value: string }>(f, `SELECT value FROM meta WHERE key = 'schema_version'`))[0]!.value).toBe('0');
    expect(await queryTrace(f, `SELECT column_name FROM information_schema.columns WHERE table_name = 'baselines' AND column_name = 'table_name'`)).toEqual([]);
    expect(await queryTrace(f, `SELECT table_name FROM information_schema.tables WHERE table_name = 'component_runs'`)).toEqual([]);
    expect((await queryTrace(f, DATA_FINGERPRINT))[0]).toEqual(fingerprint);
  });

  it('a file newer than this Sightline gets a clear error naming the version it needs, from every reader and writer', async () => {
    const f = path.join(dir, 'future.duckdb');
    const store = await TraceStore.open(f);
    await store.conn.run(`UPDATE meta SET value = '${TRACE_SCHEMA_VERSION + 1}' WHERE key = 'schema_version'`);
    store.close();
    const message = `uses trace schema version ${TRACE_SCHEMA_VERSION + 1}, but this Sightline reads up to version ${TRACE_SCHEMA_VERSION}. Upgrade Sightline to open it.`;
    for (const args of [['open', f], ['diff', f, f], ['migrate', f], ['export', f, '--out', path.join(dir, 'x.duckdb')], ['prune', f, '--older-than', '1d']]) {
      const r = await runCli(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toContain(message);
      expect(r.stderr).toContain('[schema_too_new]');
    }
    await expect(TraceStore.open(f)).rejects.toMatchObject({ code: 'schema_too_new' });
    await expect(TraceStore.open(f, { readOnly: true })).rejects.toMatchObject({ code: 'schema_too_new' });
    expect(existsSync(path.join(dir, 'x.duckdb'))).toBe(false);
  });
});
