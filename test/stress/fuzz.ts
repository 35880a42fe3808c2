/**
 * A seeded, mutational protocol fuzzer for the daemon. It derives requests from valid ones —
 * HTTP bodies (JSON-structure and byte mutations: bit flips, truncation, type swaps, field
 * deletion and duplication, huge values, deep nesting, hostile strings, non-JSON number tokens),
 * HTTP headers and framing (raw sockets: token, Host, Origin, Content-Type, Content-Length,
 * chunked encoding, methods, paths) and WebSocket messages — and sends them to a real daemon on
 * 127.0.0.1. Every answer must be a success or a typed error (`{error:{code,message}}`, a known
 * code other than `internal`, the code's status); every WebSocket message must parse as a
 * ServerMessage; the daemon must never crash, and its RSS must stay flat.
 *
 * Bounded: `mutations` requests at most, `timeBudgetMs` at most, to 127.0.0.1 only. The same
 * seed sends the same mutations (the interleaving of concurrent workers may differ).
 * Used by test/integration/robustness/fuzz.test.ts (a few thousand) and `npm run stress` (100 000).
 */
import { readFileSync } from 'node:fs';
import WebSocket from 'ws';
import {
  ErrorBody, HealthResponse, HTTP_STATUS, LabelsResponse, LogPredictionsResponse, ModelsResponse, PredictResponse, ServerMessage,
  type FeatureRecord,
} from '../../protocol';
import { sendRaw } from '../integration/robustness/support';

export interface FuzzTarget {
  port: number;
  token: string;
  /** The daemon's pid (RSS is read from /proc). */
  pid: number;
}

export interface FuzzOptions {
  mutations: number;
  seed: number;
  /** Stop early after this long (the report says how many were sent). */
  timeBudgetMs: number;
  /** A valid predict record of `model`. */
  record: FeatureRecord;
  model: string;
  /** A valid .onnx path (for model-load seeds: loading the loaded model again is idempotent). */
  onnx: string;
  /** Concurrent HTTP workers. */
  concurrency?: number;
  /** Progress lines (every 10 %). */
  log?: (line: string) => void;
  /** Only these kinds of mutations (default: all). */
  kinds?: ('http' | 'raw' | 'ws')[];
}

export interface FuzzReport {
  seed: number;
  sent: number;
  byKind: Record<string, number>;
  /** Outcome counts: `200`, `400 invalid_request`, `closed`, `ws error bad_json`, … */
  outcomes: Record<string, number>;
  problems: string[];
  durationMs: number;
  rssWarmMb: number;
  /** RSS half-way: memory is flat when the second half adds (almost) nothing. */
  rssMidMb: number;
  rssEndMb: number;
  rssMaxMb: number;
  alive: boolean;
}

/** mulberry32 */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  next(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
}

const HOSTILE_STRINGS = [
  '', ' ', '\u0000', 'a\u0000b', '"; DROP TABLE predictions; --', "' OR '1'='1", '../../etc/passwd', '/dev/zero', '%00', '%E0%A4%A',
  '\u202e', '\ud800', '🔥🔥', '<script>', '${x}', '__proto__', 'constructor', 'null', 'NaN', 'Infinity', '-1', '1e400', 'x'.repeat(300),
];
const EDGE_NUMBERS = [0, -0, -1, 1, 0.5, 2 ** 31, -(2 ** 31) - 1, 2 ** 53, 2 ** 53 + 2, -(2 ** 53), 1e38, 3.5e38, 1e308, -1.7e308, 5e-324, 1e-320];
/** Literal tokens JSON.stringify cannot write (most make the body invalid JSON; 1e400 parses to Infinity). */
const LITERALS = ['NaN', 'Infinity', '-Infinity', '1e400', '-1e400', '0x1F', '+1', '.5', '01', 'undefined', 'true1', '9'.repeat(400)];

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function clone<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}

