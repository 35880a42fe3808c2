import { StreamConnection } from '../../clients/typescript/client';
import { FINDINGS_QUERY, SightlineError, type EventType, type Finding, type HealthResponse, type ModelsResponse } from '../../protocol';
import { toFindings } from './finding-rows';
import { toModels, type ModelSummary } from './snapshot';

const CONNECT_TIMEOUT_MS = 3000;

/**
 * The language server's WebSocket to the daemon: subscribes to finding and model events and
 * asks for findings with the `findings` query. A daemon that predates that query answers
 * "unknown query method"; `findings()` then returns 'unsupported' and the caller reads the file.
 */
export class DaemonLink {
  private closed = false;
  private closeListeners = new Set<() => void>();

  private constructor(private readonly conn: StreamConnection, readonly port: number, readonly trace: string) {
    // After the handshake nobody else listens for socket errors; unhandled, one would kill the server.
    conn.ws.on('error', () => conn.ws.terminate());
    conn.ws.on('close', () => {
      this.closed = true;
      for (const l of this.closeListeners) l();
    });
  }

  static async connect(info: { port: number; token: string }): Promise<DaemonLink> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer from the daemon on port ${info.port} within ${CONNECT_TIMEOUT_MS} ms`)), CONNECT_TIMEOUT_MS);
    });
    const opening = StreamConnection.open(info);
    try {
      const conn = await Promise.race([opening, timeout]);
      const health = await Promise.race([conn.query<HealthResponse>('health'), timeout]);
      conn.subscribe(['finding', 'model']);
      return new DaemonLink(conn, info.port, health.trace);
    } catch (err) {
      // A socket that opens after the timeout (or answers no health) must not linger.
      void opening.then((c) => c.close(), () => undefined);
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  async findings(): Promise<Finding[] | 'unsupported'> {
    try {
      return toFindings(await this.conn.query(FINDINGS_QUERY, {}));
    } catch (err) {
      if (err instanceof SightlineError && err.code === 'not_found' && /unknown query method/i.test(err.message)) return 'unsupported';
      throw err;
    }
  }

  async models(): Promise<ModelSummary[]> {
    const r = await this.conn.query<ModelsResponse>('models');
    return toModels(r.models ?? []);
  }

  onEvent(listener: (event: EventType) => void): void {
    this.conn.onMessage((msg) => {
      if (msg.type === 'event') listener(msg.event);
    });
  }

  onClose(listener: () => void): void {
    this.closeListeners.add(listener);
  }

  close(): void {
    this.closeListeners.clear();
    this.conn.close();
  }
}
