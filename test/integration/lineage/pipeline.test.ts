/**
 * A real Python pipeline (raw → clean → features → train, in a git repository) logged through
 * the lineage SDK to a running daemon; the daemon then serves the trained model, and a served
 * prediction is traced back to the raw data with content hashes, the commit and the code lines.
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withRun } from '../../../clients/typescript/lineage';
import { TraceResult, type ArtifactNode, type ModelNode, type RunNode, type TraceNode } from '../../../protocol';
import { MODEL_V1, runCli, startDaemon, type RunningDaemon } from '../../helpers/daemon';
import { makePipelineRepo, runPipeline, type PipelineRepo, type PipelineResult } from '../../helpers/lineage';
import { queryTrace, sampleRecords } from '../../helpers/sample';
import { openSocket } from '../../helpers/wire';

const sha256 = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex');

/** Follows the upstream edges from `key` with `relation`. */
function next(trace: TraceResult, key: string, relation: string): TraceNode[] {
  return trace.edges.filter((e) => e.from === key && e.relation === relation).map((e) => trace.nodes.find((n) => n.key === e.to)!);
}

describe('lineage: prediction → model → training run → upstream runs → raw data', () => {
  let d: RunningDaemon;
  let p: PipelineRepo;
  let pipeline: PipelineResult;
  let predictionId: string;
  let cliJson: TraceResult;

  beforeAll(async () => {
    d = await startDaemon();
    p = makePipelineRepo(d.dir);
    ({ result: pipeline } = await runPipeline(p, d.home, [MODEL_V1]));
    const model = await d.client.loadModel({ path: pipeline.models[0]! });
    expect(model.id).toBe(sha256(MODEL_V1));
    const { records } = await sampleRecords(3);
    const res = await d.client.predict({ model: 'flights-delay', records });
    predictionId = res.predictions[1]!.id;
  });
  afterAll(async () => {
    await d?.stop();
    d?.cleanup();
  });

  it('the SDK delivered every run to the daemon (none spooled)', () => {
    expect(Object.values(pipeline.deliveries)).toEqual(['sent']);
    expect(pipeline.runs.train).toHaveLength(1);
  });

  it('`sightline trace <prediction> --json` (via the daemon) walks down to the raw file, matching by content hash', async () => {
    const cli = await runCli(['trace', predictionId, '--json'], { SIGHTLINE_HOME: d.home });
    expect(cli.code, cli.stderr).toBe(0);
    cliJson = TraceResult.parse(JSON.parse(cli.stdout));
    const t = cliJson;
    expect(t.root).toBe(`prediction:${predictionId}`);
    expect(t.warnings).toEqual([]);
    expect(t.stale_runs).toEqual([]);

    const [model] = next(t, t.root, 'made_by') as ModelNode[];
    expect(model).toMatchObject({ type: 'model', name: 'flights-delay', version: 'v1', id: sha256(MODEL_V1), training_run_id: pipeline.runs.train[0] });
    const [file] = next(t, model!.key, 'same_content') as ArtifactNode[];
    expect(file).toMatchObject({ name: 'models/flights-delay-v1.onnx', kind: 'model', content_hash: model!.id, size: readFileSync(MODEL_V1).length });

    const [train] = next(t, file!.key, 'produced_by') as RunNode[];
    expect(train).toMatchObject({
      component: 'train', id: pipeline.runs.train[0], status: 'ok', git_commit: p.commit, git_dirty: false,
      code_file: 'pipeline/flights_pipeline.py', params: { C: 1, seed: 7, solver: 'lbfgs' }, metrics: { auc: 0.71 }, stale: false,
    });
    expect(train!.code_line).toBe(lineOf(p.script, 'with sightline.run("train"'));
    const [features] = next(t, train!.key, 'read') as ArtifactNode[];
    expect(features).toMatchObject({ name: 'data/features/airport_features.csv', kind: 'features', content_hash: sha256(path.join(p.repo, 'data/features/airport_features.csv')) });

    const [featRun] = next(t, features!.key, 'produced_by') as RunNode[];
    expect(featRun).toMatchObject({ component: 'features', id: pipeline.runs.features, git_commit: p.commit, params: { min_len: 3 }, metrics: { rows: expect.any(Number) } });
    expect(featRun!.code_line).toBe(lineOf(p.script, '@sightline.component_run("features"'));
    const [clean] = next(t, featRun!.key, 'read') as ArtifactNode[];
    expect(clean).toMatchObject({ name: 'data/clean/airports.csv', content_hash: pipeline.hashes[path.join(p.repo, 'data/clean/airports.csv')] });

    const [cleanRun] = next(t, clean!.key, 'produced_by') as RunNode[];
    expect(cleanRun).toMatchObject({ component: 'clean', id: pipeline.runs.clean, git_commit: p.commit, git_dirty: false, code_file: 'pipeline/flights_pipeline.py' });
    const [raw] = next(t, cleanRun!.key, 'read') as ArtifactNode[];
    // The raw data: the sample's real airport table, hashed by the SDK exactly as sha256 of the file.
    expect(raw).toMatchObject({ name: 'data/raw/airports.json', kind: 'data', content_hash: sha256(path.join(p.repo, 'data/raw/airports.json')) });
    expect(next(t, raw!.key, 'produced_by')).toEqual([]);
    expect(t.edges.filter((e) => e.relation === 'produced_by').every((e) => e.match === 'hash')).toBe(true);
  });

  it('`sightline trace <prediction>` prints the tree with commits, params and short hashes', async () => {
    const cli = await runCli(['trace', predictionId], { SIGHTLINE_HOME: d.home });
    expect(cli.code, cli.stderr).toBe(0);
    console.log(`sightline trace ${predictionId}\n${cli.stdout}`);
    const lines = cli.stdout.trimEnd().split('\n');
    const short = p.commit.slice(0, 7);
    const expected = [
      new RegExp(`^prediction ${predictionId}  flights-delay@v1  score `),
      new RegExp(`^└─ model flights-delay@v1  sha256 ${sha256(MODEL_V1).slice(0, 12)}  file models/flights-delay-v1\\.onnx$`),
      new RegExp(`^   └─ run train#${pipeline.runs.train[0]!.slice(0, 8)}  ok  commit ${short}  pipeline/flights_pipeline\\.py:\\d+  `),
      /^ {6}│ {2}params C=1, seed=7, solver=lbfgs$/,
      /^ {6}│ {2}metrics auc=0\.71$/,
      /^ {6}└─ features data\/features\/airport_features\.csv  sha256 [0-9a-f]{12}  \d+ B$/,
      new RegExp(`^ {9}└─ run features#${pipeline.runs.features.slice(0, 8)}  ok  commit ${short}  `),
      /^ {12}│ {2}params min_len=3$/,
      /^ {12}│ {2}metrics rows=\d+$/,
      /^ {12}└─ data data\/clean\/airports\.csv  sha256 [0-9a-f]{12}/,
      new RegExp(`^ {15}└─ run clean#${pipeline.runs.clean.slice(0, 8)}  ok  commit ${short}  `),
      /^ {18}│ {2}params keep=origin\+destination$/,
      new RegExp(`^ {18}└─ data data/raw/airports\\.json  sha256 ${sha256(path.join(p.repo, 'data/raw/airports.json')).slice(0, 12)}  .*\\(source: no logged run wrote it\\)$`),
    ];
    expect(lines).toHaveLength(expected.length);
    lines.forEach((line, i) => expect(line).toMatch(expected[i]!));
  });

  it('the editor gets the same graph over the WebSocket query `trace`', async () => {
    const ws = await openSocket(d.info.port, { headers: { Authorization: `Bearer ${d.info.token}` } });
    try {
      ws.send({ type: 'query', id: 7, method: 'trace', params: { prediction: predictionId } });
      const res = await ws.next<{ type: 'response'; id: number; result: unknown }>((m) => m.type === 'response' && m.id === 7, 'trace response');
      expect(TraceResult.parse(res.result)).toEqual(cliJson);
      ws.send({ type: 'query', id: 8, method: 'trace', params: { prediction: 'not-a-uuid' } });
      const bad = await ws.next<{ type: 'response'; id: number; error: { code: string; path: unknown[] } }>((m) => m.type === 'response' && m.id === 8, 'error response');
      expect(bad.error).toMatchObject({ code: 'bad_value', path: ['prediction'] });
    } finally {
      await ws.close();
    }
  });

  it('a TypeScript step (SDK) reading the model is traced through the same training run', async () => {
    const report = path.join(p.repo, 'reports', 'eval.json');
    const delivered: string[] = [];
    await withRun('evaluate', { home: d.home, params: { split: 'holdout' }, inputs: [pipeline.models[0]!] }, async (r) => {
      const { mkdirSync } = await import('node:fs');
      mkdirSync(path.dirname(report), { recursive: true });
      writeFileSync(report, JSON.stringify({ auc: 0.7 }));
      r.output(report, { kind: 'report' }).metric('auc', 0.7);
      delivered.push(r.id);
    });
    const cli = await runCli(['trace', 'reports/eval.json', '--json'], { SIGHTLINE_HOME: d.home });
    expect(cli.code, cli.stderr).toBe(0);
    const t = TraceResult.parse(JSON.parse(cli.stdout));
    const runs = t.nodes.filter((n): n is RunNode => n.type === 'run');
    expect(runs.map((r) => r.component)).toEqual(['evaluate', 'train', 'features', 'clean']);
    expect(runs[0]).toMatchObject({ id: delivered[0], params: { split: 'holdout' }, metrics: { auc: 0.7 }, code_file: expect.stringMatching(/lineage\/pipeline\.test\.ts$/) });
  });

  it('after a clean stop: models.training_run_id is stored, and `--trace FILE` reads the file in-process, read-only', async () => {
    expect(await d.stop()).toBe(0);
    const [m] = await queryTrace<{ training_run_id: string }>(d.trace, `SELECT training_run_id FROM models WHERE id = '${sha256(MODEL_V1)}'`);
    expect(m!.training_run_id).toBe(pipeline.runs.train[0]);
    const cli = await runCli(['trace', predictionId, '--trace', d.trace, '--json'], { SIGHTLINE_HOME: d.home });
    expect(cli.code, cli.stderr).toBe(0);
    expect(TraceResult.parse(JSON.parse(cli.stdout))).toEqual(cliJson);
    const byRun = await runCli(['trace', `train#${pipeline.runs.train[0]!.slice(0, 8)}`, '--trace', d.trace], { SIGHTLINE_HOME: d.home });
    expect(byRun.code, byRun.stderr).toBe(0);
    expect(byRun.stdout.split('\n')[0]).toMatch(/^run train#/);
    const missing = await runCli(['trace', 'no-such-thing', '--trace', d.trace], { SIGHTLINE_HOME: d.home });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('[not_found]');
    // With no daemon holding the file, `flag --trace FILE` writes it in-process; `review` reads it.
    const flag = await runCli(['flag', predictionId, '--reason', 'wrong', '--trace', d.trace], { SIGHTLINE_HOME: d.home });
    expect(flag.code, flag.stderr).toBe(0);
    expect(flag.stdout).toBe('flagged 1 prediction\n');
    const review = await runCli(['review', '--trace', d.trace, '--json'], { SIGHTLINE_HOME: d.home });
    expect(review.code, review.stderr).toBe(0);
    expect(JSON.parse(review.stdout)).toMatchObject({ flagged: 1, unflagged: 2, models: 1 });
  });
});

function lineOf(file: string, text: string): number {
  const i = readFileSync(file, 'utf8').split('\n').findIndex((l) => l.includes(text));
  if (i < 0) throw new Error(`${text} not in ${file}`);
  return i + 1;
}
