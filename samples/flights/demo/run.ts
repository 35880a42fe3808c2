/**
 * `npm run demo`: the flight-delay service as a user would run it with Sightline.
 *
 * 1. starts the real daemon (`sightline serve`) on the sample's model v1, on a free loopback port;
 * 2. replays the captured April–June booking requests through the serving feature code
 *    (serving/features.ts) and POSTs them to /v1/predict, many small concurrent requests, the way
 *    a booking service would (the daemon micro-batches them);
 * 3. posts the labels that "arrive later" (actual delays) by join key;
 * 4. stops the daemon and opens the trace read-only to report what was recorded.
 */
import { DuckDBInstance } from '@duckdb/node-api';
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { SightlineClient } from '../../../clients/typescript/client';
import { progress } from '../../../daemon/cli/output';
import { readPages } from '../../../daemon/io/tabular';
import { formatSummary, summarizeTrace } from '../../../daemon/report/summary';
import { readDaemonInfo } from '../../../daemon/server/state-file';
import { literal } from '../../../daemon/store/sql';
import { TraceStore } from '../../../daemon/store/trace-store';
import { daemonProcess } from '../../../daemon/server/process-options';
import { Lineage } from '../../../daemon/lineage/service';
import { formatTrace } from '../../../daemon/lineage/tree';
import type { DriftRunResult } from '../../../daemon/findings/drift-run';
import type { QualityRunResult } from '../../../daemon/findings/quality-run';
import type { SkewRunResult } from '../../../daemon/findings/skew-run';
import type { SlicesResult } from '../../../protocol';
import { describeSlice } from '../../../daemon/analysis/slices';
import { formatRunSummary } from '../../../daemon/reports/summary';
import type { ReplayReport } from '../../../protocol';
import { computeFeatures, type RawFlight } from '../serving/features';

const ROOT = process.cwd();
const SAMPLE = path.join(ROOT, 'samples', 'flights');
const OUT = path.join(SAMPLE, '.sightline');
const TRACE = path.join(OUT, 'demo-trace.duckdb');
const MODEL = path.join(SAMPLE, 'models', 'flights-delay-v1.onnx');
const REQUESTS = path.join(SAMPLE, 'traffic', 'requests.parquet');
const LABELS = path.join(SAMPLE, 'traffic', 'labels.parquet');
const BASELINE = path.join(SAMPLE, 'baselines', 'train-v1.parquet');
const LINEAGE = path.join(SAMPLE, 'lineage', 'pipeline-runs.jsonl');
/** Records per HTTP request and requests in flight: a busy booking service, not a bulk job. */
const RECORDS_PER_REQUEST = Number(process.env.DEMO_BATCH ?? 8);
const CONCURRENCY = Number(process.env.DEMO_CONCURRENCY ?? 16);
const LIMIT = process.env.DEMO_LIMIT ? Number(process.env.DEMO_LIMIT) : undefined;

