/**
 * `sightline replay` headless on a trace file (no daemon: the CLI runs the replay in-process on a
 * copy of the demo trace, 60,000 served predictions of the sample from 2001-04-01 to 2001-06-30):
 *
 * - `--since/--until` replays exactly the served predictions in [since, until), counted in the
 *   trace independently, with the baseline taken from the model that served them; the run is
 *   stored in another trace (--trace), the traffic trace attached read-only;
 * - `--last N` replays the N newest served predictions — the replayed predictions, logged in the
 *   traffic trace itself (--trace = the traffic), carry exactly their join keys and times;
 * - `--concurrency 4 --inter-threads 2 --threads 1` are recorded in the report's environment and
 *   in each model's latency figures, which are present and ordered (p50 ≤ p95 ≤ p99 ≤ max).
 */
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ReplayReport } from '../../../protocol';
import { MODEL_V1, MODEL_V2, runCli } from '../../helpers/daemon';
import { demoTrace, queryTrace } from '../../helpers/sample';

const dir = mkdtempSync(path.join(os.tmpdir(), 'sightline-trace-window-'));
const traffic = path.join(dir, 'traffic.duckdb');
const runs = path.join(dir, 'runs.duckdb');
// Few slices and a small latency sample: the test is about which rows are replayed.
const common = ['--model', MODEL_V2, '--no-daemon', '--json', '--slices', 'day_of_week', '--quiet'];

beforeAll(async () => {
  copyFileSync(await demoTrace(), traffic);
}, 600_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function parse(r: { code: number | null; stdout: string; stderr: string }): ReplayReport {
  expect(r.code, r.stderr).toBe(0);
  return ReplayReport.parse(JSON.parse(r.stdout));
}

describe('replay of a trace file, headless', () => {
  test('--since/--until: the served predictions of the window, the baseline from the trace, concurrency and threads recorded', async () => {
    const since = '2001-06-10T06:00:00Z';
    const until = '2001-06-12';
    const [expected] = await queryTrace<{ n: number }>(traffic, `SELECT count(*)::INT AS n FROM predictions
      WHERE source = 'served' AND model_name = 'flights-delay' AND time >= TIMESTAMPTZ '${since}' AND time < TIMESTAMPTZ '2001-06-12 00:00:00+00'`);
    expect(expected!.n).toBeGreaterThan(500);
    const r = await runCli(['replay', '--traffic', traffic, ...common, '--since', since, '--until', until, '--trace', runs,
      '--latency-rows', '200', '--concurrency', '4', '--threads', '1', '--inter-threads', '2', '--no-log-predictions']);
    const report = parse(r);
    expect(report.traffic.rows).toBe(expected!.n);
    expect(report.traffic.source).toBe(traffic);
    expect(report.traffic.window).toContain(`${since}..${until}`);
    expect(report.skipped_rows).toBe(0);
    expect(report.flips!.n).toBe(expected!.n);
    expect(report.baseline).toMatchObject({ version: 'v1', path: MODEL_V1 });
    expect(report.trace).toBe(runs);
    expect(report.environment).toMatchObject({ concurrency: 4, intra_op_threads: 1, inter_op_threads: 2 });
    expect(report.latency.map((l) => l.role).sort()).toEqual(['baseline', 'candidate']);
    for (const l of report.latency) {
      expect(l).toMatchObject({ concurrency: 4, intra_op_threads: 1, inter_op_threads: 2, batch_size: 1, execution_provider: 'cpu' });
      expect(l.calls).toBe(200);
      expect(l.rows).toBe(200);
      expect(l.p50_ms).toBeGreaterThan(0);
      expect(l.p50_ms).toBeLessThanOrEqual(l.p95_ms);
      expect(l.p95_ms).toBeLessThanOrEqual(l.p99_ms);
      expect(l.p99_ms).toBeLessThanOrEqual(l.max_ms);
      expect(l.rows_per_s).toBeGreaterThan(0);
    }
    // Stored in the run trace; nothing written to the traffic trace.
    const stored = await queryTrace<{ status: string; rows: number }>(runs, `SELECT status, (results->'traffic'->>'rows')::INT AS rows FROM runs WHERE id = '${report.run_id}'`);
    expect(stored).toEqual([{ status: 'ok', rows: expected!.n }]);
    expect(await queryTrace(traffic, `SELECT id FROM runs WHERE id = '${report.run_id}'`)).toEqual([]);
  });

  test('--since alone and --until alone bound the window on one side', async () => {
    const [counts] = await queryTrace<{ after: number; before: number }>(traffic, `SELECT
      count(*) FILTER (WHERE time >= TIMESTAMPTZ '2001-06-30 12:00:00+00')::INT AS after,
      count(*) FILTER (WHERE time < TIMESTAMPTZ '2001-04-01 12:00:00+00')::INT AS before
      FROM predictions WHERE source = 'served' AND model_name = 'flights-delay'`);
    expect(counts!.after).toBeGreaterThan(0);
    expect(counts!.before).toBeGreaterThan(0);
    const after = parse(await runCli(['replay', '--traffic', traffic, ...common, '--since', '2001-06-30T12:00:00Z', '--trace', runs, '--latency-rows', '0', '--no-log-predictions']));
    expect(after.traffic.rows).toBe(counts!.after);
    const before = parse(await runCli(['replay', '--traffic', traffic, ...common, '--until', '2001-04-01T12:00:00Z', '--trace', runs, '--latency-rows', '0', '--no-log-predictions']));
    expect(before.traffic.rows).toBe(counts!.before);
  });

  test('--last N: the N newest served predictions, replayed into the traffic trace itself', async () => {
    const r = await runCli(['replay', '--traffic', traffic, ...common, '--baseline', MODEL_V1, '--last', '750', '--trace', traffic, '--latency-rows', '0']);
    const report = parse(r);
    expect(report.traffic.rows).toBe(750);
    expect(report.traffic.window).toContain('last 750');
    expect(report.trace).toBe(traffic);
    expect(report.latency).toEqual([]);
    // The replayed candidate predictions are exactly the 750 newest served ones (same keys, same times).
    const [cmp] = await queryTrace<{ replayed: number; same: number; newest: number }>(traffic, `WITH newest AS (
        SELECT join_key, time FROM predictions WHERE source = 'served' AND model_name = 'flights-delay' ORDER BY time DESC, id DESC LIMIT 750),
      replayed AS (SELECT join_key, time FROM predictions WHERE source = 'replay:${report.run_id}' AND model_version = 'v2')
      SELECT (SELECT count(*) FROM replayed)::INT AS replayed, (SELECT count(*) FROM newest)::INT AS newest,
        (SELECT count(*) FROM replayed JOIN newest USING (join_key, time))::INT AS same`);
    expect(cmp).toEqual({ replayed: 750, newest: 750, same: 750 });
  });
});
