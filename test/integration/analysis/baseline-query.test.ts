/**
 * `baseline add NAME --query "SQL"`: the rows of one SELECT, materialised exactly as the same
 * data given as a FILE (same rows, same column types, same stored profile), for Parquet and CSV
 * sources; queries that fail, hold more than one statement, are not a SELECT, return no rows or
 * no profilable column are refused with `invalid_request` at `query` and leave nothing behind —
 * not even when replacing an existing baseline, which stays as it was. Then the CLI, in-process
 * and through a daemon that holds the trace (relative paths read from the CLI's folder).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SightlineError } from '../../../protocol';
import { addBaseline, getBaseline, type BaselineInfo } from '../../../daemon/baselines/baseline-store';
import { literal } from '../../../daemon/store/sql';
import { TraceStore } from '../../../daemon/store/trace-store';
import { CLI, startDaemon } from '../../helpers/daemon';

let dir: string;
let store: TraceStore;
const file = (name: string): string => path.join(dir, name);

/** 400 rows over months 1..4: integers, doubles with NULLs, text, booleans, dates (copied, not profiled). */
const TRAIN = `SELECT i AS id, 1 + i % 4 AS month, CASE WHEN i % 17 = 0 THEN NULL ELSE (i * 7919 % 1000) / 10.0 END AS distance,
  (['ORD', 'ATL', 'DFW', 'SFO', 'JFK'])[1 + i * 3 % 5] AS origin, i % 3 = 0 AS is_weekend,
  DATE '2001-01-01' + (i % 120)::INTEGER AS day, (i * 13 % 97) / 97.0 AS probability
  FROM range(400) t(i)`;

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'sightline-baseline-query-'));
  store = await TraceStore.open(file('trace.duckdb'));
  await store.conn.run(`COPY (${TRAIN}) TO ${literal(file('train.parquet'))} (FORMAT parquet)`);
  await store.conn.run(`COPY (${TRAIN}) TO ${literal(file('train.csv'))} (HEADER)`);
  // The same rows as the query below selects, as a file of their own.
  await store.conn.run(`COPY (SELECT * FROM (${TRAIN}) WHERE month <= 2) TO ${literal(file('early.parquet'))} (FORMAT parquet)`);
});

