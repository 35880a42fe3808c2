/**
 * Cancelling a long replay (issue 7: "long ones show progress and can be cancelled"):
 * - through the daemon: the client that started the replay closes its WebSocket mid-scoring, or
 *   sends `cancel_run`, or drops its HTTP request → the daemon stops scoring (no more progress for
 *   that run), stores the run as `cancelled` without its replayed predictions, and stays healthy;
 * - headless: `sightline replay` on a trace with no daemon gets SIGTERM mid-run → it exits 143
 *   and the run row says `cancelled`.
 * The replay is made slow on purpose (100 000 rows of the sample's training set, 64 rows a batch).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { StreamConnection } from '../../../clients/typescript/client';
import type { RunProgress } from '../../../protocol';
import { CLI, MODEL_V1, MODEL_V2, SAMPLE, startDaemon, type RunningDaemon } from '../../helpers/daemon';
import { queryTrace } from '../../helpers/sample';

const TRAFFIC = path.join(SAMPLE, 'baselines', 'train-v1.parquet');
const SLOW = { traffic: TRAFFIC, candidate: MODEL_V2, baseline: MODEL_V1, label: 'is_delayed', batch_size: 64, latency_rows: 0, threads: 1 };

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, f: () => T | undefined | null | false, ms = 60_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

describe('through the daemon', () => {
  let d: RunningDaemon;
  let watcher: StreamConnection;
  const events: RunProgress[] = [];

  beforeAll(async () => {
    d = await startDaemon();
    watcher = await d.client.stream();
    watcher.subscribe(['run_progress']);
    watcher.onMessage((m) => { if (m.type === 'event' && m.event === 'run_progress') events.push(...(m.data as RunProgress[])); });
  });

  afterAll(async () => {
    watcher?.close();
    await d?.stop();
    d?.cleanup();
  });

  /** Waits for a run that is scoring (past its first batches) and not `exclude`; its id. */
  const scoringRun = (exclude: Set<string>): Promise<string> => until('a run scoring', () => events.find((p) => p.phase === 'scoring' && p.done >= 640 && !exclude.has(p.run_id))?.run_id);

  /** After the run was cancelled: no further scoring progress, stored as cancelled, nothing logged, daemon healthy. */
  async function expectCancelled(runId: string): Promise<void> {
    const cancelled = await until('the cancelled event', () => events.find((p) => p.run_id === runId && p.phase === 'cancelled'));
    expect(cancelled.message).toBeTruthy();
    const at = events.indexOf(cancelled);
    const doneAt = Math.max(...events.filter((p) => p.run_id === runId && p.phase === 'scoring').map((p) => p.done));
    expect(doneAt).toBeLessThan(100_000);
    await sleep(1500);
    const mine = events.filter((p) => p.run_id === runId);
    expect(mine.filter((p) => events.indexOf(p) > at)).toEqual([]);
    expect(mine.some((p) => p.phase === 'done' || p.phase === 'analysing')).toBe(false);
    const run = await watcher.query<{ run: { status: string; results: unknown; ended: string | null } }>('run', { id: runId });
    expect(run.run).toMatchObject({ status: 'cancelled', results: null });
    expect(run.run.ended).not.toBeNull();
    const logged = await watcher.query<{ runs: Array<{ id: string; status: string }> }>('runs', { kind: 'replay' });
    expect(logged.runs.find((r) => r.id === runId)?.status).toBe('cancelled');
    const health = await d.client.health();
    expect(health).toBeTruthy();
  }

  test('closing the WebSocket that started a replay cancels it', async () => {
    const seen = new Set(events.map((e) => e.run_id));
    const client = await d.client.stream();
    const answer = client.query('replay', SLOW).then(() => 'answered', (e: Error) => e.message);
    const runId = await scoringRun(seen);
    client.close();
    expect(await answer).toMatch(/closed/);
    await expectCancelled(runId);
  });

  test('the cancel_run query cancels a replay and its caller gets a typed error', async () => {
    const seen = new Set(events.map((e) => e.run_id));
    const client = await d.client.stream();
    try {
      const answer = client.query('replay', SLOW).then(() => null, (e: { code?: string; message: string }) => e);
      const runId = await scoringRun(seen);
      expect(await watcher.query('cancel_run', { run_id: runId })).toEqual({ run_id: runId, cancelled: true });
      const err = await answer;
      expect(err?.code).toBe('conflict');
      expect(err?.message).toMatch(/cancelled/);
      await expectCancelled(runId);
      expect(await watcher.query('cancel_run', { run_id: runId })).toEqual({ run_id: runId, cancelled: false });
      await expect(watcher.query('cancel_run', {})).rejects.toMatchObject({ code: 'invalid_request' });
    } finally {
      client.close();
    }
  });

  test('the editor\'s Cancel: SIGTERM to `sightline replay` running through the daemon cancels the daemon\'s run, exit 143', async () => {
    const seen = new Set(events.map((e) => e.run_id));
    const child = spawn(process.execPath, [CLI, 'replay', '--traffic', TRAFFIC, '--model', MODEL_V2, '--baseline', MODEL_V1, '--label', 'is_delayed',
      '--batch-size', '64', '--latency-rows', '0', '--threads', '1', '--json'], { env: { ...process.env, SIGHTLINE_HOME: d.home }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (b) => (stderr += b.toString()));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    const runId = await scoringRun(seen);
    expect(stderr).toMatch(/running through the daemon/);
    child.kill('SIGTERM');
    expect(await exited, stderr).toBe(143);
    expect(stderr).toMatch(new RegExp(`run ${runId} was cancelled`));
    await expectCancelled(runId);
  });

  test('dropping the HTTP request of POST /v1/replay cancels it', async () => {
    const seen = new Set(events.map((e) => e.run_id));
    const body = JSON.stringify(SLOW);
    const req = http.request({
      host: '127.0.0.1', port: d.info.port, path: '/v1/replay', method: 'POST',
      headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body), Authorization: `Bearer ${d.info.token}` },
    });
    req.on('error', () => undefined);
    req.end(body);
    const runId = await scoringRun(seen);
    req.destroy();
    await expectCancelled(runId);
  });
});