/** A random value of a random type; `big` for huge strings/arrays. */
function randomValue(r: Rng, depth = 0): Json {
  switch (r.int(depth > 2 ? 5 : 7)) {
    case 0: return null;
    case 1: return r.chance(0.5);
    case 2: return r.chance(0.5) ? r.pick(EDGE_NUMBERS) : (r.next() - 0.5) * 10 ** r.int(12);
    case 3: return r.pick(HOSTILE_STRINGS);
    case 4: return r.chance(0.5) ? 'x'.repeat(r.int(4096)) : String(r.int(1000));
    case 5: return Array.from({ length: r.int(4) }, () => randomValue(r, depth + 1));
    default: return Object.fromEntries(Array.from({ length: r.int(4) }, () => [r.pick(HOSTILE_STRINGS.slice(0, 12)) + r.int(9), randomValue(r, depth + 1)]));
  }
}

/** Every (container, key) of a JSON value, for picking a mutation point. */
function slots(v: Json, out: { parent: Json[] | { [k: string]: Json }; key: string | number }[] = []): typeof out {
  if (Array.isArray(v)) v.forEach((x, i) => { out.push({ parent: v, key: i }); slots(x, out); });
  else if (v && typeof v === 'object') for (const k of Object.keys(v)) { out.push({ parent: v, key: k }); slots(v[k]!, out); }
  return out;
}

/** One structure-aware mutation of a JSON document (in place on a copy). */
function mutateStructure(doc: Json, r: Rng): Json {
  const root = clone(doc);
  const all = slots(root);
  if (all.length === 0) return randomValue(r);
  const { parent, key } = r.pick(all);
  const get = (): Json => (parent as Record<string | number, Json>)[key]!;
  const set = (v: Json): void => { (parent as Record<string | number, Json>)[key] = v; };
  switch (r.int(10)) {
    case 0: // field deletion
      if (Array.isArray(parent)) parent.splice(key as number, 1);
      else delete parent[key as string];
      break;
    case 1: // type swap
      set(randomValue(r));
      break;
    case 2: // duplication: an array element repeated, or an object field copied under another key
      if (Array.isArray(parent)) parent.splice(key as number, 0, ...Array.from({ length: 1 + r.int(r.chance(0.1) ? 2000 : 3) }, () => clone(get())));
      else parent[`${String(key)}${r.chance(0.5) ? '' : '_'}${r.int(3)}`] = clone(get());
      break;
    case 3: // huge values
      set(r.pick<Json>(['x'.repeat(16_384 + r.int(100_000)), Array.from({ length: 5000 + r.int(20_000) }, () => 1), r.pick(EDGE_NUMBERS), -1e308]));
      break;
    case 4: // deep nesting (a placeholder: JSON.stringify itself would overflow the stack)
      set(`__DEEP_${50 + r.int(r.chance(0.1) ? 20_000 : 2000)}__`);
      break;
    case 5: // hostile string (or key)
      if (!Array.isArray(parent) && r.chance(0.5)) {
        const v = get();
        delete parent[key as string];
        parent[r.pick(HOSTILE_STRINGS)] = v;
      } else set(r.pick(HOSTILE_STRINGS));
      break;
    case 6: // numeric edge
      set(r.pick(EDGE_NUMBERS));
      break;
    case 7: // wrap in an array / object
      set(r.chance(0.5) ? [get()] : { v: get() });
      break;
    case 8: // a new random field
      if (Array.isArray(parent)) parent.push(randomValue(r));
      else parent[r.pick(['extra', 'records', 'model', 'type', 'id', 'events', 'params', 'tensors', 'labels', 'path']) + (r.chance(0.5) ? '' : String(r.int(9)))] = randomValue(r);
      break;
    default: // empty the container
      set(Array.isArray(get()) ? [] : get() && typeof get() === 'object' ? {} : '');
  }
  return root;
}