async function main(): Promise<void> {
  const t0 = performance.now();
  mkdirSync(OUT, { recursive: true });
  for (const f of [TRACE, `${TRACE}.wal`]) rmSync(f, { force: true });
  const home = path.join(OUT, 'home');
  // The training pipeline logged its steps offline (train.py → lineage/pipeline-runs.jsonl); handing
  // them to the daemon's spool makes it ingest them at start and link model v1 to its export run.
  mkdirSync(path.join(home, 'spool'), { recursive: true });
  copyFileSync(LINEAGE, path.join(home, 'spool', 'pipeline-runs.jsonl'));

  say(`Sightline demo — flight delays, model v1 (trained Jan–Feb 2001), traffic Apr–Jun 2001`);
  const proc = daemonProcess(path.join(ROOT, 'bin', 'sightline.js'), ['serve', '--trace', TRACE, '--model', MODEL, '--port', '0', '--log-raw'], { ...process.env, SIGHTLINE_HOME: home });
  const daemon = spawn(proc.command, proc.args, { env: proc.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let daemonErr = '';
  daemon.stderr.on('data', (d) => (daemonErr += d.toString()));
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    daemon.stdout.on('data', (d) => {
      out += d.toString();
      const m = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    daemon.once('exit', (code) => reject(new Error(`daemon exited (${code}) before listening:\n${daemonErr}`)));
  });
  const info = readDaemonInfo(home);
  if (!info || info.port !== port) throw new Error('daemon.json does not match the daemon that started');
  const client = new SightlineClient(info);
  const { models } = await client.models();
  const m = models[0]!;
  say(`daemon pid ${info.pid} listening on 127.0.0.1:${port}; ${m.name}@${m.version} (${m.id.slice(0, 12)}) on ${m.execution_provider}`);

  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  const total = Number((await conn.runAndReadAll(`SELECT count(*) AS n FROM read_parquet(${literal(REQUESTS)})`)).getRowObjectsJS()[0]!.n);
  const n = LIMIT ? Math.min(LIMIT, total) : total;
  const bar = progress('traffic', n);
  let sent = 0;
  let failed = 0;
  let firstPrediction: string | null = null;
  const tTraffic = performance.now();
  const inflight = new Set<Promise<void>>();
  for await (const page of readPages(conn, `SELECT flight_id, date, origin, destination, distance FROM read_parquet(${literal(REQUESTS)}) ORDER BY date, flight_id LIMIT ${n}`, 2000)) {
    for (let i = 0; i < page.length; i += RECORDS_PER_REQUEST) {
      const raws = page.slice(i, i + RECORDS_PER_REQUEST).map((r) => ({ ...r, distance: Number(r.distance) }) as unknown as RawFlight);
      const p = client
        .predict({
          model: 'flights-delay',
          records: raws.map((r) => ({ ...computeFeatures(r) })),
          join_keys: raws.map((r) => r.flight_id),
          times: raws.map((r) => r.date),
          // The raw request is what the log keeps (--log-raw), so skew replay can re-run training's feature code on it.
          raw: raws.map((r) => ({ ...r })),
        })
        .then(
          (res) => { sent += raws.length; bar.update(sent); firstPrediction ??= res.predictions[0]?.id ?? null; },
          (err: Error) => { failed += raws.length; if (failed === raws.length) say(`  request failed: ${err.message}`); },
        );
      inflight.add(p);
      void p.finally(() => inflight.delete(p));
      if (inflight.size >= CONCURRENCY) await Promise.race(inflight);
    }
  }
  await Promise.all(inflight);
  bar.stop();
  const trafficS = (performance.now() - tTraffic) / 1000;
  say(`sent ${sent} records in ${Math.ceil(sent / RECORDS_PER_REQUEST)} requests in ${trafficS.toFixed(1)} s (${Math.round(sent / trafficS)} predictions/s, ${RECORDS_PER_REQUEST} records per request, ${CONCURRENCY} in flight)${failed ? `, ${failed} failed` : ''}`);

  // Labels arrive later: the actual delays, matched on flight_id.
  let labelled = 0;
  for await (const page of readPages(conn, `SELECT l.flight_id, l.is_delayed FROM read_parquet(${literal(LABELS)}) l SEMI JOIN (SELECT flight_id FROM read_parquet(${literal(REQUESTS)}) ORDER BY date, flight_id LIMIT ${n}) r USING (flight_id)`, 20_000)) {
    const res = await client.logLabels({ source: 'ops-delays', labels: page.map((r) => ({ join_key: String(r.flight_id), value: Number(r.is_delayed) })) });
    labelled += res.logged;
  }
  say(`posted ${labelled} labels (actual departures > 15 min late) by join key flight_id`);
  conn.closeSync();
  db.closeSync();

  // What Sightline finds: the training feature table as baseline, then drift and data quality
  // of the served features against it (stored as findings the editor shows).
  const baseline = await client.request<{ rows: number }>('POST', '/v1/baselines', { name: 'train-v1', file: BASELINE, replace: true });
  say(`registered baseline train-v1 (${baseline.rows} training rows of v1, ${path.relative(ROOT, BASELINE)})`);
  const drift = await client.request<DriftRunResult>('POST', '/v1/drift', { baseline: 'train-v1', window: { model: 'flights-delay' }, save: true });
  const quality = await client.request<QualityRunResult>('POST', '/v1/quality', { baseline: 'train-v1', window: { model: 'flights-delay' }, save: true });
  const slices = await client.request<SlicesResult>('POST', '/v1/slices', { window: { model: 'flights-delay' }, save: true });
  // Training's feature code (features.py) replayed on the raw requests the log kept, compared row by row with what was served.
  const python = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
  const skew = await client.request<SkewRunResult>('POST', '/v1/skew', { key: 'flight_id', transform: { command: `${python} ${path.join(SAMPLE, 'features.py')} --jsonl` }, window: { model: 'flights-delay' }, save: true });

  // Before shipping v2: replay the captured traffic through it next to v1, with the CI gates.
  const replay = await client.request<ReplayReport>('POST', '/v1/replay', {
    traffic: TRACE, candidate: path.join(SAMPLE, 'models', 'flights-delay-v2.onnx'), window: { model: 'flights-delay' }, latency_rows: 500,
    gates: [{ expr: 'flip_rate < 0.02' }, { expr: 'auc_delta > -0.005' }, { expr: 'slice_regressions == 0' }],
  });

  daemon.kill('SIGTERM');
  await new Promise((resolve) => daemon.once('exit', resolve));

  const store = await TraceStore.open(TRACE, { readOnly: true });
  try {
    say('');
    say(formatSummary(await summarizeTrace(store)));
    const months = await store.query<Record<string, unknown>>(`
      SELECT strftime(time, '%Y-%m') AS month, count(*)::INT AS n, avg(score) AS mean_score
      FROM predictions GROUP BY 1 ORDER BY 1`);
    say(`  by month: ${months.map((r) => `${r.month} ${r.n} preds, mean score ${Number(r.mean_score).toFixed(3)}`).join('; ')}`);
    if (firstPrediction) {
      say('');
      say(`lineage of prediction ${firstPrediction} (npx sightline trace <id> --trace ${path.relative(ROOT, TRACE)}):`);
      // Condensed for the report: repeated subtrees, params and metrics are in the full `sightline trace`.
      const tree = formatTrace(await new Lineage(store).trace({ prediction: firstPrediction }));
      say(tree.split('\n').filter((l) => !/\(shown above\)|│\s+(params|metrics) /.test(l)).join('\n'));
    }
  } finally {
    store.close();
  }
  say('');
  say(`drift of served Apr–Jun vs training baseline train-v1 (${drift.report.features.length} features; thresholds: wasserstein_norm ≥ 0.1 or PSI ≥ 0.2, JS ≥ 0.1 for categories)`);
  for (const f of drift.report.features.slice(0, 5)) {
    const m = f.metrics as Record<string, unknown>;
    const detail = f.kind === 'numeric' ? `PSI ${fmt(m.psi)}, Wasserstein/std ${fmt(m.wasserstein_norm)}, KS ${fmt((m.ks as { statistic: number | null }).statistic)}` : `JS ${fmt(m.js)}, L∞ ${fmt(m.linf)}`;
    say(`  ${f.drift ? 'DRIFT' : 'ok   '} ${f.name.padEnd(24)} ${f.method} ${fmt(f.score)} (threshold ${f.threshold}); ${detail}`);
  }
  say(`data quality vs train-v1's profile: ${quality.report.violations.length === 0 ? 'no violations' : `${quality.report.violations.length} violation(s)`}`);
  for (const v of quality.report.violations) say(`  ${v.severity.toUpperCase()} ${v.feature ?? '(table)'}: ${v.check} — observed ${JSON.stringify(v.observed)}`);
  say(`training–serving skew: features.py replayed on the logged raw requests, compared row by row (flight_id) with what was served: ${skew.report.skewed.join(', ') || 'none'}`);
  for (const f of skew.report.features.filter((x) => x.skew)) {
    const e = f.examples?.[0];
    say(`  SKEW  ${f.name.padEnd(24)} ${(100 * (f.mismatch_rate ?? 0)).toFixed(2)} % of ${f.compared} rows differ, mean |Δ| ${fmt(f.mean_abs_diff)}${e ? `; e.g. ${e.key}: training ${fmt(e.training)}, served ${fmt(e.serving)}` : ''}`);
  }
  say(`top failing slices of v1 (0/1 error ${fmt(slices.report.metric_overall)} overall; ${slices.report.candidates} candidate slices, Welch t-test + Benjamini–Hochberg at ${slices.report.alpha}):`);
  for (const sl of slices.report.slices.slice(0, 5)) say(`  ${describeSlice(sl.predicates).padEnd(40)} n ${String(sl.n).padStart(5)}  error ${fmt(sl.metric)} [${fmt(sl.ci[0])}, ${fmt(sl.ci[1])}] vs ${fmt(sl.metric_rest)} elsewhere, effect size ${fmt(sl.effect_size)}`);
  say('');
  say('');
  say(formatRunSummary(replay, { top: 3 }));
  say('');
  say(`trace file: ${path.relative(ROOT, TRACE)}  (open it: npx sightline open ${path.relative(ROOT, TRACE)})`);
  say(`done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}

function fmt(x: unknown): string {
  return typeof x === 'number' ? (Math.abs(x) >= 100 ? x.toFixed(0) : x.toFixed(3)) : x === null ? '∞' : '–';
}

function say(line: string): void {
  process.stdout.write(line + '\n');
}

if (!existsSync(MODEL)) {
  console.error(`demo: ${MODEL} is missing; run from the repository root after \`npm install\``);
  process.exit(2);
}
main().catch((err: unknown) => {
  console.error(`demo failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exit(1);
});
