import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { z } from 'zod';
import {
  ClientMessage, fromZodError, HTTP_STATUS, LabelsRequest, LoadModelRequest, LogPredictionsRequest,
  PredictRequest, PROTOCOL_VERSION, SightlineError,
} from '../../protocol';
import type { Daemon } from './daemon';
import { send } from './hub';
import { checkAccess, type AccessPolicy } from './security';

export interface HttpOptions {
  port: number;
  maxBodyBytes: number;
  allowedOrigins: string[];
}

type QueryHandler = (params: unknown) => Promise<unknown>;

/**
 * HTTP routes under /v1/ and the WebSocket stream at /v1/stream. Every body is validated with its
 * zod schema before anything happens; failures answer `{ error: { code, message, path } }`.
 */
export class HttpServer {
  readonly server: Server;
  private readonly wss: WebSocketServer;
  private readonly policy: AccessPolicy;
  private readonly queries = new Map<string, QueryHandler>();
  private sockets = new Set<import('node:net').Socket>();

  constructor(private readonly daemon: Daemon, private readonly options: HttpOptions) {
    this.policy = { token: daemon.token, port: () => this.port, allowedOrigins: options.allowedOrigins };
    this.server = createServer((req, res) => void this.handle(req, res));
    this.server.on('connection', (s) => { this.sockets.add(s); s.on('close', () => this.sockets.delete(s)); });
    this.server.requestTimeout = 120_000;
    this.server.headersTimeout = 30_000;
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: options.maxBodyBytes,
      handleProtocols: (protocols) => (protocols.has('sightline.v1') ? 'sightline.v1' : false),
    });
    this.server.on('upgrade', (req, socket, head) => {
      try {
        if (new URL(req.url ?? '/', 'http://x').pathname !== '/v1/stream') throw new SightlineError('not_found', 'WebSocket endpoint is /v1/stream');
        checkAccess(req, this.policy);
      } catch (err) {
        const e = asSightline(err);
        socket.end(`HTTP/1.1 ${HTTP_STATUS[e.code]} ${e.code}\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n${JSON.stringify(e.toBody())}`);
        return;
      }
      this.wss.handleUpgrade(req, socket, head, (ws) => this.onSocket(ws));
    });
    this.registerQuery('health', async () => this.daemon.health());
    this.registerQuery('models', async () => this.daemon.models());
  }

  get port(): number {
    return (this.server.address() as AddressInfo | null)?.port ?? this.options.port;
  }

  /** Lets other parts of the daemon answer typed WebSocket queries from the editor. */
  registerQuery(method: string, handler: QueryHandler): void {
    this.queries.set(method, handler);
  }

  listen(): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port, '127.0.0.1', () => resolve(this.port));
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      checkAccess(req, this.policy);
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const route = `${req.method} ${url.pathname}`;
      switch (route) {
        case 'GET /v1/health': return reply(res, 200, this.daemon.health());
        case 'GET /v1/models': return reply(res, 200, this.daemon.models());
        case 'POST /v1/models': return reply(res, 200, await this.daemon.loadModel(await this.body(req, LoadModelRequest, 'model load request')));
        case 'POST /v1/predict': return reply(res, 200, await this.daemon.predictor.predict(await this.body(req, PredictRequest, 'predict request')));
        case 'POST /v1/predictions': return reply(res, 200, await this.daemon.predictor.logPredictions(await this.body(req, LogPredictionsRequest, 'predictions')));
        case 'POST /v1/labels': return reply(res, 200, await this.daemon.predictor.logLabels(await this.body(req, LabelsRequest, 'labels')));
      }
      if (req.method === 'DELETE' && url.pathname.startsWith('/v1/models/')) {
        await this.daemon.registry.unload(decodeURIComponent(url.pathname.slice('/v1/models/'.length)));
        return reply(res, 200, { unloaded: true });
      }
      throw new SightlineError('not_found', `no route ${route}; see README "HTTP API"`);
    } catch (err) {
      const e = asSightline(err);
      if (e.code === 'internal') this.daemon.log('error', `${req.method} ${req.url}: ${e.message}`);
      reply(res, HTTP_STATUS[e.code], e.toBody());
      // An unread oversize body would otherwise keep streaming in.
      if (e.code === 'payload_too_large') req.destroy();
    }
  }

  /** Reads and validates a JSON body, refusing it past the size limit. */
  private async body<T extends z.ZodType>(req: IncomingMessage, schema: T, what: string): Promise<z.infer<T>> {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > this.options.maxBodyBytes) throw tooLarge(this.options.maxBodyBytes);
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > this.options.maxBodyBytes) throw tooLarge(this.options.maxBodyBytes);
      chunks.push(chunk as Buffer);
    }
    let json: unknown;
    try {
      json = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch (err) {
      throw new SightlineError('bad_json', `the body is not valid JSON: ${err instanceof Error ? err.message : String(err)}`);
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) throw fromZodError(parsed.error, what);
    return parsed.data;
  }

  private onSocket(ws: WebSocket): void {
    const sub = this.daemon.hub.add(ws);
    send(ws, { type: 'welcome', protocol: PROTOCOL_VERSION, version: this.daemon.version, trace: this.daemon.store.path });
    ws.on('message', (data, isBinary) => {
      void (async () => {
        let msg: ClientMessage;
        try {
          if (isBinary) throw new SightlineError('bad_json', 'binary frames are not part of the protocol; send JSON text');
          let json: unknown;
          try {
            json = JSON.parse(data.toString());
          } catch {
            throw new SightlineError('bad_json', 'message is not valid JSON');
          }
          const parsed = ClientMessage.safeParse(json);
          if (!parsed.success) throw fromZodError(parsed.error, 'stream message');
          msg = parsed.data;
        } catch (err) {
          send(ws, { type: 'error', error: asSightline(err).toBody().error });
          return;
        }
        switch (msg.type) {
          case 'hello':
            if (msg.protocol > PROTOCOL_VERSION) send(ws, { type: 'error', error: { code: 'unsupported', message: `client speaks protocol ${msg.protocol}; this daemon speaks ${PROTOCOL_VERSION}. Upgrade the daemon.` } });
            return;
          case 'subscribe': return this.daemon.hub.subscribe(sub, msg.events, msg.models);
          case 'unsubscribe': return this.daemon.hub.unsubscribe(sub, msg.events);
          case 'ping': return send(ws, { type: 'pong', ...(msg.id !== undefined ? { id: msg.id } : {}) });
          case 'query': {
            const handler = this.queries.get(msg.method);
            if (!handler) return send(ws, { type: 'response', id: msg.id, error: { code: 'not_found', message: `unknown query method "${msg.method}" (known: ${[...this.queries.keys()].join(', ')})` } });
            try {
              send(ws, { type: 'response', id: msg.id, result: await handler(msg.params) });
            } catch (err) {
              send(ws, { type: 'response', id: msg.id, error: asSightline(err).toBody().error });
            }
          }
        }
      })();
    });
    ws.on('error', () => ws.terminate());
  }

  async close(): Promise<void> {
    for (const ws of this.wss.clients) ws.terminate();
    this.wss.close();
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      for (const s of this.sockets) s.destroy();
    });
  }
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text), 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' });
  res.end(text);
}

function tooLarge(limit: number): SightlineError {
  return new SightlineError('payload_too_large', `request body exceeds ${limit} bytes; split it into smaller batches or raise --max-body`);
}

export function asSightline(err: unknown): SightlineError {
  if (err instanceof SightlineError) return err;
  return new SightlineError('internal', err instanceof Error ? err.message : String(err));
}
