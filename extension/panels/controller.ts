/**
 * The host side of a panel's typed messaging (protocol/webview.ts), free of `vscode` so that tests
 * drive it directly: every message a webview posts is parsed with the panel's protocol before a
 * handler runs; requests are answered with a `response` carrying the request's id (the result, or
 * a typed error), commands run without an answer, notifications go out validated too.
 */
import type { z } from 'zod';
import {
  WebviewMessage,
  type CommandType, type HostMessage, type NotificationType, type PanelProtocol, type ParamsOf, type RequestType, type WebviewError,
} from '../../protocol/webview';

export interface PanelLog {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export interface RequestHandler {
  readonly type: RequestType;
  run(params: unknown): Promise<unknown>;
}

export interface CommandHandler {
  readonly type: CommandType;
  run(params: unknown): void | Promise<void>;
}

export interface PanelHandlers {
  requests: RequestHandler[];
  commands: CommandHandler[];
}

/** A handler for one request type; it receives parsed params and returns the result's input shape. */
export function onRequest<T extends RequestType>(type: T, run: (params: z.output<T['params']>) => Promise<z.input<T['result']>>): RequestHandler {
  return { type, run: (params) => run(params as z.output<T['params']>) };
}

export function onCommand<T extends CommandType>(type: T, run: (params: z.output<T['params']>) => void | Promise<void>): CommandHandler {
  return { type, run: (params) => run(params as z.output<T['params']>) };
}

/** An error with a code the webview shows (daemon errors keep theirs). */
export class PanelError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
  }
}

export class PanelController {
  private readonly requests = new Map<string, RequestHandler>();
  private readonly commands = new Map<string, CommandHandler>();
  private disposed = false;

  constructor(
    readonly protocol: PanelProtocol,
    handlers: PanelHandlers,
    private readonly post: (message: HostMessage) => unknown,
    private readonly log: PanelLog,
  ) {
    for (const h of handlers.requests) {
      if (!protocol.requests.includes(h.type)) throw new Error(`${protocol.panel}: request ${h.type.method} is not in the panel's protocol`);
      this.requests.set(h.type.method, h);
    }
    for (const h of handlers.commands) {
      if (!protocol.commands.includes(h.type)) throw new Error(`${protocol.panel}: command ${h.type.method} is not in the panel's protocol`);
      this.commands.set(h.type.method, h);
    }
    for (const t of protocol.requests) if (!this.requests.has(t.method)) throw new Error(`${protocol.panel}: no handler for request ${t.method}`);
  }

  /** Handles one message posted by the webview (anything: it is validated here). */
  async receive(raw: unknown): Promise<void> {
    const envelope = WebviewMessage.safeParse(raw);
    if (!envelope.success) {
      this.log.warn(`${this.protocol.panel} webview: refused a malformed message (${envelope.error.issues[0]?.message ?? 'invalid'})`);
      return;
    }
    const msg = envelope.data;
    if (msg.kind === 'request') {
      const handler = this.requests.get(msg.method);
      if (!handler) return this.reply(msg.id, { code: 'unknown_method', message: `the ${this.protocol.panel} panel has no request "${msg.method}"` });
      const params = handler.type.params.safeParse(msg.params ?? {});
      if (!params.success) {
        const issue = params.error.issues[0];
        return this.reply(msg.id, { code: 'invalid_request', message: `${msg.method}: ${issue?.path.join('.') || 'params'}: ${issue?.message ?? 'invalid'}` });
      }
      try {
        const result = await handler.run(params.data);
        this.send({ kind: 'response', id: msg.id, result });
      } catch (err) {
        const e = asWebviewError(err);
        if (e.code === 'internal') this.log.error(`${this.protocol.panel}: ${msg.method} failed: ${e.message}`);
        this.reply(msg.id, e);
      }
      return;
    }
    const handler = this.commands.get(msg.method);
    if (!handler) {
      this.log.warn(`${this.protocol.panel} webview: unknown command "${msg.method}"`);
      return;
    }
    const params = handler.type.params.safeParse(msg.params ?? {});
    if (!params.success) {
      this.log.warn(`${this.protocol.panel} webview: refused ${msg.method}: ${params.error.issues[0]?.message ?? 'invalid params'}`);
      return;
    }
    try {
      await handler.run(params.data);
    } catch (err) {
      this.log.error(`${this.protocol.panel}: ${msg.method} failed: ${asWebviewError(err).message}`);
    }
  }

  /** Sends a notification of this panel's protocol (params validated first). */
  notify<T extends NotificationType>(type: T, params: ParamsOf<T>): void {
    if (!this.protocol.notifications.includes(type)) throw new Error(`${this.protocol.panel}: notification ${type.method} is not in the panel's protocol`);
    const parsed = type.params.safeParse(params);
    if (!parsed.success) throw new Error(`${this.protocol.panel}: invalid ${type.method} notification: ${parsed.error.issues[0]?.message}`);
    this.send({ kind: 'notification', method: type.method, params: parsed.data });
  }

  dispose(): void {
    this.disposed = true;
  }

  private reply(id: number, error: WebviewError): void {
    this.send({ kind: 'response', id, error });
  }

  private send(message: HostMessage): void {
    if (this.disposed) return;
    try {
      void Promise.resolve(this.post(message)).catch(() => undefined);
    } catch {
      /* the panel went away */
    }
  }
}

export function asWebviewError(err: unknown): WebviewError {
  if (err && typeof err === 'object') {
    const e = err as { code?: unknown; message?: unknown };
    const message = typeof e.message === 'string' ? e.message : String(err);
    return { code: typeof e.code === 'string' ? e.code : 'internal', message };
  }
  return { code: 'internal', message: String(err) };
}
