import { chmodSync, copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExportReport } from '../../../protocol';
import { ROOT, runCli } from '../../helpers/daemon';
import { demoTrace, queryTrace, textColumnsWhere } from '../../helpers/sample';
import { buildSharingTrace, type SharingTrace } from './fixture';

const PERSONAL = ['customer_email', 'client_ip', 'user_agent', 'booking_note'];

function sha256(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

/** Text columns with a value matching `pattern` (LIKE), as "table.column: n". */
const textMatches = (trace: string, pattern: string): Promise<string[]> => textColumnsWhere(trace, (v) => `${v} LIKE '${pattern}'`);

async function featureColumn(trace: string, feature: string): Promise<string | null> {
  const rows = await queryTrace<{ column_name: string }>(trace, `SELECT column_name FROM feature_columns WHERE feature = '${feature}'`);
  return rows[0]?.column_name ?? null;
}

describe('sightline export', () => {
  let dir: string;
  let src: SharingTrace;
  let keyFile: string;
  let key: Buffer;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'sightline-export-'));
    src = await buildSharingTrace(dir);
    key = randomBytes(32);
    keyFile = path.join(dir, 'hash.key');
    writeFileSync(keyFile, key, { mode: 0o600 });
  }, 300_000); // builds a trace with the real daemon: slow on a loaded machine
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('an exported, redacted sample trace opens read-only in the CLI', async () => {
    // A copy of the demo-like trace, as a teammate would be handed it.
    const copy = path.join(dir, 'copy.duckdb');
    copyFileSync(src.trace, copy);
    const out = path.join(dir, 'shared.duckdb');
    const r = await runCli([
      'export', copy, '--out', out, '--sample', '0.5', '--with-baselines', '--hash-key-file', keyFile,
      '--redact', 'customer_email=hash', 'join_key=hash', 'client_ip=drop', 'user_agent=drop', 'booking_note=drop', '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const report = ExportReport.parse(JSON.parse(r.stdout));
    expect(report.written).toBe(true);
    expect(report.pii_warnings).toEqual([]);
    expect(report.counts.predictions).toBeGreaterThan(src.requests * 0.4);
    expect(report.counts.predictions).toBeLessThan(src.requests * 0.6);
    expect(report.counts.labels).toBe(report.counts.predictions);
    expect(report.counts.component_runs).toBeGreaterThan(0);
    expect(report.key_id).toMatch(/^[0-9a-f]{16}$/);
    // The raw requests carry the flight id under its own name: found, and hashed with the join key.
    expect(report.redactions.find((x) => x.column === 'join_key')!.targets).toContain('predictions.raw.flight_id (holds the join key)');

    // Opened read-only: works on a file nobody may write, and changes no byte of it.
    chmodSync(out, 0o444);
    const before = sha256(out);
    const open = await runCli(['open', out, '--json']);
    expect(open.code, open.stderr).toBe(0);
    const summary = JSON.parse(open.stdout);
    expect(summary.schemaVersion).toBe(1);
    expect(summary.totals.predictions).toBe(report.counts.predictions);
    expect(summary.groups[0].labelled).toBe(report.counts.predictions); // hashed join keys still join
    const text = await runCli(['open', out]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain(`${report.counts.predictions} predictions`);
    expect(sha256(out)).toBe(before);
    expect(existsSync(`${out}.wal`)).toBe(false);

    // Nothing personal is left anywhere in the file: no emails, IPs, user agents or notes.
    expect(await textMatches(out, '%@example.com%')).toEqual([]);
    expect(await textMatches(out, '%Mozilla/%')).toEqual([]);
    expect(await textMatches(out, '%aisle seat%')).toEqual([]);
    expect(await textMatches(out, '%F14%')).toEqual([]); // flight ids: the join key, hashed everywhere (findings' examples too)
    for (const dropped of ['client_ip', 'user_agent', 'booking_note']) expect(await featureColumn(out, dropped)).toBeNull();

    // Hashed values are HMAC-SHA256(key, value): same prediction, same value, in source and export.
    const emailSrc = (await featureColumn(copy, 'customer_email'))!;
    const emailOut = (await featureColumn(out, 'customer_email'))!;
    const exported = await queryTrace<{ id: string; jk: string; email: string }>(out, `SELECT id::VARCHAR AS id, join_key AS jk, "${emailOut}" AS email FROM predictions ORDER BY id LIMIT 20`);
    for (const row of exported) {
      const [orig] = await queryTrace<{ jk: string; email: string }>(copy, `SELECT join_key AS jk, "${emailSrc}" AS email FROM predictions WHERE id = '${row.id}'`);
      expect(row.email).toBe(createHmac('sha256', key).update(orig!.email).digest('hex'));
      expect(row.jk).toBe(createHmac('sha256', key).update(orig!.jk).digest('hex'));
    }
    const [hashed] = await queryTrace<{ n: number; ok: number }>(out, `SELECT count(*)::INTEGER AS n, count(*) FILTER (WHERE regexp_full_match(join_key, '[0-9a-f]{64}'))::INTEGER AS ok FROM labels`);
    expect(hashed!.ok).toBe(hashed!.n);

    // The key never reaches the file: the hashing macro was TEMP.
    expect(await queryTrace(out, `SELECT function_name FROM duckdb_functions() WHERE NOT internal`)).toEqual([]);
    expect(readFileSync(out).includes(key)).toBe(false);
    // Meta records what was done, not the key.
    const meta = Object.fromEntries((await queryTrace<{ key: string; value: string }>(out, 'SELECT key, value FROM meta')).map((m) => [m.key, m.value]));
    expect(meta.exported_from).toBe('copy.duckdb');
    expect(JSON.parse(meta.export_redactions!)).toContainEqual({ column: 'client_ip', action: 'drop' });
  });

  it('warns about columns that look personal, with the fix in the message, and still writes', async () => {
    const out = path.join(dir, 'unredacted.duckdb');
    const r = await runCli(['export', src.trace, '--out', out, '--limit', '200']);
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(out)).toBe(true);
    for (const col of PERSONAL) expect(r.stderr).toContain(`WARNING: attribute "${col}" looks personal`);
    expect(r.stderr).toContain('--redact customer_email=hash');
    expect(r.stderr).toMatch(/customer_email" looks personal: its name suggests an email address; 100% of \d+ sampled values look like email addresses/);
    expect(r.stderr).toMatch(/client_ip" looks personal: its name suggests an IP address; 100% of \d+ sampled values look like IPv4 addresses/);
    expect(r.stderr).toMatch(/user_agent" looks personal: its name suggests a user-agent string; 100% of \d+ sampled values look like user-agent strings/);
    expect(r.stderr).toMatch(/booking_note" looks personal: 50% of \d+ sampled values look like free text/);

    const j = await runCli(['export', src.trace, '--out', path.join(dir, 'unredacted2.duckdb'), '--limit', '200', '--json']);
    const report = ExportReport.parse(JSON.parse(j.stdout));
    // No false alarms on the flight features, the fare class or the flight-id join key.
    expect(report.pii_warnings.map((w) => w.column).sort()).toEqual([...PERSONAL].sort());
    expect(report.pii_warnings.find((w) => w.column === 'client_ip')!.fix).toBe('--redact client_ip=hash');
  });

  it('reports k-anonymity on declared quasi-identifiers before writing, and refuses below --k', async () => {
    const out = path.join(dir, 'k.duckdb');
    const r = await runCli(['export', src.trace, '--out', out, '--quasi-identifiers', 'fare_class,origin,dep_hour', '--k', '5', '--json']);
    expect(r.code).toBe(1);
    expect(existsSync(out)).toBe(false);
    const report = ExportReport.parse(JSON.parse(r.stdout));
    expect(report.written).toBe(false);
    // The same numbers computed independently from the source.
    const fare = (await featureColumn(src.trace, 'fare_class'))!;
    const origin = (await featureColumn(src.trace, 'origin'))!;
    const hour = (await featureColumn(src.trace, 'dep_hour'))!;
    const sizes = (await queryTrace<{ n: number }>(src.trace, `SELECT count(*)::INTEGER AS n FROM predictions GROUP BY "${fare}", "${origin}", "${hour}"`)).map((x) => Number(x.n));
    const k = report.k_anonymity!;
    expect(k.rows).toBe(src.requests);
    expect(k.classes).toBe(sizes.length);
    expect(k.smallest_class).toBe(Math.min(...sizes));
    expect(k.classes_below_k).toBe(sizes.filter((s) => s < 5).length);
    expect(k.rows_below_k).toBe(sizes.filter((s) => s < 5).reduce((a, b) => a + b, 0));
    expect(k.satisfied).toBe(false);
    expect(k.enforced).toBe(true);

    const text = await runCli(['export', src.trace, '--out', out, '--quasi-identifiers', 'fare_class,origin,dep_hour', '--k', '5']);
    expect(text.code).toBe(1);
    expect(text.stderr).toContain(`k-anonymity on quasi-identifiers fare_class, origin, dep_hour (k = 5, enforced), over ${src.requests} rows:`);
    expect(text.stderr).toContain(`the smallest has ${Math.min(...sizes)} row(s)`);
    expect(text.stderr).toContain('refused');
    expect(existsSync(out)).toBe(false);

    const allowed = await runCli(['export', src.trace, '--out', out, '--quasi-identifiers', 'fare_class,origin,dep_hour', '--k', '5', '--allow-below-k']);
    expect(allowed.code, allowed.stderr).toBe(0);
    expect(existsSync(out)).toBe(true);

    // A coarse quasi-identifier passes; a dropped one no longer counts.
    const ok = await runCli(['export', src.trace, '--out', path.join(dir, 'k2.duckdb'), '--quasi-identifiers', 'fare_class,customer_email', '--redact', 'customer_email=drop', '--k', '5', '--json']);
    expect(ok.code, ok.stderr).toBe(0);
    const k2 = ExportReport.parse(JSON.parse(ok.stdout)).k_anonymity!;
    expect(k2.satisfied).toBe(true);
    expect(k2.classes).toBe(3);
    expect(k2.ignored).toEqual([{ name: 'customer_email', reason: 'dropped by --redact, not in the export' }]);
  });

  it('takes a subset: time range, model, repeatable sample, limit; labels and lineage follow', async () => {
    const [expected] = await queryTrace<{ n: number }>(src.trace, `SELECT count(*)::INTEGER AS n FROM predictions WHERE time >= '2001-05-01' AND time < '2001-06-01'`);
    const may = path.join(dir, 'may.duckdb');
    const r = await runCli(['export', src.trace, '--out', may, '--since', '2001-05-01', '--until', '2001-06-01', '--model', 'flights-delay@v1', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const report = ExportReport.parse(JSON.parse(r.stdout));
    expect(report.counts.predictions).toBe(Number(expected!.n));
    const [range] = await queryTrace<{ lo: string; hi: string; labels: number }>(may, `SELECT min(time)::VARCHAR AS lo, max(time)::VARCHAR AS hi, (SELECT count(*) FROM labels)::INTEGER AS labels FROM predictions`);
    expect(range!.lo >= '2001-05-01').toBe(true);
    expect(range!.hi < '2001-06-01').toBe(true);
    expect(Number(range!.labels)).toBe(report.counts.predictions);
    // Lineage of the model: its training run and everything upstream, as in the source.
    const [runs] = await queryTrace<{ n: number; trained: number }>(may, `SELECT count(*)::INTEGER AS n, count(*) FILTER (WHERE id = (SELECT training_run_id FROM models))::INTEGER AS trained FROM component_runs`);
    expect(Number(runs!.n)).toBeGreaterThan(1);
    expect(Number(runs!.trained)).toBe(1);
    const trace = await runCli(['trace', src.modelId, '--trace', may, '--json']);
    expect(trace.code, trace.stderr).toBe(0);
    expect(JSON.parse(trace.stdout).nodes.filter((n: { type: string }) => n.type === 'run').length).toBe(Number(runs!.n));

    const none = await runCli(['export', src.trace, '--out', path.join(dir, 'none.duckdb'), '--model', 'no-such-model', '--json']);
    expect(none.code, none.stderr).toBe(0);
    expect(ExportReport.parse(JSON.parse(none.stdout)).counts.predictions).toBe(0);

    const lim = await runCli(['export', src.trace, '--out', path.join(dir, 'lim.duckdb'), '--limit', '100', '--json']);
    expect(ExportReport.parse(JSON.parse(lim.stdout)).counts).toMatchObject({ predictions: 100, labels: 100 });

    const a = path.join(dir, 's1.duckdb');
    const b = path.join(dir, 's2.duckdb');
    for (const f of [a, b]) expect((await runCli(['export', src.trace, '--out', f, '--sample', '0.2'])).code).toBe(0);
    const ids = async (f: string): Promise<string[]> => (await queryTrace<{ id: string }>(f, 'SELECT id::VARCHAR AS id FROM predictions ORDER BY id')).map((x) => x.id);
    expect(await ids(a)).toEqual(await ids(b));
    expect((await ids(a)).length).toBeGreaterThan(src.requests * 0.15);
    expect((await ids(a)).length).toBeLessThan(src.requests * 0.25);
  });

  it('refuses bad usage with exit 2 and says what to do', async () => {
    const out = path.join(dir, 'bad.duckdb');
    const noKey = await runCli(['export', src.trace, '--out', out, '--redact', 'customer_email=hash'], { SIGHTLINE_HASH_KEY: '' });
    expect(noKey.code).toBe(2);
    expect(noKey.stderr).toContain('--hash-key-file');
    const shortKey = await runCli(['export', src.trace, '--out', out, '--redact', 'customer_email=hash'], { SIGHTLINE_HASH_KEY: 'short' });
    expect(shortKey.code).toBe(2);
    expect(shortKey.stderr).toContain('at least 16');
    const unknown = await runCli(['export', src.trace, '--out', out, '--redact', 'no_such_col=drop']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('no feature, attribute, column or raw key');
    const structural = await runCli(['export', src.trace, '--out', out, '--redact', 'time=drop']);
    expect(structural.code).toBe(2);
    const both = await runCli(['export', src.trace, '--out', out, '--sample', '0.5', '--limit', '3']);
    expect(both.code).toBe(2);
    const exists = await runCli(['export', src.trace, '--out', src.trace]);
    expect(exists.code).toBe(2);
    expect(existsSync(out)).toBe(false);
    // The key may come from the environment instead of a file; same key, same hashes.
    const env = await runCli(['export', src.trace, '--out', out, '--limit', '5', '--redact', 'join_key=hash', '--json'], { SIGHTLINE_HASH_KEY: 'an-environment-key-of-32-bytes!!' });
    expect(env.code, env.stderr).toBe(0);
  });

  it('exports a copy of `npm run demo`\'s trace, redacted, and it opens read-only', async () => {
    const copy = path.join(dir, 'demo-copy.duckdb');
    copyFileSync(await demoTrace(), copy);
    const out = path.join(dir, 'demo-shared.duckdb');
    const r = await runCli(['export', copy, '--out', out, '--sample', '0.1', '--redact', 'join_key=hash', '--hash-key-file', keyFile, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const report = ExportReport.parse(JSON.parse(r.stdout));
    expect(report.counts.predictions).toBeGreaterThan(3000);
    // Redacted: no join key of the original survives (each became a keyed hash).
    const originals = new Set((await queryTrace<{ k: string }>(copy, 'SELECT DISTINCT join_key AS k FROM predictions WHERE join_key IS NOT NULL')).map((r) => r.k));
    const shared = (await queryTrace<{ k: string }>(out, 'SELECT DISTINCT join_key AS k FROM predictions WHERE join_key IS NOT NULL')).map((r) => r.k);
    expect(originals.size).toBeGreaterThan(0);
    expect(shared.length).toBeGreaterThan(0);
    expect(shared.filter((k) => originals.has(k))).toEqual([]);
    // A teammate opens it read-only: it answers, and the file is not touched.
    const before = sha256(out);
    const open = await runCli(['open', out, '--json']);
    expect(open.code, open.stderr).toBe(0);
    expect(JSON.parse(open.stdout).totals.predictions).toBe(report.counts.predictions);
    expect(sha256(out)).toBe(before);
  }, 600_000);
});
