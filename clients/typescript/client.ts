import WebSocket from 'ws';
import type {
  DaemonInfo, ErrorBody, EventType, HealthResponse, LabelsRequest, LoadModelRequest, LogPredictionsRequest,
  ModelInfo, ModelsResponse, PredictRequest, PredictResponse, ServerMessage,
} from '../../protocol';
import { PROTOCOL_VERSION, SightlineError } from '../../protocol';

/**
 * The TypeScript client of the Sightline daemon (used by the CLI, the extension and the tests).
 * HTTP for request/response, one WebSocket for events and editor queries.
 */
export class SightlineClient {
  readonly baseUrl: string;

  constructor(readonly info: Pick<DaemonInfo, 'port' | 'token'>) {
    this.baseUrl = `http://127.0.0.1:${info.port}`;
  }

  health(): Promise<HealthResponse> { return this.request('GET', '/v1/health'); }
  models(): Promise<ModelsResponse> { return this.request('GET', '/v1/models'); }
  loadModel(req: Partial<LoadModelRequest> & { path: string }): Promise<ModelInfo> { return this.request('POST', '/v1/models', req); }
  unloadModel(ref: string): Promise<{ unloaded: boolean }> { return this.request('DELETE', `/v1/models/${encodeURIComponent(ref)}`); }
  predict(req: PredictRequest): Promise<PredictResponse> { return this.request('POST', '/v1/predict', req); }
  logPredictions(req: LogPredictionsRequest): Promise<{ ids: string[]; logged: number }> { return this.request('POST', '/v1/predictions', req); }
  logLabels(req: LabelsRequest): Promise<{ logged: number }> { return this.request('POST', '/v1/labels', req); }

  async request<T>(method: string, route: string, body?: unknown): Promise<T> {
    const res = await fetch(this.baseUrl + route, {
      method,
      headers: { Authorization: `Bearer ${this.info.token}`, ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new SightlineError('internal', `daemon answered ${res.status} with non-JSON: ${text.slice(0, 200)}`);
    }
    if (!res.ok) {
      const e = (json as ErrorBody).error;
      throw new SightlineError(e?.code ?? 'internal', e?.message ?? `HTTP ${res.status}`, e?.path);
    }
    return json as T;
  }

  /** Opens the event stream; resolves once the daemon's welcome arrives. */
  stream(): Promise<StreamConnection> {
    return StreamConnection.open(this.info);
  }
}

export class StreamConnection {
  private nextId = 1;
  private pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private listeners = new Set<(msg: ServerMessage) => void>();

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      let msg: ServerMessage;
      try {
        msg = JSON.parse(data.toString()) as ServerMessage;
      } catch {
        return;
      }
      if (msg.type === 'response') {
        const p = this.pending.get(msg.id);
        if (p) {
          this.pending.delete(msg.id);
          if (msg.error) {
            const e = msg.error as { code?: string; message?: string };
            p.reject(new SightlineError((e.code as never) ?? 'internal', e.message ?? 'query failed'));
          } else p.resolve(msg.result);
        }
      }
      for (const l of this.listeners) l(msg);
    });
    ws.on('close', () => {
      for (const p of this.pending.values()) p.reject(new Error('stream closed'));
      this.pending.clear();
    });
  }

  static open(info: Pick<DaemonInfo, 'port' | 'token'>): Promise<StreamConnection> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(`ws://127.0.0.1:${info.port}/v1/stream`, ['sightline.v1'], { headers: { Authorization: `Bearer ${info.token}` } });
      const conn = new StreamConnection(ws);
      const onMessage = (data: WebSocket.RawData): void => {
        try {
          const msg = JSON.parse(data.toString()) as ServerMessage;
          if (msg.type === 'welcome') {
            ws.off('message', onMessage);
            ws.send(JSON.stringify({ type: 'hello', protocol: PROTOCOL_VERSION, client: 'sightline-ts' }));
            resolve(conn);
          }
        } catch {
          /* ignore */
        }
      };
      ws.on('message', onMessage);
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`stream refused: HTTP ${res.statusCode}`)));
    });
  }

  onMessage(listener: (msg: ServerMessage) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  subscribe(events: EventType[], models?: string[]): void {
    this.ws.send(JSON.stringify({ type: 'subscribe', events, ...(models ? { models } : {}) }));
  }

  query<T = unknown>(method: string, params?: unknown): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.ws.send(JSON.stringify({ type: 'query', id, method, ...(params !== undefined ? { params } : {}) }));
    });
  }

  close(): void {
    this.ws.close();
  }
}