/** Byte/text mutations of a serialized document. */
function mutateText(text: string, r: Rng): string | Buffer {
  const buf = Buffer.from(text);
  switch (r.int(6)) {
    case 0: { // bit flips
      const out = Buffer.from(buf);
      for (let i = 0, n = 1 + r.int(8); i < n && out.length > 0; i++) { const p = r.int(out.length); out[p] = out[p]! ^ (1 << r.int(8)); }
      return out;
    }
    case 1: return buf.subarray(0, r.int(buf.length + 1)); // truncation
    case 2: { // a literal token where a number was
      const m = [...text.matchAll(/-?\d+(\.\d+)?(e[+-]?\d+)?/gi)];
      if (m.length === 0) return text + r.pick(LITERALS);
      const hit = r.pick(m);
      return text.slice(0, hit.index) + r.pick(LITERALS) + text.slice(hit.index! + hit[0].length);
    }
    case 3: { // splice random bytes
      const p = r.int(buf.length + 1);
      const junk = Buffer.from(Array.from({ length: 1 + r.int(16) }, () => r.int(256)));
      return Buffer.concat([buf.subarray(0, p), junk, buf.subarray(p)]);
    }
    case 4: { // duplicate a slice (duplicated keys, repeated fragments)
      const a = r.int(buf.length + 1);
      const b = Math.min(buf.length, a + r.int(64));
      return Buffer.concat([buf.subarray(0, b), buf.subarray(a, b), buf.subarray(b)]);
    }
    default: return r.pick(['', ' ', 'null', '[]', '{}', '"x"', text + text, `\uFEFF${text}`]);
  }
}

/** Mutated JSON text: structure mutations, then sometimes byte mutations. */
function mutate(doc: Json, r: Rng): string | Buffer {
  let v = doc;
  for (let i = 0, n = 1 + r.int(3); i < n; i++) v = mutateStructure(v, r);
  const text = (JSON.stringify(v) ?? 'null').replace(/"__DEEP_(\d+)__"/g, (_m, n: string) => `${'['.repeat(Number(n))}${']'.repeat(Number(n))}`);
  return r.chance(0.3) ? mutateText(text, r) : text;
}

interface HttpSeed {
  method: string;
  route: string;
  body?: Json;
  weight: number;
  check?: { safeParse: (v: unknown) => { success: boolean } };
}

