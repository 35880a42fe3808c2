import * as vscode from 'vscode';
import { SightlineClient, StreamConnection } from '../clients/typescript/client';
import type { EventType, ServerMessage } from '../protocol/stream';

/** Every event type the extension listens to (views, status bar, panels). */
const EVENTS: EventType[] = ['prediction', 'model', 'finding', 'run_progress', 'label'];

/**
 * One authenticated connection to a daemon: HTTP through SightlineClient, and the WebSocket
 * stream for events and editor queries. `onEvent` fires per event frame (coalesced payloads);
 * `onClose` once, when the socket goes away for any reason.
 */
export class DaemonConnection implements vscode.Disposable {
  private readonly eventEmitter = new vscode.EventEmitter<{ event: string; data: unknown[] }>();
  private readonly closeEmitter = new vscode.EventEmitter<void>();
  readonly onEvent = this.eventEmitter.event;
  readonly onClose = this.closeEmitter.event;
  private closed = false;

  private constructor(readonly http: SightlineClient, private readonly stream: StreamConnection, readonly version: string) {
    stream.onMessage((msg: ServerMessage) => {
      if (msg.type === 'event') this.eventEmitter.fire({ event: msg.event, data: msg.data });
    });
    // Socket errors (a killed daemon resets the connection) end in 'close'; an unhandled
    // 'error' event would throw in the extension host.
    stream.ws.on('error', () => undefined);
    stream.ws.on('close', () => {
      if (this.closed) return;
      this.closed = true;
      this.closeEmitter.fire();
    });
    stream.subscribe(EVENTS);
  }

  static async open(port: number, token: string, timeoutMs = 10_000): Promise<DaemonConnection> {
    const http = new SightlineClient({ port, token });
    const health = await withTimeout(http.health(), timeoutMs, 'the daemon did not answer /v1/health');
    const stream = await withTimeout(http.stream(), timeoutMs, 'the daemon stream did not open');
    return new DaemonConnection(http, stream, health.version);
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  query<T>(method: string, params?: unknown, timeoutMs = 120_000): Promise<T> {
    if (this.closed) return Promise.reject(new Error('the Sightline daemon is not connected'));
    return withTimeout(this.stream.query<T>(method, params), timeoutMs, `query ${method} timed out`);
  }

  dispose(): void {
    this.closed = true;
    try {
      this.stream.close();
    } catch {
      /* already closed */
    }
    this.eventEmitter.dispose();
    this.closeEmitter.dispose();
  }
}

function withTimeout<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(message)), ms);
    p.then((v) => { clearTimeout(t); resolve(v); }, (e: unknown) => { clearTimeout(t); reject(e instanceof Error ? e : new Error(String(e))); });
  });
}