afterAll(() => {
  store?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function rows(sql: string): Promise<Record<string, unknown>[]> {
  return store.query<Record<string, unknown>>(sql);
}

/** Same columns and types, and the same multiset of rows, in the two baselines' tables; the same profile. */
async function expectSameBaseline(a: BaselineInfo, b: BaselineInfo): Promise<void> {
  expect(await rows(`DESCRIBE "${a.table}"`)).toEqual(await rows(`DESCRIBE "${b.table}"`));
  expect(a.rows).toBe(b.rows);
  for (const [x, y] of [[a, b], [b, a]] as const) {
    const diff = await rows(`SELECT count(*)::INT AS n FROM (SELECT * FROM "${x.table}" EXCEPT ALL SELECT * FROM "${y.table}")`);
    expect(diff[0]!.n, `${x.name} minus ${y.name}`).toBe(0);
  }
  expect(a.profile).toEqual(b.profile);
}

/** Neither a `baselines` row nor a table of that name is left. */
async function expectNothingLeft(name: string): Promise<void> {
  expect(await getBaseline(store, name)).toBeNull();
  expect(await rows(`SELECT table_name FROM information_schema.tables WHERE table_name = ${literal(`baseline__${name}`)}`)).toEqual([]);
}

async function refusal(query: string, name = 'bad'): Promise<SightlineError> {
  const err = await addBaseline(store, { name, query }).catch((e: unknown) => e);
  expect(err, query).toBeInstanceOf(SightlineError);
  expect((err as SightlineError).code, query).toBe('invalid_request');
  expect((err as SightlineError).path, query).toEqual(['query']);
  await expectNothingLeft(name);
  return err as SightlineError;
}

describe('a baseline from a query is the baseline from the same data as a file', () => {
  it('Parquet: SELECT … WHERE month <= 2 equals the file holding those rows', async () => {
    const fromFile = await addBaseline(store, { name: 'early-file', file: file('early.parquet') });
    const sql = `SELECT * FROM ${literal(file('train.parquet'))} WHERE month <= 2`;
    const fromQuery = await addBaseline(store, { name: 'early-query', query: `${sql};` });
    expect(fromQuery.rows).toBe(200);
    expect(fromQuery.source).toBe(`query: ${sql};`);
    expect(fromQuery.profile.features.map((f) => `${f.name}:${f.kind}`)).toEqual([
      'id:numeric', 'month:numeric', 'distance:numeric', 'origin:categorical', 'is_weekend:categorical', 'probability:numeric',
    ]);
    await expectSameBaseline(fromQuery, fromFile);
  });

  it('CSV: a query over the whole file equals the file; --categorical applies the same way', async () => {
    const fromFile = await addBaseline(store, { name: 'csv-file', file: file('train.csv'), categorical: ['month'] });
    const fromQuery = await addBaseline(store, { name: 'csv-query', query: `FROM read_csv(${literal(file('train.csv'))})`, categorical: ['month'] });
    expect(fromQuery.rows).toBe(400);
    expect(fromQuery.profile.features.find((f) => f.name === 'month')?.kind).toBe('categorical');
    await expectSameBaseline(fromQuery, fromFile);
  });

  it('relative paths are read from `cwd` when given (the CLI\'s folder, for a daemon)', async () => {
    const info = await addBaseline(store, { name: 'relative', query: "SELECT * FROM 'early.parquet'", cwd: dir });
    await expectSameBaseline(info, (await getBaseline(store, 'early-file'))!);
    // And the setting is put back: the same relative path is not found any more.
    await refusal("SELECT * FROM 'early.parquet'", 'relative-again');
  });
});

describe('bad queries: typed errors, nothing written', () => {
  it('a query that does not parse, reads a missing file or fails while running', async () => {
    expect((await refusal('SELEC * FROM t')).message).toMatch(/the baseline query failed: Parser Error.*fix the query/);
    expect((await refusal(`SELECT * FROM ${literal(file('nope.parquet'))}`)).message).toMatch(/the baseline query failed: .*nope\.parquet/);
    // Binds, then fails on the 7th row: the table being created is rolled back.
    expect((await refusal(`SELECT CAST(CASE WHEN i = 6 THEN 'x' ELSE i::VARCHAR END AS INTEGER) AS v FROM range(10) t(i)`)).message).toMatch(/the baseline query failed: Conversion Error/);
    expect((await refusal('   ; ')).message).toContain('is empty');
  });

  it('only one SELECT: several statements, writes and PRAGMA are refused before anything runs', async () => {
    expect((await refusal('SELECT 1 AS a; DROP TABLE baselines')).message).toContain('holds 2 statements');
    expect((await refusal("SELECT ';' AS a; SELECT 2")).message).toContain('holds 2 statements');
    expect((await refusal('DROP TABLE baselines')).message).toMatch(/must be a SELECT \(it is DROP\)/);
    expect((await refusal("INSERT INTO baselines (name, source, table_name, rows, profile) VALUES ('x', 'x', 'x', 0, '{}')")).message).toMatch(/must be a SELECT \(it is INSERT\)/);
    const copy = file('written.csv');
    expect((await refusal(`COPY (SELECT 1 AS a) TO ${literal(copy)}`)).message).toMatch(/must be a SELECT \(it is COPY\)/);
    expect(existsSync(copy)).toBe(false);
    expect((await refusal('PRAGMA version')).message).toContain('cannot be read as a SELECT');
    expect((await refusal("SELECT * FROM query('DROP TABLE baselines')")).message).toContain('failed');
    // Nothing above dropped or wrote anything.
    expect(await getBaseline(store, 'early-file')).not.toBeNull();
    expect(await rows(`SELECT name FROM baselines WHERE name = 'x'`)).toEqual([]);
  });

  it('no rows, or no column that can be profiled, says what to change', async () => {
    expect((await refusal(`SELECT * FROM ${literal(file('train.parquet'))} WHERE month > 99`)).message).toContain('returned no rows');
    expect((await refusal('SELECT [1, 2] AS xs, {a: 1} AS s FROM range(3)')).message).toMatch(/no column that can be profiled .*got xs INTEGER\[\], s STRUCT/);
  });

  it('a failed replacement leaves the existing baseline as it was', async () => {
    const before = await addBaseline(store, { name: 'keep', query: `SELECT * FROM ${literal(file('train.parquet'))} WHERE month = 1` });
    for (const query of [`SELECT * FROM ${literal(file('train.parquet'))} WHERE month > 99`, 'SELECT CAST(\'x\' AS INTEGER) AS v']) {
      const err = await addBaseline(store, { name: 'keep', query, replace: true }).catch((e: unknown) => e);
      expect((err as SightlineError).code).toBe('invalid_request');
      const after = await getBaseline(store, 'keep');
      expect(after).toEqual(before);
      expect((await rows(`SELECT count(*)::INT AS n FROM "${before.table}"`))[0]!.n).toBe(100);
    }
  });

  it('a FILE and a query, or neither, is invalid', async () => {
    for (const spec of [{ name: 'both', file: file('train.csv'), query: 'SELECT 1 AS a' }, { name: 'neither' }]) {
      const err = await addBaseline(store, spec).catch((e: unknown) => e);
      expect((err as SightlineError).code).toBe('invalid_request');
      expect((err as SightlineError).message).toContain('either a FILE or --query');
    }
  });
});

function cli(args: string[], cwd: string, home: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd, env: { ...process.env, SIGHTLINE_HOME: home }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d.toString()));
    child.stderr.on('data', (d) => (stderr += d.toString()));
    // 'close', not 'exit': output can still arrive after 'exit' (test/helpers/daemon.ts runCli).
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('sightline baseline add NAME --query', () => {
  it('on a trace file, and through the daemon holding the trace, relative to the CLI\'s folder', async () => {
    const query = "SELECT * FROM 'train.parquet' WHERE month <= 2";
    const trace = file('cli.duckdb');
    const home = file('home');
    const direct = await cli(['baseline', 'add', 'early', '--query', query, '--trace', trace, '--json'], dir, home);
    expect(direct.code, direct.stderr).toBe(0);
    const info = JSON.parse(direct.stdout) as BaselineInfo;
    expect(info).toMatchObject({ name: 'early', rows: 200, source: `query: ${query}` });
    expect(info.profile).toEqual((await getBaseline(store, 'early-file'))!.profile);

    const usage = await cli(['baseline', 'add', 'x', '--trace', trace], dir, home);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('a FILE (CSV, Parquet, JSONL) or --query');
    const bad = await cli(['baseline', 'add', 'x', '--query', 'SELECT 1 AS a; SELECT 2', '--trace', trace], dir, home);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/holds 2 statements.*\[invalid_request\]/);

    const d = await startDaemon([], { trace, dir: file('daemon') });
    try {
      const held = await cli(['baseline', 'add', 'early-daemon', '--query', query, '--trace', trace, '--json'], dir, d.home);
      expect(held.code, held.stderr).toBe(0);
      expect(JSON.parse(held.stdout)).toMatchObject({ name: 'early-daemon', rows: 200, profile: info.profile });
      const none = await cli(['baseline', 'add', 'empty', '--query', `${query} AND month > 99`, '--trace', trace], dir, d.home);
      expect(none.code).toBe(2);
      expect(none.stderr).toMatch(/returned no rows.*\[invalid_request\]/);
    } finally {
      await d.stop();
    }
  });
});
