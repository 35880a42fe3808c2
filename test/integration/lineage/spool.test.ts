/**
 * No lineage is lost when no daemon runs: the SDKs (Python and TypeScript) spool each run to
 * $SIGHTLINE_HOME/spool/*.jsonl, quickly and without failing the pipeline; the next daemon start
 * stores them before it listens and removes the files only after the commit.
 */
import { createHash } from 'node:crypto';
import { appendFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { componentRun, spoolDir } from '../../../clients/typescript/lineage';
import { TraceResult, type RunNode } from '../../../protocol';
import { MODEL_V1, runCli, startDaemon, type RunningDaemon } from '../../helpers/daemon';
import { makePipelineRepo, runPipeline, type PipelineRepo, type PipelineResult } from '../../helpers/lineage';
import { queryTrace, sampleRecords } from '../../helpers/sample';

describe('lineage: spool while no daemon runs, ingest at the next start', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sightline-spool-'));
  const home = path.join(dir, 'home');
  let p: PipelineRepo;
  let pipeline: PipelineResult;
  let stderr: string;
  let pipelineSeconds: number;
  let tsRunId = '';
  let d: RunningDaemon | undefined;

  beforeAll(async () => {
    p = makePipelineRepo(dir);
    // An uncommitted change to a tracked file: the runs must say the work tree was dirty.
    appendFileSync(path.join(p.repo, 'pipeline', 'flights_pipeline.py'), '\n# local experiment\n');
    // A daemon.json of a daemon that is gone (its port is closed): the SDK must not hang on it.
    const { mkdirSync } = await import('node:fs');
    mkdirSync(home, { recursive: true });
    writeFileSync(path.join(home, 'daemon.json'), JSON.stringify({ port: 1, host: '127.0.0.1', token: 'stale', pid: 999999, trace: '/nowhere', protocol: 1, started_at: new Date().toISOString() }));
    const t0 = performance.now();
    ({ result: pipeline, stderr } = await runPipeline(p, home, [MODEL_V1]));
    pipelineSeconds = (performance.now() - t0) / 1000;
    rmSync(path.join(home, 'daemon.json'));
  });
  afterAll(async () => {
    await d?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the Python SDK spooled every run, one per line, atomically named *.jsonl, without failing or stalling the pipeline', () => {
    expect(Object.values(pipeline.deliveries)).toEqual(['spooled']);
    expect(stderr).toBe('');
    expect(pipelineSeconds).toBeLessThan(20);
    const files = readdirSync(spoolDir(home));
    expect(files.filter((f) => f.endsWith('.jsonl'))).toHaveLength(3);
    expect(files.filter((f) => !f.endsWith('.jsonl'))).toEqual([]); // no temp files left behind
    for (const f of files) {
      const lines = readFileSync(path.join(spoolDir(home), f), 'utf8').trimEnd().split('\n');
      expect(lines).toHaveLength(1);
      const run = JSON.parse(lines[0]!) as { id: string; git_commit: string; git_dirty: boolean };
      expect(f).toContain(run.id);
      expect(run).toMatchObject({ git_commit: p.commit, git_dirty: true });
    }
  });

  it('the TypeScript SDK spools too (wrapper/decorator form), and a broken line is set aside', async () => {
    const report = path.join(dir, 'report.json');
    const evaluate = componentRun('evaluate', { home, inputs: [pipeline.models[0]!], outputs: () => [{ path: report, kind: 'report' }], params: { split: 'holdout' } })(
      async (auc: number) => {
        writeFileSync(report, JSON.stringify({ auc }));
        return auc;
      },
    );
    expect(await evaluate(0.7)).toBe(0.7);
    const files = readdirSync(spoolDir(home)).filter((f) => f.endsWith('.jsonl'));
    expect(files).toHaveLength(4);
    const tsFile = files.find((f) => readFileSync(path.join(spoolDir(home), f), 'utf8').includes('"evaluate"'))!;
    tsRunId = (JSON.parse(readFileSync(path.join(spoolDir(home), tsFile), 'utf8')) as { id: string }).id;
    // A torn line from a crashed writer, and a run whose end precedes its start, in another file.
    writeFileSync(path.join(spoolDir(home), 'zz-broken.jsonl'), '{"component": "half-writ\n{"component":"x","start":"2024-01-02T00:00:00Z","end":"2024-01-01T00:00:00Z"}\n');
  });

  it('the next daemon start ingests them before listening; the trace shows them; the spool files are gone', async () => {
    d = await startDaemon(['--model', path.join(p.repo, 'models', 'flights-delay-v1.onnx')], { dir });
    expect(d.home).toBe(home);
    expect(d.stderr()).toMatch(/spool: ingested 4 run\(s\) from 5 file\(s\), 2 rejected/);
    expect(readdirSync(spoolDir(home)).filter((f) => f.endsWith('.jsonl'))).toEqual([]);
    expect(readFileSync(path.join(spoolDir(home), 'rejected', 'zz-broken.jsonl'), 'utf8').trimEnd().split('\n')).toHaveLength(2);

    const { records } = await sampleRecords(1);
    const id = (await d.client.predict({ model: 'flights-delay', records })).predictions[0]!.id;
    const cli = await runCli(['trace', id, '--json'], { SIGHTLINE_HOME: home });
    expect(cli.code, cli.stderr).toBe(0);
    const t = TraceResult.parse(JSON.parse(cli.stdout));
    const runs = t.nodes.filter((n): n is RunNode => n.type === 'run');
    expect(runs.map((r) => [r.component, r.id])).toEqual([['train', pipeline.runs.train[0]], ['features', pipeline.runs.features], ['clean', pipeline.runs.clean]]);
    expect(runs.every((r) => r.git_commit === p.commit && r.git_dirty === true)).toBe(true);
    const raw = t.nodes.find((n) => n.type === 'artifact' && n.name === 'data/raw/airports.json');
    expect(raw).toMatchObject({ content_hash: createHash('sha256').update(readFileSync(path.join(p.repo, 'data/raw/airports.json'))).digest('hex') });

    const tree = await runCli(['trace', tsRunId], { SIGHTLINE_HOME: home });
    expect(tree.code, tree.stderr).toBe(0);
    expect(tree.stdout).toMatch(/^run evaluate#/);
    expect(tree.stdout).toContain(`run train#${pipeline.runs.train[0]!.slice(0, 8)}`);
  });

  it('re-ingesting the same runs (a crash before the files were removed) stores nothing twice', async () => {
    expect(await d!.stop()).toBe(0);
    const before = await queryTrace<{ n: number }>(d!.trace, 'SELECT count(*)::INTEGER AS n FROM component_runs');
    expect(before[0]!.n).toBe(4);
    const run = { id: pipeline.runs.clean, component: 'clean', start: '2024-01-01T00:00:00Z' };
    writeFileSync(path.join(spoolDir(home), 'again.jsonl'), `${JSON.stringify(run)}\n`);
    d = await startDaemon([], { dir });
    expect(d.stderr()).toMatch(/spool: ingested 0 run\(s\) from 1 file\(s\), 1 already stored/);
    expect(existsSync(path.join(spoolDir(home), 'again.jsonl'))).toBe(false);
    // (serve installs its SIGTERM handler just after printing `listening`: talk to it before stopping it.)
    expect((await d.client.health()).status).toBe('ok');
    expect(await d.stop()).toBe(0);
    const after = await queryTrace<{ n: number }>(d.trace, 'SELECT count(*)::INTEGER AS n FROM component_runs');
    expect(after[0]!.n).toBe(4);
  });
});
