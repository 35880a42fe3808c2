/**
 * The one module through which a webview talks to its host (protocol/webview.ts).
 *
 * Host API factory: in VS Code it wraps `acquireVsCodeApi()` (callable once per page); anywhere
 * else — a test page in headless Chromium — the page provides `window.__sightlineHost` with the
 * same three methods before the bundle runs, so every panel bundle runs outside VS Code. Messages
 * from the host arrive as `message` events on the window in both cases.
 *
 * Everything that arrives is validated before use: the envelope, each notification's params, and
 * each response's result against the schema of the request it answers.
 */
import './zod-jitless';
import type { z } from 'zod';
import {
  HostMessage, PersistedPanelState, ReadyCommand, WEBVIEW_PROTOCOL_VERSION, LogCommand,
  type CommandType, type NotificationType, type PanelKind, type ParamsOf, type RequestType, type WebviewError,
} from '../../protocol/webview';

/** What a page needs from its host: VS Code's webview API, or a test's stand-in. */
export interface HostApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}

declare global {
  interface Window {
    /** Injected by tests (and any non-VS Code embedder) before the bundle loads. */
    __sightlineHost?: HostApi;
  }
  // Provided by VS Code inside webviews.
  function acquireVsCodeApi(): HostApi;
}

let cached: HostApi | undefined;

/** The host API of this page (created once). */
export function hostApi(): HostApi {
  if (cached) return cached;
  if (window.__sightlineHost) cached = window.__sightlineHost;
  else if (typeof acquireVsCodeApi === 'function') cached = acquireVsCodeApi();
  else throw new Error('no host: not inside a VS Code webview and no window.__sightlineHost was provided');
  return cached;
}

/** A failed request: the host's typed error, or a response that did not validate. */
export class RequestError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
    this.name = 'RequestError';
  }
}

const REQUEST_TIMEOUT_MS = 120_000;

interface Pending {
  type: RequestType;
  resolve(value: unknown): void;
  reject(err: Error): void;
  timer: ReturnType<typeof setTimeout>;
}

export class Messenger {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly listeners = new Map<string, Set<(params: unknown) => void>>();

  constructor(readonly panel: PanelKind, private readonly api: HostApi = hostApi()) {
    window.addEventListener('message', (event: MessageEvent) => this.receive(event.data));
  }

  /** Tells the host the page is ready; it answers with the `init` notification. */
  ready(): void {
    this.command(ReadyCommand, { panel: this.panel, protocol: WEBVIEW_PROTOCOL_VERSION });
  }

  request<T extends RequestType>(type: T, params: ParamsOf<T>): Promise<z.output<T['result']>> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new RequestError('timeout', `${type.method}: no answer from the extension in ${REQUEST_TIMEOUT_MS / 1000} s`));
      }, REQUEST_TIMEOUT_MS);
      this.pending.set(id, { type, resolve: resolve as (v: unknown) => void, reject, timer });
      this.api.postMessage({ kind: 'request', id, method: type.method, params });
    });
  }

  command<T extends CommandType>(type: T, params: ParamsOf<T>): void {
    this.api.postMessage({ kind: 'command', method: type.method, params });
  }

  /** Subscribes to a notification; the handler gets validated params. Returns an unsubscribe function. */
  on<T extends NotificationType>(type: T, handler: (params: z.output<T['params']>) => void): () => void {
    const wrapped = (raw: unknown): void => {
      const parsed = type.params.safeParse(raw);
      if (!parsed.success) {
        this.log('warn', `refused ${type.method} notification: ${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message}`);
        return;
      }
      handler(parsed.data as z.output<T['params']>);
    };
    let set = this.listeners.get(type.method);
    if (!set) this.listeners.set(type.method, (set = new Set()));
    set.add(wrapped);
    return () => set!.delete(wrapped);
  }

  log(level: 'info' | 'warn' | 'error', message: string): void {
    try {
      this.command(LogCommand, { level, message: message.slice(0, 10_000) });
    } catch {
      /* no host */
    }
  }

  /** The state saved for this panel (null when none or from another panel or version). */
  loadState(): PersistedPanelState | null {
    const parsed = PersistedPanelState.safeParse(this.api.getState());
    return parsed.success && parsed.data.panel === this.panel ? parsed.data : null;
  }

  saveState(args: unknown, ui: Record<string, unknown>): void {
    const state: PersistedPanelState = { v: WEBVIEW_PROTOCOL_VERSION, panel: this.panel, args, ui };
    this.api.setState(state);
  }

  private receive(raw: unknown): void {
    const parsed = HostMessage.safeParse(raw);
    if (!parsed.success) return; // not ours (e.g. VS Code's own messages) or malformed
    const msg = parsed.data;
    if (msg.kind === 'notification') {
      for (const l of this.listeners.get(msg.method) ?? []) l(msg.params);
      return;
    }
    const p = this.pending.get(msg.id);
    if (!p) return;
    this.pending.delete(msg.id);
    clearTimeout(p.timer);
    if ('error' in msg) {
      p.reject(new RequestError(msg.error.code, msg.error.message));
      return;
    }
    const result = p.type.result.safeParse(msg.result);
    if (!result.success) {
      const issue = result.error.issues[0];
      const message = `${p.type.method}: the answer does not match its schema at ${issue?.path.join('.') || '(root)'}: ${issue?.message}`;
      this.log('error', message);
      p.reject(new RequestError('invalid_response', message));
      return;
    }
    p.resolve(result.data);
  }
}

export type { WebviewError };
