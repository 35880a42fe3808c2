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

/** What a handler knows of its caller: `signal` aborts when the client goes away (WebSocket closed, HTTP connection dropped). */
export interface RequestContext {
  signal: AbortSignal;
}
type QueryHandler = (params: unknown, ctx: RequestContext) => Promise<unknown>;
/** Reads and validates the request body with `schema`; `what` names it in errors. */
export type BodyReader = <T extends z.ZodType>(schema: T, what: string) => Promise<z.infer<T>>;
export type RouteHandler = (body: BodyReader, url: URL, ctx: RequestContext) => Promise<unknown>;

/**
 * HTTP routes under /v1/ and the WebSocket stream at /v1/stream. Every body is validated with its
 * zod schema before anything happens; failures answer `{ error: { code, message, path } }`.
 */
export class HttpServer {
  readonly server: Server;
  private readonly wss: WebSocketServer;
  private readonly policy: AccessPolicy;
  private readonly queries = new Map<string, QueryHandler>();
  private readonly routes = new Map<string, RouteHandler>();
  private sockets = new Set<import('node:net').Socket>();

  constructor(private readonly daemon: Daemon, private readonly options: HttpOptions) {
    this.policy = { token: daemon.token, port: () => this.port, allowedOrigins: options.allowedOrigins };
    // requireHostHeader off: Node's own check answered a bare 400 to HTTP/1.1 without Host (found
    // by the protocol fuzzer); checkAccess refuses it typed (forbidden_host) instead.
    this.server = createServer({ requireHostHeader: false }, (req, res) => void this.track(this.handle(req, res)));
    this.server.on('connection', (s) => { this.sockets.add(s); s.on('close', () => this.sockets.delete(s)); });
    this.server.requestTimeout = 120_000;
    this.server.headersTimeout = 30_000;
    // Malformed HTTP (a bad request line or header, bad chunking, oversized headers): Node answers
    // a bare `400 Bad Request` with no body. The protocol fuzzer wants every answer typed, so the
    // daemon answers with its error body (and closes: the stream cannot be trusted after this).
    // `Expect: <anything but 100-continue>`: Node answers a bare 417; answer typed instead.
    this.server.on('checkExpectation', (req: IncomingMessage, res: ServerResponse) => {
      req.resume();
      reply(res, 400, new SightlineError('invalid_request', `unsupported Expect header ${JSON.stringify(String(req.headers.expect ?? '')).slice(0, 60)}; only 100-continue is supported`).toBody(), { Connection: 'close' });
    });
    this.server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
      if (!socket.writable || err.code === 'ECONNRESET' || err.code === 'EPIPE') return void socket.destroy();
      const [status, reason, e] =
        err.code === 'HPE_HEADER_OVERFLOW' ? [431, 'Request Header Fields Too Large', new SightlineError('payload_too_large', 'the request headers are too large')]
        : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? [408, 'Request Timeout', new SightlineError('invalid_request', 'the request was not completed in time')]
        : [400, 'Bad Request', new SightlineError('invalid_request', `malformed HTTP request (${err.code ?? 'parse error'}); send HTTP/1.1 with a JSON body`)];
      const body = JSON.stringify(e.toBody());
      socket.end(`HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
    });
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: options.maxBodyBytes,
      // A client that offers subprotocols fails the handshake unless the server selects one of
      // them (RFC 6455 §4.1), so a client that authenticates with `bearer.<token>` alone gets that
      // one back (it is its own, already checked token); with `sightline.v1` offered too, that wins.
      handleProtocols: (protocols) => {
        if (protocols.has('sightline.v1')) return 'sightline.v1';
        for (const p of protocols) if (p.startsWith('bearer.')) return p;
        return false;
      },
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

  /**
   * Adds an HTTP route (e.g. `POST /v1/runs` from the lineage module). The handler gets a body
   * reader that validates with a zod schema, and answers with the JSON it returns.
   */
  registerRoute(method: 'GET' | 'POST' | 'DELETE', pathname: string, handler: RouteHandler): void {
    this.routes.set(`${method} ${pathname}`, handler);
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
        case 'GET /v1/health': return reply(res, 200, await this.daemon.health());
        case 'GET /v1/models': return reply(res, 200, this.daemon.models());
        case 'POST /v1/models': return reply(res, 200, await this.daemon.loadModel(await this.body(req, LoadModelRequest, 'model load request')));
        case 'POST /v1/predict': return reply(res, 200, await this.daemon.predictor.predict(await this.body(req, PredictRequest, 'predict request')));
        case 'POST /v1/predictions': return reply(res, 200, await this.daemon.predictor.logPredictions(await this.body(req, LogPredictionsRequest, 'predictions')));
        case 'POST /v1/labels': return reply(res, 200, await this.daemon.predictor.logLabels(await this.body(req, LabelsRequest, 'labels')));
      }
      if (req.method === 'DELETE' && url.pathname.startsWith('/v1/models/')) {
        let ref: string;
        try {
          ref = decodeURIComponent(url.pathname.slice('/v1/models/'.length));
        } catch {
          // `%E0%A4%A` threw a URIError that answered 500 internal (found by the robustness corpus).
          throw new SightlineError('invalid_request', 'the model reference in the path is not valid percent-encoding', ['model']);
        }
        await this.daemon.registry.unload(ref);
        return reply(res, 200, { unloaded: true });
      }
      const extra = this.routes.get(route);
      if (extra) {
        // Aborted when the client drops the connection before the answer is sent (a long replay then stops).
        const gone = new AbortController();
        res.once('close', () => { if (!res.writableFinished) gone.abort('the HTTP client went away'); });
        return reply(res, 200, await extra((schema, what) => this.body(req, schema, what), url, { signal: gone.signal }));
      }
      throw new SightlineError('not_found', `no route ${route}; see README "HTTP API"`);
    } catch (err) {
      const e = asSightline(err);
      if (e.code === 'internal') this.daemon.log('error', `${req.method} ${req.url}: ${e.message}`);
      // After a 413 the client may still be uploading. Destroying the socket then makes the
      // kernel answer with a reset, which can cost the client the 413 itself, or break the next
      // request on a kept-alive connection. So the rest of the body is read and discarded (see
      // `readBody`) and the connection stays usable; only a body declared beyond DRAIN_CAP_BYTES
      // is not worth reading: that answer says `Connection: close`.
      const close = e.code === 'payload_too_large' && Number(req.headers['content-length'] ?? 0) > DRAIN_CAP_BYTES;
      reply(res, HTTP_STATUS[e.code], e.toBody(), close ? { Connection: 'close' } : {});
    }
  }

  /** Reads and validates a JSON body, refusing it past the size limit. */
  private async body<T extends z.ZodType>(req: IncomingMessage, schema: T, what: string): Promise<z.infer<T>> {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > this.options.maxBodyBytes) throw tooLarge(this.options.maxBodyBytes);
    const text = await readBody(req, this.options.maxBodyBytes);
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (err) {
      throw new SightlineError('bad_json', `the body is not valid JSON: ${err instanceof Error ? err.message : String(err)}`);
    }
    refuseLoneSurrogates(text, json);
    let parsed;
    try {
      parsed = schema.safeParse(json);
    } catch (err) {
      throw asSightline(err); // a stack overflow on deeply nested JSON (z.json() recurses): typed below
    }
    if (!parsed.success) throw fromZodError(parsed.error, what);
    return parsed.data as z.infer<T>;
  }

  private onSocket(ws: WebSocket): void {
    const sub = this.daemon.hub.add(ws);
    // Queries of this socket still running (a replay) are aborted when it closes.
    const gone = new AbortController();
    ws.once('close', () => gone.abort('the client closed its WebSocket'));
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
          refuseLoneSurrogates(data.toString(), json);
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
              send(ws, { type: 'response', id: msg.id, result: await this.track(handler(msg.params, { signal: gone.signal })) });
            } catch (err) {
              send(ws, { type: 'response', id: msg.id, error: asSightline(err).toBody().error });
            }
          }
        }
      })();
    });
    // A protocol violation (frame too big, invalid UTF-8): ws has already started the close
    // handshake with the right code (1009, 1007); terminating at once cut it off and clients saw
    // 1006 (found by the protocol fuzzer). Terminate only a socket that does not close.
    ws.on('error', () => setTimeout(() => ws.terminate(), 2000).unref());
  }

  /**
   * Requests and queries being answered. `close` waits for them: closing the trace while a query
   * still ran on it deadlocked DuckDB's connection teardown and the daemon never exited after
   * SIGTERM (found by the soak: a WebSocket query in flight at stop).
   */
  private inflight = new Set<Promise<unknown>>();

  private track<T>(p: Promise<T>): Promise<T> {
    this.inflight.add(p);
    void p.then(() => this.inflight.delete(p), () => this.inflight.delete(p));
    return p;
  }

  async close(): Promise<void> {
    for (const ws of this.wss.clients) ws.terminate();
    this.wss.close();
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      for (const s of this.sockets) s.destroy();
    });
    // Their clients are gone; let the work finish (bounded) before the engine closes the trace.
    const deadline = Date.now() + 60_000;
    while (this.inflight.size > 0 && Date.now() < deadline) {
      await Promise.race([Promise.allSettled([...this.inflight]), new Promise((r) => setTimeout(r, 1000).unref())]);
    }
  }
}

function reply(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text), 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff', ...headers });
  res.end(text);
}

/** Past the body limit, up to this many more bytes are read and discarded before the socket is cut. */
const DRAIN_CAP_BYTES = 64 * 1024 * 1024;

/**
 * Reads a request body as UTF-8, refusing it past `limit` bytes. Not `for await`: leaving that
 * loop early destroys the request and its socket before the 413 is sent. Past the limit the
 * rest is discarded as it arrives (so the client finishes its upload and reads the answer);
 * beyond DRAIN_CAP_BYTES the socket is destroyed.
 */
function readBody(req: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (over) {
        if (size > limit + DRAIN_CAP_BYTES) req.socket.destroy();
        return;
      }
      if (size > limit) {
        over = true;
        chunks.length = 0;
        return reject(tooLarge(limit));
      }
      chunks.push(chunk);
    });
    req.once('end', () => { if (!over) resolve(Buffer.concat(chunks).toString('utf8')); });
    req.once('error', reject);
    req.once('close', () => { if (!req.complete) reject(new SightlineError('bad_json', 'the client closed the connection before the body was complete')); });
  });
}

/**
 * JSON may spell half of a UTF-16 surrogate pair (`"\ud800"`), which is no Unicode text: DuckDB's
 * JSON columns refuse it, and a run's params holding one answered 500 internal (found by the
 * protocol fuzzer). Refused up front as bad_json. Only bodies that spell a surrogate escape at all
 * are walked, so the common path costs one regular-expression scan.
 */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function refuseLoneSurrogates(text: string, json: unknown): void {
  if (!/\\u[dD][89a-fA-F]/.test(text)) return;
  const stack: unknown[] = [json];
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v === 'string') {
      if (LONE_SURROGATE.test(v)) throw new SightlineError('bad_json', 'the JSON holds a lone UTF-16 surrogate (an escape like \\ud800 without its pair); send valid Unicode text');
    } else if (v && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        if (LONE_SURROGATE.test(k)) throw new SightlineError('bad_json', 'the JSON holds a lone UTF-16 surrogate in a key; send valid Unicode text');
        stack.push(x);
      }
    }
  }
}

function tooLarge(limit: number): SightlineError {
  return new SightlineError('payload_too_large', `request body exceeds ${limit} bytes; split it into smaller batches or raise --max-body`);
}

export function asSightline(err: unknown): SightlineError {
  if (err instanceof SightlineError) return err;
  const message = err instanceof Error ? err.message : String(err);
  // Writes that DuckDB could not make (model rows, feature columns, lineage, findings) when the
  // disk is full or a file-size limit is hit: a storage condition the user can fix, not a bug.
  if (/No space left on device|File too large|Could not write file|could not (?:write|truncate|fsync)/i.test(message)) {
    return new SightlineError('storage_error', `the trace cannot be written: ${message.split('\n')[0]}. Free disk space or move the trace; reads keep working`);
  }
  // JSON nested thousands deep overflows the stack of recursive validators (z.json() for run params):
  // the robustness corpus found `POST /v1/runs` answering 500 internal.
  if (err instanceof RangeError && /call stack/i.test(message)) return new SightlineError('invalid_request', 'the JSON is nested too deeply; Sightline messages nest a few levels at most');
  // A value DuckDB cannot convert into its column (a request's text that is no valid JSON, a number
  // out of range): the request's fault, answered typed.
  if (/^Conversion Error:/.test(message)) return new SightlineError('bad_value', `a value could not be stored: ${message.split('\n')[0]}`);
  // A trace's SQL touching local files while external access is disabled (--read-only): refused by DuckDB.
  if (/^Permission Error:/.test(message)) return new SightlineError('bad_file', `the trace tried to access local files, which is disabled for shared traces: ${message.split('\n')[0]}`);
  return new SightlineError('internal', message);
}
