import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ErrorBody, type FeatureRecord } from '../../../protocol';
import { MODEL_V1, ROOT, runCli, startDaemon, type RunningDaemon } from '../../helpers/daemon';
import { queryTrace, sampleRecords } from '../../helpers/sample';
import { call, featuresOf, openSocket, project, rssBytes, waitFor } from '../../helpers/wire';

/**
 * Faults the daemon must survive: the disk filling up under it, a trace file another process
 * holds, and clients that vanish mid-stream.
 */
describe('faults: disk full, a locked trace, vanishing clients', () => {
  const dirs: string[] = [];
  const daemons: RunningDaemon[] = [];
  const mounts: string[] = [];
  afterAll(async () => {
    for (const d of daemons) await d.kill();
    for (const m of mounts) {
      try {
        execFileSync('umount', [m]);
      } catch {
        /* already gone */
      }
    }
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  const tmp = (): string => {
    const d = mkdtempSync(path.join(os.tmpdir(), 'sightline-faults-'));
    dirs.push(d);
    return d;
  };
  let sample: { records: FeatureRecord[]; flightIds: string[] } | undefined;
  const records = async (d: RunningDaemon): Promise<FeatureRecord[]> => {
    sample ??= await sampleRecords(200);
    return project(sample.records, await featuresOf(d, 'flights-delay'));
  };

  /**
   * A small filesystem for the trace: a tmpfs where we may mount one (root), else the same folder
   * with the daemon's file-size limit (RLIMIT_FSIZE via prlimit; Node ignores SIGXFSZ, so writes
   * fail with EFBIG) standing in for a full disk. SIGHTLINE_FAULTS_DISK=prlimit forces the latter.
   */
  function smallDisk(dir: string): { where: string; method: 'tmpfs' | 'prlimit'; free: () => void; fill: () => void } {
    const mnt = path.join(dir, 'disk');
    mkdirSync(mnt);
    try {
      if (process.env.SIGHTLINE_FAULTS_DISK === 'prlimit') throw new Error('tmpfs not wanted');
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=12m', 'tmpfs', mnt], { stdio: 'ignore' });
      mounts.push(mnt);
      const filler = path.join(mnt, 'filler');
      return {
        where: mnt,
        method: 'tmpfs',
        // Leaves ~1.5 MB for the WAL: a few hundred durable requests fill it.
        fill: () => {
          const free = Number(execFileSync('df', ['-B1', '--output=avail', mnt]).toString().split('\n')[1]);
          writeFileSync(filler, Buffer.alloc(Math.max(0, free - 1_500_000)));
        },
        free: () => rmSync(filler, { force: true }),
      };
    } catch {
      return { where: mnt, method: 'prlimit', fill: () => undefined, free: () => undefined };
    }
  }

  it('disk full during writes: typed storage_error, reads keep working, writes resume once space is back, committed rows kept', async () => {
    const dir = tmp();
    const disk = smallDisk(dir);
    const trace = path.join(disk.where, 'trace.duckdb');
    const d = await startDaemon(['--model', MODEL_V1, '--durable', '--flush-interval', '100'], { trace, dir });
    daemons.push(d);
    const recs = await records(d);
    // Something committed before the disk fills.
    const first = await d.client.predict({ model: 'flights-delay', records: recs.slice(0, 50) });
    const acked = new Set(first.predictions.map((p) => p.id));
    if (disk.method === 'tmpfs') disk.fill();
    // The soft limit only: an unprivileged process may raise it back to the hard limit later.
    else execFileSync('prlimit', ['--pid', String(d.info.pid), `--fsize=${statSync(trace).size + 1_500_000}:unlimited`]);

    let failure: { status: number; json: unknown } | null = null;
    for (let i = 0; i < 1000 && !failure; i++) {
      const res = await call(d, 'POST', '/v1/predict', { model: 'flights-delay', records: recs.slice(0, 100) });
      if (res.status === 200) for (const p of res.json.predictions as { id: string }[]) acked.add(p.id);
      else failure = { status: res.status, json: res.json };
    }
    console.log(`disk full (${disk.method}): ${acked.size} rows acknowledged before ${JSON.stringify(failure).slice(0, 240)}`);
    expect(failure, 'the disk never filled').not.toBeNull();
    expect(failure!.status).toBe(503);
    expect(ErrorBody.parse(failure!.json).error.code).toBe('storage_error');

    // While the disk is full: writes are refused typed, reads answer.
    const again = await call(d, 'POST', '/v1/predict', { model: 'flights-delay', records: recs.slice(0, 10), durable: false });
    expect([200, 503]).toContain(again.status);
    if (again.status === 503) expect(again.json.error.code).toBe('storage_error');
    const labels = await call(d, 'POST', '/v1/labels', { labels: [{ join_key: 'k', value: 1 }] });
    expect(labels.status).toBe(503);
    expect(labels.json.error.code).toBe('storage_error');
    expect((await call(d, 'GET', '/v1/health')).status).toBe(200);
    expect((await call(d, 'GET', '/v1/models')).status).toBe(200);
    const baselines = await call(d, 'GET', '/v1/baselines');
    expect(baselines.status, baselines.text).toBe(200);
    const s = await openSocket(d.info.port, { headers: { Authorization: `Bearer ${d.info.token}` } });
    s.send({ type: 'query', id: 1, method: 'models' });
    expect(await s.next((m) => m.type === 'response' && m.id === 1, 'models over WS')).toMatchObject({ result: { models: [expect.anything()] } });
    await s.close();

    // Space comes back: writes resume (after the refusal window of a second).
    if (disk.method === 'tmpfs') disk.free();
    else execFileSync('prlimit', ['--pid', String(d.info.pid), '--fsize=unlimited:unlimited']);
    const resumed = await waitFor(async () => {
      const res = await call(d, 'POST', '/v1/predict', { model: 'flights-delay', records: recs.slice(0, 5) });
      return res.status === 200 ? res : null;
    }, 'writes to resume', 30_000, 200);
    for (const p of resumed.json.predictions as { id: string }[]) acked.add(p.id);
    expect(await d.stop()).toBe(0);

    // The file opens with every acknowledged (committed) row.
    const ids = new Set((await queryTrace<{ id: string }>(trace, 'SELECT id::VARCHAR AS id FROM predictions')).map((r) => r.id));
    const missing = [...acked].filter((id) => !ids.has(id));
    expect(missing).toEqual([]);
    const opened = await runCli(['open', trace, '--json'], { SIGHTLINE_HOME: path.join(dir, 'cli-home') });
    expect(opened.code, opened.stderr).toBe(0);
  });

  it('a trace held by another daemon: serve, open and drift refuse with a conflict that names the fix; the holder is unaffected', async () => {
    const dir = tmp();
    const trace = path.join(dir, 'trace.duckdb');
    const holder = await startDaemon(['--model', MODEL_V1], { trace, dir });
    daemons.push(holder);
    await holder.client.predict({ model: 'flights-delay', records: (await records(holder)).slice(0, 3) });
    // Another user's home: no daemon.json points at this trace, so the CLI opens the file itself.
    const env = { SIGHTLINE_HOME: path.join(dir, 'other-home') };
    for (const args of [['serve', '--trace', trace, '--port', '0'], ['open', trace], ['drift', '--db', trace, '--baseline', 'previous']]) {
      const r = await runCli(args, env);
      expect(r.code, `${args[0]}: ${r.stderr}`).toBe(2);
      expect(r.stderr, args[0]).toMatch(/locked by another process.*(stop that process|read-only).*\[conflict\]/s);
    }
    expect((await holder.client.health()).status).toBe('ok');
    expect((await holder.client.predict({ model: 'flights-delay', records: (await records(holder)).slice(0, 2) })).predictions).toHaveLength(2);
    expect(await holder.stop()).toBe(0);
  });

  it('SIGTERM while requests and queries are in flight: they finish, the daemon exits 0 and the file opens', async () => {
    for (let round = 0; round < 3; round++) {
      const dir = tmp();
      const d = await startDaemon(['--model', MODEL_V1, '--flush-interval', '50'], { dir });
      daemons.push(d);
      const recs = await records(d);
      for (let i = 0; i < 10; i++) await d.client.predict({ model: 'flights-delay', records: recs.slice(0, 50) });
      const s = await openSocket(d.info.port, { headers: { Authorization: `Bearer ${d.info.token}` } });
      // A burst of work on the trace, then SIGTERM before any of it is answered.
      for (let i = 0; i < 20; i++) s.send({ type: 'query', id: i, method: i % 2 ? 'predictions' : 'drift', params: i % 2 ? { limit: 100 } : { baseline: 'previous', window: { last: 200 } } });
      const http = Array.from({ length: 5 }, () => call(d, 'POST', '/v1/drift', { baseline: 'previous', window: { last: 200 } }).catch(() => null));
      const exited = await Promise.race([d.stop(), new Promise<string>((r) => setTimeout(() => r('hung'), 60_000))]);
      expect(exited, `round ${round}: ${d.stderr().slice(-500)}`).toBe(0);
      await Promise.all(http);
      const n = await queryTrace<{ n: number }>(d.trace, 'SELECT count(*)::INT AS n FROM predictions');
      expect(n[0]!.n).toBe(500);
    }
  });

  it('clients vanishing mid-stream: a WebSocket client killed while receiving, HTTP clients aborting mid-body and mid-response', async () => {
    const dir = tmp();
    const d = await startDaemon(['--model', MODEL_V1, '--flush-interval', '100'], { dir });
    daemons.push(d);
    const recs = await records(d);
    const watcher = await openSocket(d.info.port, { headers: { Authorization: `Bearer ${d.info.token}` } });
    watcher.send({ type: 'subscribe', events: ['prediction'] });
    watcher.send({ type: 'ping', id: 1 });
    await watcher.next((m) => m.type === 'pong', 'pong');

    // A subscriber in another process, SIGKILLed while events stream to it.
    const child = spawn(process.execPath, ['-e', `
      const WebSocket = require(${JSON.stringify(path.join(ROOT, 'node_modules', 'ws'))});
      const ws = new WebSocket('ws://127.0.0.1:${d.info.port}/v1/stream', { headers: { Authorization: 'Bearer ${d.info.token}' } });
      let n = 0;
      ws.on('message', () => { if (++n === 2) process.stdout.write('receiving\\n'); });
      ws.on('open', () => ws.send(JSON.stringify({ type: 'subscribe', events: ['prediction'] })));
    `], { stdio: ['ignore', 'pipe', 'inherit'] });
    const receiving = new Promise<void>((resolve) => child.stdout!.on('data', () => resolve()));
    await waitFor(async () => (await d.client.health()).stream!.subscribers === 2, 'the child subscribed');
    const flood = (async () => {
      for (let i = 0; i < 40; i++) await d.client.predict({ model: 'flights-delay', records: recs.slice(0, 100) });
    })();
    await receiving;
    child.kill('SIGKILL');
    await flood;
    await waitFor(async () => (await d.client.health()).stream!.subscribers === 1, 'the dead subscriber to be dropped');

    // HTTP clients that vanish: mid-body (declared 1 MB, sent 64 KB) and mid-response (a large answer, cut after its first bytes).
    const body = Buffer.from(JSON.stringify({ model: 'flights-delay', records: Array.from({ length: 4000 }, (_, i) => recs[i % recs.length]) }));
    const rss0 = rssBytes(d.info.pid);
    for (let i = 0; i < 30; i++) {
      await new Promise<void>((resolve) => {
        const s = connect({ host: '127.0.0.1', port: d.info.port }, () => {
          s.write(`POST /v1/predict HTTP/1.1\r\nHost: 127.0.0.1:${d.info.port}\r\nAuthorization: Bearer ${d.info.token}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`);
          if (i % 2 === 0) {
            s.write(body.subarray(0, 64 * 1024), () => { s.destroy(); resolve(); });
          } else {
            s.write(body);
            s.once('data', () => { s.destroy(); resolve(); });
          }
        });
        s.on('error', () => resolve());
      });
    }
    // Unaffected: answers, streams to the remaining subscriber, memory bounded.
    const before = watcher.messages.length;
    const res = await d.client.predict({ model: 'flights-delay', records: recs.slice(0, 3) });
    await waitFor(() => watcher.messages.slice(before).some((m) => m.type === 'event' && (m.data as { id: string }[]).some((e) => e.id === res.predictions[2]!.id)), 'the event after the vanished clients');
    const h = await d.client.health();
    expect(h.status).toBe('ok');
    expect(h.stream!.subscribers).toBe(1);
    const growthMb = (rssBytes(d.info.pid) - rss0) / 2 ** 20;
    console.log(`vanishing clients: daemon RSS +${growthMb.toFixed(0)} MB over 30 aborted uploads/downloads of ${(body.length / 2 ** 20).toFixed(1)} MB`);
    expect(growthMb).toBeLessThan(200);
    await watcher.close();
    expect(await d.stop()).toBe(0);
  });
});