function seeds(o: FuzzOptions): { http: HttpSeed[]; ws: Json[] } {
  const rec = o.record as { [k: string]: Json };
  const numeric = Object.keys(rec).find((k) => typeof rec[k] === 'number')!;
  const tensors = Object.fromEntries(Object.entries(rec).map(([k, v]) => [k, typeof v === 'number' ? { type: 'float32', dims: [1, 1], data: [v] } : { type: 'string', dims: [1, 1], data: [v] }]));
  const http: HttpSeed[] = [
    { method: 'POST', route: '/v1/predict', body: { model: o.model, records: [rec, { ...rec, [numeric]: 1 }], join_keys: ['a', 'b'], attributes: [{ tier: 'x' }, { tier: 'y' }] }, weight: 30, check: PredictResponse },
    { method: 'POST', route: '/v1/predict', body: { model: o.model, records: [rec], request_id: 'r-1', durable: true, times: ['2024-01-01T00:00:00Z'] }, weight: 10, check: PredictResponse },
    { method: 'POST', route: '/v1/predict', body: { model: o.model, tensors }, weight: 8, check: PredictResponse },
    { method: 'POST', route: '/v1/predictions', body: { model: { name: 'fuzz', version: '1' }, source: 'fuzz', predictions: [{ features: { a: 1, b: 'x' }, score: 0.5, label: 1, join_key: 'k', time: '2024-01-01T00:00:00Z' }] }, weight: 8, check: LogPredictionsResponse },
    { method: 'POST', route: '/v1/labels', body: { source: 'fuzz', labels: [{ join_key: 'a', value: 1 }, { prediction_id: '018f0000-0000-7000-8000-000000000000', value: 'yes' }] }, weight: 8, check: LabelsResponse },
    { method: 'POST', route: '/v1/runs', body: { component: 'train', start: '2024-01-01T00:00:00Z', status: 'ok', params: { lr: 0.1, layers: [1, 2] }, metrics: { auc: 0.7 }, inputs: [{ name: 'data.csv', kind: 'data', content_hash: 'a'.repeat(64) }], outputs: [{ name: 'model.onnx', kind: 'model' }] }, weight: 5 },
    { method: 'POST', route: '/v1/flags', body: { target_kind: 'prediction', ids: ['018f0000-0000-7000-8000-000000000000'], reason: 'fuzz' }, weight: 2 },
    { method: 'POST', route: '/v1/trace', body: { target: 'train' }, weight: 2 },
    { method: 'POST', route: '/v1/review', body: { alpha: 0.05, limit: 5 }, weight: 2 },
    { method: 'POST', route: '/v1/models', body: { path: o.onnx, make_default: true }, weight: 2 },
    { method: 'POST', route: '/v1/drift', body: { baseline: 'previous', window: { last: 100 } }, weight: 1 },
    { method: 'POST', route: '/v1/slices', body: { window: { last: 200 }, no_labels: true }, weight: 1 },
    { method: 'GET', route: '/v1/health', weight: 3, check: HealthResponse },
    { method: 'GET', route: '/v1/models', weight: 2, check: ModelsResponse },
    { method: 'GET', route: '/v1/baselines', weight: 1 },
    { method: 'GET', route: '/v1/findings', weight: 1 },
  ];
  const ws: Json[] = [
    { type: 'hello', protocol: 1, client: 'fuzz' },
    { type: 'subscribe', events: ['prediction', 'model', 'label'], models: [o.model] },
    { type: 'unsubscribe', events: ['prediction'] },
    { type: 'ping', id: 1 },
    { type: 'query', id: 1, method: 'health' },
    { type: 'query', id: 2, method: 'models' },
    { type: 'query', id: 3, method: 'predictions', params: { limit: 5 } },
    { type: 'query', id: 4, method: 'findings', params: {} },
    { type: 'query', id: 5, method: 'trace', params: { target: 'train' } },
    { type: 'query', id: 6, method: 'review', params: { limit: 3 } },
    { type: 'query', id: 7, method: 'baselines' },
    { type: 'query', id: 8, method: 'runs', params: {} },
  ];
  return { http, ws };
}

const ROUTES = ['/v1/predict', '/v1/predictions', '/v1/labels', '/v1/health', '/v1/models', '/v1/runs', '/v1/nope', '/v1/predict?x=1', '/v1//predict', '/v1/predict/', '/V1/PREDICT', '/v1/%70redict', '/../v1/health', '/v1/stream'];
/** Never fuzzed: they delete rows or unload models on purpose, which would not be a finding. */
const DESTRUCTIVE = /^\/v1\/(prune|forget)|^\/v1\/models\//;

/** Problem in an HTTP answer, or null. */
function checkAnswer(status: number, text: string, check?: HttpSeed['check']): string | null {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return `status ${status}, body is not JSON: ${JSON.stringify(text.slice(0, 120))}`;
  }
  if (status === 200) {
    if (check && !check.safeParse(json).success) return `200 whose body does not match its schema: ${text.slice(0, 200)}`;
    return null;
  }
  const e = ErrorBody.safeParse(json);
  if (!e.success) return `status ${status} without an error body: ${text.slice(0, 200)}`;
  const { code, message } = e.data.error;
  if (code === 'internal') return `internal error (${status}): ${message.slice(0, 300)}`;
  const allowed = code === 'payload_too_large' ? [413, 431] : code === 'invalid_request' ? [400, 408] : [HTTP_STATUS[code]];
  if (!allowed.includes(status)) return `status ${status} for ${code}`;
  return null;
}

