import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode, ServerMessage } from '../../../protocol';
import { countByCategory, generateCorpus, type CliCase, type CorpusCase, type HttpCase, type RawCase, type WsCase } from '../../corpus/generate';
import { MODEL_V1, SAMPLE, startDaemon, type RunningDaemon } from '../../helpers/daemon';
import { sampleRecords } from '../../helpers/sample';
import { featuresOf, project } from '../../helpers/wire';
import { cliProblem, pool, runCliTimed, sendRaw, traceChecksum, typedProblem, type TraceChecksum } from './support';

const MAX_BODY = 256 * 1024;
const BATCH = 20;

/**
 * Every bad input of the corpus (test/corpus/generate.ts) against a real daemon and the built
 * CLI: each gets its typed error (HTTP `{error:{code,message}}` with the expected code; WebSocket
 * an `error` message or the protocol's close code; CLI exit 2 with `sightline: … [code]`), the
 * daemon answers health after every batch, and the trace it serves has exactly the rows and
 * checksums it had before.
 */
describe('robustness corpus: ≥ 200 bad inputs, each refused with a typed error', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sightline-corpus-'));
  const trace = path.join(dir, 'trace.duckdb');
  let d: RunningDaemon;
  let cases: CorpusCase[] = [];
  let before: TraceChecksum;

  beforeAll(async () => {
    // Something logged first: predictions, labels and a model row whose checksums must not move.
    const first = await startDaemon(['--model', MODEL_V1, '--durable'], { trace, dir });
    const sample = await sampleRecords(40);
    const records = project(sample.records, await featuresOf(first, 'flights-delay'));
    await first.client.predict({ model: 'flights-delay', records: records.slice(0, 30), join_keys: sample.flightIds.slice(0, 30) });
    await first.client.logLabels({ source: 'corpus', labels: sample.flightIds.slice(0, 20).map((k, i) => ({ join_key: k, value: sample.labels[i]! })) });
    expect(await first.stop()).toBe(0);
    before = await traceChecksum(trace);
    expect(before.predictions.n).toBe('30');

    cases = await generateCorpus(path.join(dir, 'corpus'), {
      record: records[0]!,
      model: 'flights-delay',
      onnx: MODEL_V1,
      parquet: path.join(SAMPLE, 'baselines', 'train-v1.parquet'),
      maxBody: MAX_BODY,
    });
    d = await startDaemon(['--model', MODEL_V1, '--max-body', String(MAX_BODY), '--flush-interval', '50'], { trace, dir });
  });
  afterAll(async () => {
    await d?.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  it('holds at least 200 cases across every category', () => {
    const counts = countByCategory(cases);
    console.log(`corpus: ${cases.length} cases ${JSON.stringify(counts)}`);
    expect(cases.length).toBeGreaterThanOrEqual(200);
    for (const c of ['malformed-json', 'wrong-shape', 'wrong-dtype', 'nan-inf', 'oversize', 'deep-nesting', 'unknown-model', 'hostile-name', 'hostile-path', 'corrupt-onnx', 'corrupt-duckdb', 'malformed-tabular', 'http-framing', 'websocket']) {
      expect(counts[c] ?? 0, c).toBeGreaterThan(0);
    }
    for (const c of cases) for (const code of Array.isArray(c.expect) ? c.expect : []) expect(ErrorCode.options).toContain(code);
  });

  /** Health answers, and the daemon logged nothing while refusing. */
  async function stillServing(after: string): Promise<string | null> {
    const h = await fetch(`http://127.0.0.1:${d.info.port}/v1/health`, { headers: { Authorization: `Bearer ${d.info.token}` } }).catch((e: unknown) => e);
    if (!(h instanceof Response) || h.status !== 200) return `health failed after ${after}: ${h instanceof Response ? h.status : String(h)}`;
    const body = (await h.json()) as { predictions_logged: number; pending_rows: number };
    if (body.predictions_logged !== 0 || body.pending_rows !== 0) return `the daemon logged rows after ${after}: ${JSON.stringify(body)}`;
    return null;
  }

  it('HTTP: every bad request gets its typed error and the daemon keeps serving', async () => {
    const http = cases.filter((c): c is HttpCase => c.kind === 'http');
    const problems: string[] = [];
    for (let b = 0; b < http.length; b += BATCH) {
      for (const c of http.slice(b, b + BATCH)) {
        const res = await fetch(`http://127.0.0.1:${d.info.port}${c.route}`, {
          method: c.method,
          headers: { Authorization: `Bearer ${d.info.token}`, 'Content-Type': 'application/json', ...c.headers },
          ...(c.body !== undefined ? { body: typeof c.body === 'string' ? c.body : new Uint8Array(c.body) } : {}),
        }).catch((e: unknown) => e);
        if (!(res instanceof Response)) {
          problems.push(`[${c.category}] ${c.name}: request failed: ${String(res)}`);
          continue;
        }
        const p = typedProblem(res.status, await res.text(), c.expect);
        if (p) problems.push(`[${c.category}] ${c.name}: ${p}`);
      }
      const p = await stillServing(`HTTP batch ${b / BATCH + 1}`);
      if (p) problems.push(p);
    }
    console.log(`corpus: ${http.length} HTTP cases, ${problems.length} problems`);
    expect(problems).toEqual([]);
  });

  it('HTTP framing: malformed requests on raw sockets get typed errors', async () => {
    const raw = cases.filter((c): c is RawCase => c.kind === 'raw');
    const problems: string[] = [];
    for (const c of raw) {
      const a = await sendRaw(d.info.port, c.bytes(d.info.port, d.info.token));
      const p = a.status === null ? 'no HTTP answer' : typedProblem(a.status, a.body, c.expect);
      if (p) problems.push(`[${c.category}] ${c.name}: ${p}`);
    }
    const p = await stillServing('the framing cases');
    if (p) problems.push(p);
    expect(problems).toEqual([]);
  });

  it('WebSocket: every bad message gets a typed error message (or the protocol close code) and the socket stays usable', async () => {
    const wsCases = cases.filter((c): c is WsCase => c.kind === 'ws');
    const problems: string[] = [];
    let pingId = 1;
    const open = (): Promise<{ ws: WebSocket; messages: ServerMessage[]; closed: Promise<number> }> =>
      new Promise((resolve, reject) => {
        const ws = new WebSocket(`ws://127.0.0.1:${d.info.port}/v1/stream`, { headers: { Authorization: `Bearer ${d.info.token}` } });
        const messages: ServerMessage[] = [];
        const closed = new Promise<number>((r) => ws.once('close', (code) => r(code)));
        ws.on('message', (data) => {
          const parsed = ServerMessage.safeParse(JSON.parse(data.toString()));
          messages.push(parsed.success ? parsed.data : ({ type: 'error', error: { code: 'internal', message: `unparseable server message ${data.toString().slice(0, 200)}` } } as ServerMessage));
        });
        // Ready once the daemon's welcome arrived (so it is not taken for a reply).
        let welcomed = false;
        ws.on('message', () => {
          if (welcomed) return;
          welcomed = true;
          messages.length = 0;
          resolve({ ws, messages, closed });
        });
        ws.once('error', reject);
      });
    let s = await open();
    for (const c of wsCases) {
      const from = s.messages.length;
      const id = pingId++;
      s.ws.send(c.frame, { binary: Boolean(c.binary) });
      if (!Array.isArray(c.expect)) {
        const code = await Promise.race([s.closed, new Promise<number>((r) => setTimeout(() => r(-1), 10_000))]);
        if (code !== c.expect.close) problems.push(`[websocket] ${c.name}: closed with ${code}, expected ${c.expect.close}`);
        s = await open();
        continue;
      }
      // Queries are answered asynchronously (a ping could overtake them): wait for the first
      // reply, then a ping barrier, so that a second reply would be seen too.
      let deadline = Date.now() + 10_000;
      while (s.messages.length === from && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
      s.ws.send(JSON.stringify({ type: 'ping', id }));
      deadline = Date.now() + 10_000;
      while (!s.messages.slice(from).some((m) => m.type === 'pong' && m.id === id) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
      const replies = s.messages.slice(from).filter((m) => !(m.type === 'pong' && m.id === id));
      const errors = replies.map((m) => (m.type === 'error' ? m.error : m.type === 'response' ? (m.error as { code: string; message: string } | undefined) : undefined));
      const err = errors.find((e) => e !== undefined);
      if (replies.length !== 1 || !err) problems.push(`[websocket] ${c.name}: expected one error, got ${JSON.stringify(replies).slice(0, 300)}`);
      else if (!c.expect.includes(err.code as ErrorCode)) problems.push(`[websocket] ${c.name}: got ${err.code} (expected ${c.expect.join(' | ')}): ${err.message.slice(0, 200)}`);
      if (s.ws.readyState !== WebSocket.OPEN) {
        problems.push(`[websocket] ${c.name}: the socket closed`);
        s = await open();
      }
    }
    s.ws.close();
    const p = await stillServing('the WebSocket cases');
    if (p) problems.push(p);
    expect(problems).toEqual([]);
  });

  it('CLI: corrupt, foreign and hostile files exit 2 with a typed message (validate: exit 1, its load check failed)', async () => {
    const cli = cases.filter((c): c is CliCase => c.kind === 'cli');
    const home = path.join(dir, 'cli-home');
    mkdirSync(home, { recursive: true });
    const problems: string[] = [];
    await pool(cli, 4, async (c) => {
      const r = await runCliTimed(c.args, { SIGHTLINE_HOME: home }, 30_000);
      const p = cliProblem(r, c.expect, c.gate);
      if (p) problems.push(`[${c.category}] ${c.name}: ${p}`);
    });
    console.log(`corpus: ${cli.length} CLI cases, ${problems.length} problems`);
    expect(problems.sort()).toEqual([]);
  });

  it('nothing already logged changed: same rows, same checksums, no new model or feature column', async () => {
    expect(await stillServing('the whole corpus')).toBeNull();
    expect(await d.stop()).toBe(0);
    expect(await traceChecksum(trace, before.columns)).toEqual(before);
  });
});
