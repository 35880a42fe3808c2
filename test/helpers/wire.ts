import { readFileSync } from 'node:fs';
import WebSocket from 'ws';
import type { FeatureRecord, ServerMessage } from '../../protocol';
import type { RunningDaemon } from './daemon';

/**
 * Raw wire helpers for daemon integration tests: real `fetch` with full control over headers and
 * body, real `ws` sockets, and bounded polling (tests wait for conditions, never for fixed times).
 */

export interface RawResponse<T = unknown> {
  status: number;
  json: T;
  text: string;
}

export interface CallOptions {
  /** Token to send; `null` sends no Authorization header; default: the daemon's token. */
  token?: string | null;
  headers?: Record<string, string>;
  /** Sent verbatim instead of JSON.stringify(body). */
  raw?: string;
}

/** One HTTP request to the daemon; never throws on an HTTP error status. */
export async function call<T = any>(d: RunningDaemon, method: string, route: string, body?: unknown, opts: CallOptions = {}): Promise<RawResponse<T>> {
  const token = opts.token === undefined ? d.info.token : opts.token;
  const payload = opts.raw ?? (body !== undefined ? JSON.stringify(body) : undefined);
  const res = await fetch(`http://127.0.0.1:${d.info.port}${route}`, {
    method,
    headers: {
      ...(token !== null ? { Authorization: `Bearer ${token}` } : {}),
      ...(payload !== undefined ? { 'Content-Type': 'application/json' } : {}),
      ...opts.headers,
    },
    ...(payload !== undefined ? { body: payload } : {}),
  });
  const text = await res.text();
  let json: unknown = undefined;
  try {
    json = JSON.parse(text);
  } catch {
    /* left undefined: the caller asserts on it */
  }
  return { status: res.status, json: json as T, text };
}

/** Polls `probe` until it returns a truthy value (returned), or fails after `timeoutMs`. */
export async function waitFor<T>(probe: () => T | Promise<T>, what: string, timeoutMs = 20_000, intervalMs = 25): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v) return v as NonNullable<T>;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Resident set size of a process in bytes, from /proc (Linux). */
export function rssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(m[1]) * 1024;
}

/** A WebSocket to /v1/stream that records every parsed message it receives. */
export interface TestSocket {
  ws: WebSocket;
  messages: ServerMessage[];
  send: (msg: unknown) => void;
  /** Waits for the first message (at index ≥ `from`) matching `pred`. */
  next: <M extends ServerMessage = ServerMessage>(pred: (m: ServerMessage) => boolean, what: string, from?: number) => Promise<M>;
  close: () => Promise<void>;
}

export interface OpenOptions {
  headers?: Record<string, string>;
  protocols?: string[];
  origin?: string;
}

/**
 * Opens a raw `ws` socket. Resolves once the daemon's `welcome` arrives; rejects with
 * `{ status, body }` when the upgrade is refused, or with the socket error.
 */
export function openSocket(port: number, opts: OpenOptions = {}): Promise<TestSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/v1/stream`, opts.protocols ?? [], {
      headers: opts.headers ?? {},
      ...(opts.origin ? { origin: opts.origin } : {}),
    });
    const messages: ServerMessage[] = [];
    const waiters = new Set<() => void>();
    ws.on('message', (data) => {
      messages.push(JSON.parse(data.toString()) as ServerMessage);
      for (const w of waiters) w();
    });
    const socket: TestSocket = {
      ws,
      messages,
      send: (msg) => ws.send(typeof msg === 'string' ? msg : JSON.stringify(msg)),
      next: (pred, what, from = 0) =>
        new Promise((res, rej) => {
          const check = (): boolean => {
            const m = messages.slice(from).find(pred);
            if (m) {
              waiters.delete(check as () => void);
              clearTimeout(timer);
              res(m as never);
              return true;
            }
            return false;
          };
          const timer = setTimeout(() => {
            waiters.delete(check as () => void);
            rej(new Error(`timed out waiting for ${what}; got ${messages.map((m) => m.type).join(',')}`));
          }, 20_000);
          timer.unref();
          if (!check()) waiters.add(check as () => void);
        }),
      close: () =>
        new Promise((res) => {
          if (ws.readyState === WebSocket.CLOSED) return res();
          ws.once('close', () => res());
          ws.close();
        }),
    };
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => reject({ status: res.statusCode, body: safeJson(body) }));
    });
    ws.once('error', (err) => reject(err));
    void socket.next((m) => m.type === 'welcome', 'welcome').then(() => resolve(socket), () => undefined);
  });
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Feature names of a loaded model (from its card, as the daemon reports it). */
export async function featuresOf(d: RunningDaemon, ref: string): Promise<string[]> {
  const { models } = await d.client.models();
  const at = ref.indexOf('@');
  const m = models.find((x) => (at > 0 ? `${x.name}@${x.version}` === ref : x.name === ref && x.is_default));
  if (!m) throw new Error(`model ${ref} is not loaded (loaded: ${models.map((x) => `${x.name}@${x.version}`).join(', ')})`);
  return m.card.features.map((f) => f.name);
}

/** Records reduced to the given features (sample records carry the union of the models' features). */
export function project(records: FeatureRecord[], features: string[]): FeatureRecord[] {
  return records.map((r) => Object.fromEntries(features.map((f) => [f, r[f] ?? null])));
}