describe('headless', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sightline-cancel-'));
  const trace = path.join(dir, 'ci-trace.duckdb');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('SIGTERM mid-run: exit 143, the run row says cancelled, no replayed predictions kept', async () => {
    const child = spawn(process.execPath, [CLI, 'replay', '--traffic', TRAFFIC, '--model', MODEL_V2, '--baseline', MODEL_V1, '--label', 'is_delayed',
      '--batch-size', '64', '--latency-rows', '0', '--threads', '1', '--no-daemon', '--trace', trace, '--json'], { cwd: dir, env: { ...process.env, SIGHTLINE_HOME: path.join(dir, 'home') }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let stdout = '';
    child.stderr.on('data', (b) => (stderr += b.toString()));
    child.stdout.on('data', (b) => (stdout += b.toString()));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.once('exit', (code, signal) => r({ code, signal })));
    await until('scoring progress', () => /scoring: [1-9]\d{3,}\//.test(stderr), 90_000);
    child.kill('SIGTERM');
    const { code, signal } = await exited;
    expect(signal, stderr).toBeNull();
    expect(code, stderr).toBe(143);
    expect(stderr).toMatch(/SIGTERM: cancelling the run/);
    expect(stderr).toMatch(/was cancelled/);
    expect(stdout).toBe('');
    const runs = await queryTrace<{ id: string; status: string; results: string | null; ended: string | null }>(trace, `SELECT id, status, results::VARCHAR AS results, ended::VARCHAR AS ended FROM runs WHERE kind = 'replay'`);
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ status: 'cancelled', results: null });
    expect(runs[0]!.ended).not.toBeNull();
    const preds = await queryTrace<{ n: number }>(trace, `SELECT count(*)::INTEGER AS n FROM predictions WHERE source = 'replay:${runs[0]!.id}'`);
    expect(preds[0]!.n).toBe(0);
  });
});