function rssMb(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Runs the fuzzer against a running daemon. */
export async function runFuzz(target: FuzzTarget, o: FuzzOptions): Promise<FuzzReport> {
  const r = new Rng(o.seed);
  const { http, ws: wsSeeds } = seeds(o);
  const totalWeight = http.reduce((a, s) => a + s.weight, 0);
  const pickSeed = (): HttpSeed => {
    let x = r.next() * totalWeight;
    for (const s of http) if ((x -= s.weight) < 0) return s;
    return http[0]!;
  };
  const base = `http://127.0.0.1:${target.port}`;
  const report: FuzzReport = { seed: o.seed, sent: 0, byKind: {}, outcomes: {}, problems: [], durationMs: 0, rssWarmMb: NaN, rssMidMb: NaN, rssEndMb: NaN, rssMaxMb: 0, alive: true };
  const problem = (what: string): void => {
    if (report.problems.length < 200) report.problems.push(what);
  };
  const outcome = (k: string): void => void (report.outcomes[k] = (report.outcomes[k] ?? 0) + 1);
  const t0 = Date.now();
  const deadline = t0 + o.timeBudgetMs;

  // ── WebSocket: a few sockets, mutated messages, every server message validated ──
  interface Sock { ws: WebSocket; open: Promise<void>; pongs: Map<number, () => void>; sent: string[] }
  const sockets: Sock[] = [];
  /** Every socket ever opened (all are closed at the end); closes after that are ours, not findings. */
  const opened = new Set<WebSocket>();
  let finished = false;
  const openSock = (): Sock => {
    const ws = new WebSocket(`ws://127.0.0.1:${target.port}/v1/stream`, { headers: { Authorization: `Bearer ${target.token}` }, maxPayload: 256 * 1024 * 1024 });
    const pongs = new Map<number, () => void>();
    const sent: string[] = [];
    const open = new Promise<void>((resolve) => { ws.once('open', () => resolve()); ws.once('error', () => resolve()); });
    ws.on('message', (data) => {
      let msg: unknown;
      try {
        msg = JSON.parse(data.toString());
      } catch {
        return problem(`ws: a server message is not JSON: ${data.toString().slice(0, 120)}`);
      }
      const parsed = ServerMessage.safeParse(msg);
      if (!parsed.success) return problem(`ws: a server message does not match ServerMessage: ${data.toString().slice(0, 200)}`);
      const m = parsed.data;
      if (m.type === 'error') {
        outcome(`ws error ${m.error.code}`);
        if (m.error.code === 'internal') problem(`ws: internal error: ${m.error.message.slice(0, 300)}`);
      } else if (m.type === 'response' && m.error) {
        const code = (m.error as { code?: string }).code ?? '?';
        outcome(`ws response error ${code}`);
        if (code === 'internal' || !ErrorBody.shape.error.safeParse(m.error).success) problem(`ws: response error ${JSON.stringify(m.error).slice(0, 300)}`);
      } else if (m.type === 'pong' && m.id !== undefined && m.id >= 1e9) {
        pongs.get(m.id)?.();
      } else outcome(`ws ${m.type}`);
    });
    opened.add(ws);
    ws.on('close', (code) => {
      opened.delete(ws);
      if (finished) return;
      outcome(`ws close ${code}`);
      // 1009: message too big; 1007: invalid UTF-8; 1005/1000: our own close.
      if (![1000, 1005, 1007, 1009].includes(code)) problem(`ws: the daemon closed a socket with ${code} after ${sent.map((m) => JSON.stringify(m)).join(' then ')}`);
    });
    ws.on('error', () => undefined);
    return { ws, open, pongs, sent };
  };
  for (let i = 0; i < 4; i++) sockets.push(openSock());
  await Promise.all(sockets.map((s) => s.open));
  let barrier = 1e9;
  const wsSend = async (i: number, payload: string | Buffer, binary: boolean): Promise<void> => {
    let s = sockets[i]!;
    if (s.ws.readyState === WebSocket.CLOSING || s.ws.readyState === WebSocket.CLOSED) {
      // One replacement per closed socket, even when several workers notice at once.
      s = sockets[i] = openSock();
    }
    await s.open;
    if (s.ws.readyState !== WebSocket.OPEN) return problem('ws: cannot reconnect');
    s.sent.push(`${binary ? 'binary ' : ''}${payload.length} bytes: ${payload.toString().slice(0, 160)}`);
    if (s.sent.length > 3) s.sent.shift();
    s.ws.send(payload, { binary });
    // Backpressure and liveness: every 25 messages, a ping must be answered within 20 s.
    if (r.chance(0.04)) {
      const id = barrier++;
      const ok = await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), 20_000);
        s.pongs.set(id, () => { clearTimeout(timer); resolve(true); });
        s.ws.send(JSON.stringify({ type: 'ping', id }));
      });
      s.pongs.delete(id);
      if (!ok && s.ws.readyState === WebSocket.OPEN) problem('ws: no pong within 20 s');
    }
  };

  // ── one mutation ──
  const one = async (): Promise<void> => {
    let kind = r.next();
    if (o.kinds) {
      const want = o.kinds;
      // Re-map the draw onto the wanted kinds, keeping their shares.
      const bands: [string, number, number][] = [['ws', 0, 0.25], ['raw', 0.25, 0.4], ['http', 0.4, 1]];
      const allowed = bands.filter(([k]) => want.includes(k as 'ws'));
      const total = allowed.reduce((a, [, lo, hi]) => a + hi - lo, 0);
      let x = kind * total;
      for (const [, lo, hi] of allowed) {
        if (x < hi - lo) { kind = lo + x; break; }
        x -= hi - lo;
      }
    }
    if (kind < 0.25) {
      report.byKind.ws = (report.byKind.ws ?? 0) + 1;
      const seed = r.pick(wsSeeds);
      const binary = r.chance(0.03);
      await wsSend(r.int(sockets.length), binary ? Buffer.from(JSON.stringify(seed)) : mutate(seed, r), binary);
      return;
    }
    const seed = pickSeed();
    if (kind < 0.4) {
      // Headers and framing on a raw socket.
      report.byKind.raw = (report.byKind.raw ?? 0) + 1;
      const body = seed.body !== undefined ? (r.chance(0.5) ? Buffer.from(JSON.stringify(seed.body)) : Buffer.from(mutate(seed.body, r))) : Buffer.alloc(0);
      let route = r.chance(0.2) ? r.pick(ROUTES) : seed.route;
      if (r.chance(0.05)) route = route.replace(/./g, (c) => (r.chance(0.1) ? String.fromCharCode(c.charCodeAt(0) ^ (1 << r.int(7))) : c));
      if (DESTRUCTIVE.test(route)) route = '/v1/health';
      const headers: [string, string][] = [
        ['Host', `127.0.0.1:${target.port}`],
        ['Authorization', `Bearer ${target.token}`],
        ['Content-Type', 'application/json'],
        ['Content-Length', String(body.length)],
      ];
      const op = r.int(12);
      let complete = true;
      switch (op) {
        case 0: headers.splice(1, 1); break; // no token
        case 1: headers[1] = ['Authorization', r.pick([`Bearer ${target.token.slice(0, -1)}x`, `bearer ${target.token}`, `Basic ${target.token}`, 'Bearer', `Bearer ${target.token} ${target.token}`, `Bearer ${'A'.repeat(10_000)}`])]; break;
        case 2: headers[0] = ['Host', r.pick([`evil.example:${target.port}`, '127.0.0.1', `127.0.0.1:${target.port + 1}`, `localhost.evil:${target.port}`, '', `[::1]:${target.port}`, `LOCALHOST:${target.port}`])]; break;
        case 3: headers.push(['Origin', r.pick(['http://evil.example', 'null', `http://127.0.0.1:${target.port}`, 'file://', 'vscode-webview://x'])]); break;
        case 4: headers[2] = ['Content-Type', r.pick(['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', '', 'application/json; charset=utf-16', '\u00ff'])]; break;
        case 5: { // Content-Length shorter (extra bytes are a second, garbage request) or longer (the body never completes)
          const n = body.length + (r.chance(0.5) ? -1 - r.int(Math.max(1, body.length)) : 1 + r.int(100));
          headers[3] = ['Content-Length', String(Math.max(0, n))];
          if (n > body.length) complete = false;
          break;
        }
        case 6: headers[3] = ['Transfer-Encoding', 'chunked']; break; // re-framed below
        case 7: headers.push([r.pick(['X-A', 'Content-Length', 'Host', 'Authorization', 'Transfer-Encoding', 'Expect', 'Connection', 'Upgrade']), r.pick(['1', 'close', 'chunked', '100-continue', 'websocket', 'x'.repeat(r.int(20_000)), '\u0001'])]); break;
        case 8: headers.splice(r.int(headers.length), 1); complete = false; break;
        default: break; // well-formed, mutated body only
      }
      const method = r.chance(0.1) ? r.pick(['GET', 'PUT', 'PATCH', 'OPTIONS', 'HEAD', 'TRACE', 'CONNECT', 'BREW', 'get', 'POST ']) : seed.method;
      let payload = body;
      if (op === 6) {
        const terminated = r.chance(0.8);
        payload = Buffer.concat([Buffer.from(`${r.chance(0.8) ? body.length.toString(16) : 'zz'}\r\n`), body, Buffer.from(terminated ? '\r\n0\r\n\r\n' : '\r\n')]);
        if (!terminated) complete = false;
      }
      const head = `${method} ${route} ${r.chance(0.03) ? r.pick(['HTTP/1.0', 'HTTP/2.0', 'HTTP/9.9', 'FOO']) : 'HTTP/1.1'}\r\n${headers.map(([k, v]) => `${k}: ${v}`).join('\r\n')}\r\n\r\n`;
      const t1 = Date.now();
      const a = await sendRaw(target.port, Buffer.concat([Buffer.from(head, 'latin1'), payload]), 20_000, { halfClose: !complete, headOnly: method === 'HEAD' });
      const what = `raw ${JSON.stringify(head.slice(0, 160))} +${payload.length} bytes (${Date.now() - t1} ms)`;
      if (a.status === null) {
        outcome('closed');
        // Legitimate when the request never completed (we half-closed early), or when the method
        // asks for no body (HEAD) / the request is a CONNECT/upgrade; any other silent close is a finding.
        if (complete && !['HEAD', 'CONNECT'].includes(method) && !/Upgrade|Expect|Connection/.test(head) && op !== 6) problem(`${what}: closed without an answer`);
        return;
      }
      outcome(`${a.status}${a.status !== 200 ? ` ${(() => { try { return (JSON.parse(a.body) as { error?: { code?: string } }).error?.code ?? '?'; } catch { return 'non-json'; } })()}` : ''}`);
      if (method === 'HEAD' || a.status === 204) return;
      const p = checkAnswer(a.status, a.body, a.status === 200 && route === seed.route && method === seed.method ? seed.check : undefined);
      if (p) problem(`${what}: ${p}`);
      return;
    }
    // A well-framed request (fetch, keep-alive) with a mutated body.
    report.byKind.http = (report.byKind.http ?? 0) + 1;
    const body = seed.body !== undefined ? mutate(seed.body, r) : r.chance(0.5) ? mutate({}, r) : undefined;
    const res = await fetch(`${base}${seed.route}`, {
      method: seed.method === 'GET' && body !== undefined ? 'POST' : seed.method,
      headers: { Authorization: `Bearer ${target.token}`, 'Content-Type': 'application/json' },
      ...(body !== undefined ? { body: typeof body === 'string' ? body : new Uint8Array(body) } : {}),
      signal: AbortSignal.timeout(30_000),
    }).catch((e: unknown) => e as Error);
    if (res instanceof Error) {
      outcome('fetch failed');
      return problem(`${seed.method} ${seed.route}: request failed: ${res.message}`);
    }
    const text = await res.text();
    outcome(`${res.status}${res.status !== 200 ? ` ${(() => { try { return (JSON.parse(text) as { error?: { code?: string } }).error?.code ?? '?'; } catch { return 'non-json'; } })()}` : ''}`);
    const p = checkAnswer(res.status, text, seed.check);
    if (p) problem(`${seed.method} ${seed.route}: ${p}`);
  };

  // ── workers ──
  const warmAt = Math.max(1, Math.floor(o.mutations / 10));
  let next = 0;
  let lastLog = 0;
  const worker = async (): Promise<void> => {
    while (next < o.mutations && Date.now() < deadline) {
      const i = next++;
      report.sent++;
      if (i === warmAt) report.rssWarmMb = rssMb(target.pid);
      if (i === Math.floor(o.mutations / 2)) report.rssMidMb = rssMb(target.pid);
      if (i % 500 === 0) {
        const rss = rssMb(target.pid);
        report.rssMaxMb = Math.max(report.rssMaxMb, rss);
        if (!alive(target.pid)) {
          report.alive = false;
          problem(`the daemon died after ${i} mutations`);
          return;
        }
      }
      if (o.log && i - lastLog >= o.mutations / 10) {
        lastLog = i;
        o.log(`fuzz: ${i}/${o.mutations} sent in ${((Date.now() - t0) / 1000).toFixed(0)} s, RSS ${rssMb(target.pid).toFixed(0)} MB, ${report.problems.length} problems`);
      }
      await one();
    }
  };
  await Promise.all(Array.from({ length: o.concurrency ?? 8 }, worker));
  finished = true;
  for (const ws of opened) ws.close();
  report.alive = alive(target.pid);
  // Still answering, and settled: the health of a daemon that survived.
  const h = await fetch(`${base}/v1/health`, { headers: { Authorization: `Bearer ${target.token}` } }).catch((e: unknown) => e as Error);
  if (h instanceof Error || h.status !== 200) problem(`health after the fuzz: ${h instanceof Error ? h.message : h.status}`);
  report.rssEndMb = rssMb(target.pid);
  report.rssMaxMb = Math.max(report.rssMaxMb, report.rssEndMb);
  if (Number.isNaN(report.rssWarmMb)) report.rssWarmMb = report.rssEndMb;
  if (Number.isNaN(report.rssMidMb)) report.rssMidMb = report.rssEndMb;
  report.durationMs = Date.now() - t0;
  return report;
}

