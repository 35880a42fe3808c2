/**
 * The same engine behind the editor: with a daemon running (v1 served, v2 in shadow), the CLI
 * runs replay and compare through it (the runs land in the daemon's trace, progress streams as
 * `run_progress` events on the WebSocket, the `runs`/`run` queries return them), and
 * `POST /v1/replay` / `POST /v1/eval` validate their bodies.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { StreamConnection } from '../../../clients/typescript/client';
import { CompareReport, ReplayReport, SightlineError, type RunProgress } from '../../../protocol';
import { MODEL_V1, MODEL_V2, runCli, SAMPLE, startDaemon, type RunningDaemon } from '../../helpers/daemon';
import { sampleRecords } from '../../helpers/sample';

let d: RunningDaemon;
let stream: StreamConnection;
const progress: RunProgress[] = [];

beforeAll(async () => {
  d = await startDaemon(['--model', MODEL_V1, '--shadow', `${MODEL_V2}=flights-delay`]);
  const { records, flightIds, labels } = await sampleRecords(2000);
  for (let i = 0; i < records.length; i += 200) {
    await d.client.predict({ model: 'flights-delay', records: records.slice(i, i + 200), join_keys: flightIds.slice(i, i + 200) });
  }
  await d.client.logLabels({ source: 'test', labels: flightIds.map((k, i) => ({ join_key: k, value: labels[i]! })) });
  for (let i = 0; i < 100 && (await d.client.health()).pending_rows > 0; i++) await new Promise((r) => setTimeout(r, 100));
  stream = await d.client.stream();
  stream.subscribe(['run_progress']);
  stream.onMessage((m) => { if (m.type === 'event' && m.event === 'run_progress') progress.push(...(m.data as RunProgress[])); });
}, 120_000);

afterAll(async () => {
  stream?.close();
  await d?.stop();
  d?.cleanup();
});

describe('through the daemon', () => {
  test('replay of the daemon\'s own logged traffic: baseline = the served model, run in its trace, progress streamed', async () => {
    const r = await runCli(['replay', '--traffic', d.trace, '--model', MODEL_V2, '--gate', 'flip_rate < 0.5', '--json', '--latency-rows', '100'], { SIGHTLINE_HOME: d.home });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/running through the daemon/);
    const report = ReplayReport.parse(JSON.parse(r.stdout));
    expect(report.trace).toBe(path.resolve(d.trace));
    expect(report.baseline).toMatchObject({ name: 'flights-delay', version: 'v1' });
    expect(report.traffic).toMatchObject({ source: d.trace, window: 'flights-delay', rows: 2000 });
    expect(report.label_sanity.coverage).toBe(1);
    expect(report.passed).toBe(true);
    const mine = progress.filter((p) => p.run_id === report.run_id);
    expect(mine[0]!.phase).toBe('started');
    expect(mine.some((p) => p.phase === 'scoring' && p.done === p.total)).toBe(true);
    expect(mine[mine.length - 1]).toMatchObject({ phase: 'done', passed: true });
    const runs = await stream.query<{ runs: Array<{ id: string; kind: string; passed: boolean | null }> }>('runs', { kind: 'replay' });
    expect(runs.runs).toContainEqual(expect.objectContaining({ id: report.run_id, kind: 'replay', passed: true }));
    const run = await stream.query<{ run: { results: unknown } }>('run', { id: report.run_id });
    expect(ReplayReport.parse(run.run.results).run_id).toBe(report.run_id);
  });

  test('eval through the WebSocket query, as the editor\'s "Run Evaluation" sends it', async () => {
    const report = ReplayReport.parse(await stream.query('eval', { data: path.join(SAMPLE, 'baselines', 'train-v1.parquet'), model: MODEL_V2, limit: 1500, latency_rows: 0 }));
    expect(report).toMatchObject({ kind: 'eval', baseline: null, traffic: { rows: 1500 } });
    expect(report.overall.candidate.n).toBe(1500);
    expect(progress.some((p) => p.run_id === report.run_id && p.phase === 'done')).toBe(true);
  });

  test('compare v1 (served) against v2 (shadow) on the logged traffic, stored as a run', async () => {
    const r = await runCli(['compare', '--a', 'flights-delay@v1', '--b', 'flights-delay@v2', '--save', '--json'], { SIGHTLINE_HOME: d.home });
    expect(r.code, r.stderr).toBe(0);
    const report = CompareReport.parse(JSON.parse(r.stdout));
    expect(report).toMatchObject({ design: 'shadow', a: { model: 'flights-delay@v1', source: 'served', rows: 2000, labelled: 2000 }, b: { source: 'shadow', rows: 2000 } });
    expect(report.metrics.map((m) => [m.metric, m.test])).toEqual([
      ['accuracy', 'two-proportion z-test'], ['log_loss', 'Welch t-test'], ['positive_rate', 'two-proportion z-test'], ['latency_ms', 'Mann–Whitney U'],
    ]);
    expect(['better', 'worse', 'no_difference', 'not_enough_data', 'different']).toContain(report.verdict);
    expect(report.run_id).toMatch(/^compare-/);
    const runs = await stream.query<{ runs: Array<{ id: string }> }>('runs', { kind: 'compare' });
    expect(runs.runs.map((x) => x.id)).toContain(report.run_id);
  });

  test('bad bodies are refused with a typed error and change nothing', async () => {
    await expect(d.client.request('POST', '/v1/replay', { traffic: d.trace })).rejects.toMatchObject({ code: 'invalid_request' });
    await expect(d.client.request('POST', '/v1/eval', { data: '/nope.csv', model: MODEL_V2 })).rejects.toBeInstanceOf(SightlineError);
    await expect(d.client.request('POST', '/v1/replay', { traffic: d.trace, candidate: MODEL_V2, gates: [{ expr: 'nope > 1' }] })).rejects.toThrow(/no value named "nope"/);
  });
});
