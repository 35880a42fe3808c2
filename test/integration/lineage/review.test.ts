/**
 * Flag and review: one pipeline, two training runs (C=1 and the planted culprit C=1000), each
 * exporting a model the daemon serves. Predictions of the culprit's model are flagged far more
 * often; `sightline review` must rank the culprit run first — by effect size and Fisher's test,
 * while the shared upstream runs (in every trace) show no association.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorBody, FlagResponse, ReviewResult, TraceResult } from '../../../protocol';
import { differenceInProportions, fisherExact } from '../../../daemon/lineage/statistics';
import { MODEL_V1, MODEL_V2, runCli, startDaemon, type RunningDaemon } from '../../helpers/daemon';
import { makePipelineRepo, runPipeline, type PipelineResult } from '../../helpers/lineage';
import { sampleRecords } from '../../helpers/sample';
import { call, featuresOf, openSocket, project } from '../../helpers/wire';

const N = 60;

describe('lineage: flagged outputs → review ranks the planted culprit run first', () => {
  let d: RunningDaemon;
  let pipeline: PipelineResult;
  const ids: Record<'v1' | 'v2', string[]> = { v1: [], v2: [] };
  let flagged: Record<'v1' | 'v2', number>;

  beforeAll(async () => {
    d = await startDaemon();
    const p = makePipelineRepo(d.dir);
    ({ result: pipeline } = await runPipeline(p, d.home, [MODEL_V1, MODEL_V2]));
    for (const m of pipeline.models) await d.client.loadModel({ path: m, make_default: false });
    const { records } = await sampleRecords(N);
    for (const v of ['v1', 'v2'] as const) {
      const feats = await featuresOf(d, `flights-delay@${v}`);
      const res = await d.client.predict({ model: `flights-delay@${v}`, records: project(records, feats) });
      ids[v] = res.predictions.map((x) => x.id);
    }
    // Users flag wrong answers: 3 of v1's 60 (5 %), 24 of v2's 60 (40 %). More flags in total
    // would not matter; the rate per trace does.
    const pick = (list: string[], every: number) => list.filter((_, i) => i % every === 0);
    const f1 = pick(ids.v1, 20);
    const f2 = ids.v2.filter((_, i) => i % 5 < 2);
    flagged = { v1: f1.length, v2: f2.length };
    const cliFlag = await runCli(['flag', ...f1, '--reason', 'delay was 2 h', '--json'], { SIGHTLINE_HOME: d.home });
    expect(cliFlag.code, cliFlag.stderr).toBe(0);
    expect(FlagResponse.parse(JSON.parse(cliFlag.stdout))).toEqual({ target_kind: 'prediction', flagged: f1.length });
    const api = await call(d, 'POST', '/v1/flags', { ids: [...f2, f2[0]], reason: 'on time, predicted delayed', source: 'support-desk' });
    expect(api.status, api.text).toBe(200);
    expect(api.json).toEqual({ target_kind: 'prediction', flagged: f2.length });
  });
  afterAll(async () => {
    await d?.stop();
    d?.cleanup();
  });

  it('`sightline review --json` ranks the culprit training run first, significant, with scipy-exact statistics', async () => {
    expect(flagged).toEqual({ v1: 3, v2: 24 });
    // --trace naming the file this daemon holds goes through the daemon (the file is locked to it).
    const cli = await runCli(['review', '--json', '--limit', '50', '--trace', d.trace], { SIGHTLINE_HOME: d.home });
    expect(cli.code, cli.stderr).toBe(0);
    const r = ReviewResult.parse(JSON.parse(cli.stdout));
    expect(r).toMatchObject({ flagged: 27, unflagged: 93, models: 2 });
    const [culprit] = pipeline.runs.train.slice(1);
    const top = r.entries[0]!;
    expect(top).toMatchObject({ rank: 1, kind: 'run', id: culprit, flagged_with: 24, flagged_total: 27, unflagged_with: 36, unflagged_total: 93, significant: true });
    expect(top.difference).toBeCloseTo(differenceInProportions(24, 3, 36, 57), 12);
    // scipy.stats.fisher_exact([[24, 3], [36, 57]]).pvalue; see test/unit/lineage/statistics.test.ts for the reference values
    expect(top.p_value).toBe(fisherExact(24, 3, 36, 57));
    expect(top.p_value).toBeLessThan(1e-5);
    // The good run is negatively associated; the shared upstream (features, clean, raw data) is in every trace.
    const good = r.entries.find((e) => e.id === pipeline.runs.train[0])!;
    expect(good.difference).toBeLessThan(0);
    expect(good.significant).toBe(false);
    for (const id of [pipeline.runs.features, pipeline.runs.clean]) {
      expect(r.entries.find((e) => e.id === id)).toMatchObject({ difference: 0, p_value: 1, significant: false });
    }
    expect(r.entries.filter((e) => e.significant).map((e) => e.kind)).toEqual(['run', 'artifact', 'model']);
  });

  it('`sightline review` prints the ranking table; the editor gets it over WebSocket', async () => {
    const cli = await runCli(['review'], { SIGHTLINE_HOME: d.home });
    expect(cli.code, cli.stderr).toBe(0);
    console.log(`sightline review\n${cli.stdout}`);
    const row = cli.stdout.split('\n').find((l) => l.startsWith('1 '))!;
    expect(row).toMatch(new RegExp(`^1\\s+run\\s+train#${pipeline.runs.train[1]!.slice(0, 8)}\\s+88\\.9% \\(24/27\\)\\s+38\\.7% \\(36/93\\)\\s+\\+0\\.502`));
    const ws = await openSocket(d.info.port, { headers: { Authorization: `Bearer ${d.info.token}` } });
    try {
      ws.send({ type: 'query', id: 1, method: 'review', params: { limit: 1 } });
      const res = await ws.next<{ type: 'response'; id: number; result: unknown }>((m) => m.type === 'response' && m.id === 1, 'review');
      expect(ReviewResult.parse(res.result).entries.map((e) => e.id)).toEqual([pipeline.runs.train[1]]);
    } finally {
      await ws.close();
    }
  });

  it('a flagged prediction shows its flag in its trace', async () => {
    const f2 = ids.v2[0]!;
    const cli = await runCli(['trace', f2, '--json'], { SIGHTLINE_HOME: d.home });
    const t = TraceResult.parse(JSON.parse(cli.stdout));
    // Sent twice in one request, stored once.
    expect(t.nodes[0]!.flags).toEqual([{ reason: 'on time, predicted delayed', source: 'support-desk', time: expect.any(String) }]);
    const tree = await runCli(['trace', f2], { SIGHTLINE_HOME: d.home });
    expect(tree.stdout).toContain('FLAGGED: on time, predicted delayed (support-desk');
  });

  it('flags of unknown or malformed ids are refused whole: typed errors, nothing flagged', async () => {
    const before = ReviewResult.parse(JSON.parse((await runCli(['review', '--json'], { SIGHTLINE_HOME: d.home })).stdout)).flagged;
    const unknown = await call(d, 'POST', '/v1/flags', { ids: [ids.v1[1], '01900000-0000-7000-8000-000000000000'] });
    expect(unknown.status).toBe(404);
    expect(ErrorBody.parse(unknown.json).error).toMatchObject({ code: 'not_found', path: ['ids', 1] });
    const malformed = await call(d, 'POST', '/v1/flags', { ids: [ids.v1[1], 'nope'] });
    expect(malformed.status).toBe(400);
    expect(ErrorBody.parse(malformed.json).error).toMatchObject({ code: 'bad_value', path: ['ids', 1] });
    const empty = await call(d, 'POST', '/v1/flags', { ids: [] });
    expect(ErrorBody.parse(empty.json).error).toMatchObject({ code: 'invalid_request', path: ['ids'] });
    const cli = await runCli(['flag', 'nope'], { SIGHTLINE_HOME: d.home });
    expect(cli.code).toBe(2);
    expect(cli.stderr).toContain('[bad_value]');
    const after = ReviewResult.parse(JSON.parse((await runCli(['review', '--json'], { SIGHTLINE_HOME: d.home })).stdout)).flagged;
    expect(after).toBe(before);
  });

  it('runs and artifacts can be flagged too (shown in their trace, listed by review)', async () => {
    const culprit = pipeline.runs.train[1]!;
    const res = await call(d, 'POST', '/v1/flags', { target_kind: 'run', ids: [`train#${culprit.slice(0, 8)}`], reason: 'C too large' });
    expect(res.json).toEqual({ target_kind: 'run', flagged: 1 });
    const modelHash = (await d.client.models()).models.find((m) => m.version === 'v2')!.id;
    const art = await call(d, 'POST', '/v1/flags', { target_kind: 'artifact', ids: [modelHash] });
    expect(art.json).toEqual({ target_kind: 'artifact', flagged: 1 });
    const r = ReviewResult.parse(JSON.parse((await runCli(['review', '--json'], { SIGHTLINE_HOME: d.home })).stdout));
    expect(r.flagged_runs).toEqual([culprit]);
    expect(r.flagged_artifacts).toHaveLength(1);
    const tree = await runCli(['trace', culprit], { SIGHTLINE_HOME: d.home });
    expect(tree.stdout).toContain('FLAGGED: C too large');
  });
});