/** One line for logs and the issue note. */
/**
 * Memory is flat when the second half of the run adds less than max(64 MB, 15 %) to what the
 * first half reached (the first half fills the heap, DuckDB's caches and the trace's working set).
 */
export function memoryFlat(rep: FuzzReport): { ok: boolean; growthMb: number; boundMb: number } {
  const growthMb = rep.rssEndMb - rep.rssMidMb;
  const boundMb = Math.max(64, rep.rssMidMb * 0.15);
  return { ok: growthMb < boundMb, growthMb, boundMb };
}

export function summarize(rep: FuzzReport): string {
  const top = Object.entries(rep.outcomes).sort((a, b) => b[1] - a[1]).slice(0, 12).map(([k, n]) => `${k}: ${n}`).join(', ');
  return `fuzz seed ${rep.seed}: ${rep.sent} mutations (${Object.entries(rep.byKind).map(([k, n]) => `${k} ${n}`).join(', ')}) in ${(rep.durationMs / 1000).toFixed(1)} s; ${rep.problems.length} problems; daemon ${rep.alive ? 'alive' : 'DEAD'}; RSS ${rep.rssWarmMb.toFixed(0)} MB after warm-up (10 %), ${rep.rssMidMb.toFixed(0)} MB half-way, ${rep.rssEndMb.toFixed(0)} MB at end (max ${rep.rssMaxMb.toFixed(0)} MB); outcomes ${top}`;
}
