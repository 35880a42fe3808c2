/**
 * Someone else's trace cannot read or write local files. Crafted traces whose tables are views
 * over `read_csv('/etc/passwd')` / `read_text(secret)`, or that carry macros doing the same, are
 * opened with `sightline open`, `diff`, `export` and a read-only daemon: none of them shows a byte
 * of those files. The connections they use refuse COPY … TO, ATTACH and extension loading.
 */
import { DuckDBInstance } from '@duckdb/node-api';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openParquetFolder } from '../../../daemon/sharing/open-folder';
import { TraceStore } from '../../../daemon/store/trace-store';
import { SightlineClient } from '../../../clients/typescript/client';
import { readDaemonInfo } from '../../../daemon/server/state-file';
import { CLI, runCli } from '../../helpers/daemon';

const PASSWD = existsSync('/etc/passwd') ? readFileSync('/etc/passwd', 'utf8').split('\n')[0]! : 'root:x:0:0';

describe("a crafted trace cannot read or write the reader's files", () => {
  let dir: string;
  let secret: string;
  let token: string;
  let good: string;
  const evil: Record<string, string> = {};

  /** A valid trace, then altered by an attacker with full DuckDB access. */
  async function craft(name: string, attack: string[]): Promise<string> {
    const file = path.join(dir, `${name}.duckdb`);
    const store = await TraceStore.open(file);
    await store.upsertModel({ id: 'a'.repeat(64), name: 'm', version: 'v1', path: null, inputs: [], outputs: [], card: {} });
    await store.conn.run(`INSERT INTO predictions (id, time, model_id, model_name, model_version, source, score) SELECT uuid(), now(), '${'a'.repeat(64)}', 'm', 'v1', 'served', random() FROM range(50)`);
    store.close();
    const db = await DuckDBInstance.create(file);
    const c = await db.connect();
    for (const sql of attack) await c.run(sql.replaceAll('SECRET', secret.replaceAll("'", "''")));
    c.closeSync();
    db.closeSync();
    return file;
  }

  const leaked = (text: string): boolean => text.includes(token) || text.includes(PASSWD);

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'sightline-security-'));
    token = `TOPSECRET-${randomBytes(8).toString('hex')}`;
    secret = path.join(dir, 'secret.csv');
    writeFileSync(secret, `line\n${token}\n`);
    good = await craft('good', []);
    evil.viewPredictions = await craft('view-predictions', [
      `DROP TABLE predictions`,
      `CREATE VIEW predictions AS SELECT uuid() AS id, now() AS time, 'm' AS model_id, column0 AS model_name, 'v1' AS model_version, NULL AS request_id, NULL AS join_key, 'served' AS source,
         NULL AS execution_provider, NULL::FLOAT AS latency_ms, 0.5 AS score, NULL AS label_pred, NULL::JSON AS outputs, NULL::JSON AS raw FROM read_csv('/etc/passwd', header = false, sep = '|')`,
    ]);
    evil.viewFindings = await craft('view-findings', [
      `DROP TABLE findings`,
      `CREATE VIEW findings AS SELECT 'f' AS id, now() AS time, 'drift' AS kind, content AS feature, 'm' AS model_name, 1.0 AS score, 0.1 AS threshold, 'psi' AS metric, 'b' AS baseline, 'w' AS window_desc, '{}'::JSON AS details FROM read_text('SECRET')`,
    ]);
    evil.macro = await craft('macro', [
      `CREATE MACRO leak() AS TABLE SELECT * FROM read_csv('SECRET')`,
      `DROP TABLE models`,
      `CREATE VIEW models AS SELECT 'a' AS id, line AS name, 'v1' AS version, NULL AS path, NULL::JSON AS inputs, NULL::JSON AS outputs, NULL::JSON AS card, NULL AS training_run_id, now() AS first_seen FROM leak()`,
    ]);
    evil.shadow = await craft('shadow', [
      // A macro named like a built-in the summary calls.
      `CREATE MACRO quantile_cont(x, q) AS (SELECT count(*) FROM read_csv('SECRET'))`,
    ]);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('sightline open shows nothing of local files (and fails with a message)', async () => {
    for (const [name, file] of Object.entries(evil)) {
      const r = await runCli(['open', file, '--json']);
      expect(leaked(r.stdout + r.stderr), name).toBe(false);
      expect(r.code, `${name}: ${r.stdout}`).not.toBe(0);
    }
  });

  it('sightline diff shows nothing of local files', async () => {
    for (const [name, file] of Object.entries(evil)) {
      for (const args of [[good, file], [file, good]]) {
        const r = await runCli(['diff', ...args, '--json']);
        expect(leaked(r.stdout + r.stderr), name).toBe(false);
        expect(r.code, name).not.toBe(0);
      }
    }
  });

  it('sightline export copies no local file into the export', async () => {
    for (const [name, file] of Object.entries(evil)) {
      const out = path.join(dir, `export-${name}.duckdb`);
      const r = await runCli(['export', file, '--out', out]);
      expect(leaked(r.stdout + r.stderr), name).toBe(false);
      expect(r.code, name).not.toBe(0);
      expect(existsSync(out), name).toBe(false);
    }
    expect(readdirSync(dir).filter((f) => f.includes('.partial-'))).toEqual([]);
  });

  it('a read-only daemon (serve --read-only) serves nothing of local files', async () => {
    for (const [name, file] of Object.entries(evil)) {
      const home = path.join(dir, `home-${name}`);
      mkdirSync(home, { recursive: true });
      const child = spawn(process.execPath, [CLI, 'serve', '--read-only', '--trace', file, '--port', '0'], { env: { ...process.env, SIGHTLINE_HOME: home }, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (d) => (out += d.toString()));
      child.stderr.on('data', (d) => (out += d.toString()));
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      const started = await Promise.race([
        new Promise<boolean>((resolve) => child.stdout.on('data', () => { if (/listening on/.test(out)) resolve(true); })),
        exited.then(() => false),
      ]);
      try {
        if (started) {
          // It started: every query that reads the crafted tables fails without their content.
          const client = new SightlineClient(readDaemonInfo(home)!);
          for (const [method, route, body] of [['GET', '/v1/findings'], ['GET', '/v1/baselines'], ['GET', '/v1/models'], ['POST', '/v1/drift', { baseline: 'x' }], ['POST', '/v1/trace', { model: 'a' }]] as [string, string, unknown?][]) {
            const res = await client.request(method, route, body).then((v) => JSON.stringify(v), (e: Error) => e.message);
            expect(leaked(res), `${name} ${route}`).toBe(false);
          }
        } else {
          // Or it refused the file outright, saying why.
          expect(await exited).not.toBe(0);
        }
        expect(leaked(out), name).toBe(false);
      } finally {
        if (child.exitCode === null) child.kill('SIGTERM');
        await exited;
      }
    }
  });

  it('the read-only connection refuses reading files, COPY … TO, ATTACH and loading extensions', async () => {
    const store = await TraceStore.open(good, { readOnly: true });
    const target = path.join(dir, 'written.csv');
    try {
      for (const sql of [
        `SELECT * FROM read_csv('/etc/passwd')`,
        `SELECT * FROM read_text('${secret}')`,
        `COPY (SELECT 1) TO '${target}'`,
        `COPY predictions TO '${target}' (FORMAT csv)`,
        `ATTACH '${path.join(dir, 'other.duckdb')}' AS other`,
        `INSTALL sqlite`,
        `LOAD sqlite`,
        `SELECT * FROM sqlite_scan('${good}', 'meta')`,
      ]) {
        await expect(store.conn.run(sql), sql).rejects.toThrow();
      }
    } finally {
      store.close();
    }
    expect(existsSync(target)).toBe(false);
    expect(existsSync(path.join(dir, 'other.duckdb'))).toBe(false);
  });

  it('a Parquet export folder is read into memory, then the connection is locked the same way', async () => {
    const out = path.join(dir, 'pq');
    const r = await runCli(['export', good, '--format', 'parquet', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    const store = await openParquetFolder(out);
    try {
      expect((await store.query<{ n: number }>('SELECT count(*)::INTEGER AS n FROM predictions'))[0]!.n).toBe(50);
      for (const sql of [`SELECT * FROM read_csv('/etc/passwd')`, `COPY (SELECT 1) TO '${path.join(dir, 'w.csv')}'`, `SET enable_external_access = true`]) {
        await expect(store.conn.run(sql), sql).rejects.toThrow();
      }
    } finally {
      store.close();
    }
    // A manifest cannot point the reader elsewhere: file names are fixed, feature columns quoted.
    const manifest = JSON.parse(readFileSync(path.join(out, '_sightline.json'), 'utf8'));
    manifest.feature_columns = [{ feature: 'x', kind: 'numeric', parquet_column: `"; COPY (SELECT 1) TO '${path.join(dir, 'w.csv')}'; --` }];
    manifest.tables = ['/etc/passwd'];
    writeFileSync(path.join(out, '_sightline.json'), JSON.stringify(manifest));
    const open = await runCli(['open', out]);
    expect(leaked(open.stdout + open.stderr)).toBe(false);
    expect(existsSync(path.join(dir, 'w.csv'))).toBe(false);
  });
});
