import { readdirSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import type { HealthResponse, LoadModelRequest, ModelInfo, ModelsResponse } from '../../protocol';
import { PROTOCOL_VERSION, SightlineError } from '../../protocol';
import { Engine, type EngineOptions } from '../engine';
import { registerLineageRoutes } from '../lineage/routes';
import { Lineage } from '../lineage/service';
import { ingestSpool, spoolDir } from '../lineage/spool';
import { onnxruntimeVersion } from '../runtime/session';
import { TraceStore, type DuckDBMemory } from '../store/trace-store';
import { VERSION } from '../version';
import { registerAnalysisRoutes } from '../findings/routes';
import { registerEditorQueries } from '../queries';
import { registerSliceRoutes } from '../findings/slice-routes';
import { registerSkewRoutes } from '../findings/skew-routes';
import { registerReplayRoutes } from '../replay/routes';
import { registerSharingRoutes } from '../sharing/routes';
import { HttpServer } from './http-server';
import { newToken, removeDaemonInfo, sightlineHome, writeDaemonInfo } from './state-file';

export interface DaemonOptions extends EngineOptions {
  port: number;
  home?: string;
  /** .onnx files or folders of them. */
  models: string[];
  maxBodyBytes: number;
  allowedOrigins: string[];
  /** Run `path` in shadow of the model named `primary`. */
  shadows: { path: string; primary: string }[];
  /** Open the trace read-only: analyses and queries only; predict, load, log and save are refused. */
  readOnly?: boolean;
  /** DuckDB's memory_limit for the trace (its buffer pool, e.g. `128MB`); see `DEFAULT_MEMORY_LIMIT`. */
  memoryLimit?: string;
}

/**
 * The daemon's default DuckDB memory_limit: 128 MB per core, at least 256 MB (DuckDB's hash
 * aggregates and sorts reserve blocks per thread; at 64 MB on 2 cores the slice query ran out).
 * DuckDB's own default (80 % of RAM) suits an analytics session, not a sidecar that runs for days:
 * every block the writer checkpoints or a query reads stays cached until that limit, so RSS grew
 * with the trace file (~1.5 MB a minute at 500 rows/s, found by the soak). The file is local and
 * the OS caches it too, so a bounded pool costs little; larger analyses spill to `<trace>.tmp`.
 * `serve --memory-limit` sets it.
 */
export const DEFAULT_MEMORY_LIMIT = `${Math.max(256, 128 * availableParallelism())}MB`;

export const DEFAULT_DAEMON_OPTIONS: Omit<DaemonOptions, 'trace'> = {
  port: 0,
  models: [],
  provider: 'cpu',
  durable: false,
  flushIntervalMs: 200,
  maxBatchRows: 256,
  maxWaitMs: 2,
  logRaw: false,
  logging: true,
  maxBodyBytes: 16 * 1024 * 1024,
  allowedOrigins: [],
  shadows: [],
  memoryLimit: DEFAULT_MEMORY_LIMIT,
};

/** The long-running daemon (`sightline serve`): the engine behind HTTP and WebSocket on loopback. */
export class Daemon extends Engine {
  readonly token = newToken();
  readonly version = VERSION;
  readonly startedAt = Date.now();
  readonly http: HttpServer;
  readonly home: string;
  readonly lineage: Lineage;
  port = 0;

  private constructor(store: TraceStore, override readonly options: DaemonOptions) {
    super(store, options);
    this.home = options.home ?? sightlineHome();
    this.http = new HttpServer(this, { port: options.port, maxBodyBytes: options.maxBodyBytes, allowedOrigins: options.allowedOrigins });
    registerAnalysisRoutes(this, this.http);
    registerEditorQueries(this, this.http);
    registerSliceRoutes(this, this.http);
    registerSkewRoutes(this, this.http);
    registerReplayRoutes(this, this.http);
    registerSharingRoutes(this, this.http);
    this.lineage = new Lineage(store, { sync: () => this.writer.flush() });
    registerLineageRoutes(this.http, this.lineage);
  }

  static async start(options: DaemonOptions): Promise<Daemon> {
    // --read-only: serve queries over someone else's trace (no models, no writes, no local file access).
    const daemon = new Daemon(await TraceStore.open(options.trace, { readOnly: options.readOnly ?? false, memoryLimit: options.memoryLimit }), options);
    try {
      // Runs the SDKs spooled while no daemon was running: stored before models link and clients connect.
      if (!options.readOnly) await ingestSpool(spoolDir(daemon.home), daemon.lineage, (level, msg) => daemon.log(level, msg));
      if (options.readOnly && (options.models.length > 0 || options.shadows.length > 0)) {
        throw new SightlineError('invalid_request', '--read-only serves an existing trace; it loads no models (drop --model/--shadow)');
      }
      for (const file of expandModelPaths(options.models)) await daemon.loadModel({ path: file, make_default: true });
      for (const s of options.shadows) await daemon.loadModel({ path: s.path, make_default: false, shadow_of: s.primary });
      daemon.port = await daemon.http.listen();
    } catch (err) {
      await daemon.stop();
      throw err;
    }
    writeDaemonInfo(daemon.home, {
      port: daemon.port, host: '127.0.0.1', token: daemon.token, pid: process.pid,
      trace: path.resolve(options.trace), protocol: PROTOCOL_VERSION, started_at: new Date(daemon.startedAt).toISOString(),
    });
    return daemon;
  }

  /** Also links the model to the run that wrote its bytes, when that run is logged. */
  override async loadModel(req: LoadModelRequest): Promise<ModelInfo> {
    const info = await super.loadModel(req);
    await this.lineage.linkModel(info.id).catch((err: unknown) => this.log('warn', `lineage: cannot link ${info.name}@${info.version}: ${err instanceof Error ? err.message : String(err)}`));
    return info;
  }

  models(): ModelsResponse {
    return { models: this.registry.list().map((m) => this.registry.info(m)) };
  }

  private lastDuckdbMemory: DuckDBMemory = { usedBytes: 0, limitBytes: null, byTag: {} };
  private duckdbMemoryQuery: Promise<void> | null = null;

  /**
   * DuckDB's memory figures for health, waiting at most 250 ms: health is the liveness probe of
   * the extension, and the reader connection may be busy with a long analysis; then the last
   * figures are reported. One query at a time.
   */
  private async duckdbMemory(): Promise<DuckDBMemory> {
    this.duckdbMemoryQuery ??= this.store.memoryUsage().then(
      (m) => { this.lastDuckdbMemory = m; },
      () => undefined,
    ).finally(() => { this.duckdbMemoryQuery = null; });
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.duckdbMemoryQuery, new Promise<void>((resolve) => { timer = setTimeout(resolve, 250); })]);
    clearTimeout(timer);
    return this.lastDuckdbMemory;
  }

  async health(): Promise<HealthResponse> {
    const mb = (bytes: number): number => Math.round(bytes / 1048576);
    const mem = process.memoryUsage();
    const duckdb = await this.duckdbMemory();
    return {
      status: 'ok', protocol: PROTOCOL_VERSION, version: VERSION, pid: process.pid, trace: path.resolve(this.store.path),
      uptime_s: (Date.now() - this.startedAt) / 1000, models: this.registry.list().length,
      predictions_logged: this.writer.rowsWritten, pending_rows: this.writer.pendingRows, durable: this.options.durable,
      onnxruntime: onnxruntimeVersion, stream: this.hub.stats(),
      memory: {
        rss_mb: mb(mem.rss), heap_used_mb: mb(mem.heapUsed), heap_total_mb: mb(mem.heapTotal), external_mb: mb(mem.external),
        duckdb_mb: mb(duckdb.usedBytes),
        duckdb_tags_mb: Object.fromEntries(Object.entries(duckdb.byTag).filter(([, b]) => b >= 1048576).map(([t, b]) => [t, mb(b)])),
        duckdb_limit_mb: duckdb.limitBytes === null ? null : mb(duckdb.limitBytes),
      },
    };
  }

  /** Stops accepting requests, commits everything queued, and closes the file cleanly. */
  async stop(): Promise<void> {
    try {
      await this.http.close();
    } catch {
      /* not listening yet */
    }
    await this.close();
    removeDaemonInfo(this.home, process.pid);
  }
}

/** Folders expand to the .onnx files inside them (sorted, so versions load in order). */
export function expandModelPaths(paths: string[]): string[] {
  const out: string[] = [];
  for (const p of paths) {
    let st;
    try {
      st = statSync(p);
    } catch {
      out.push(p); // the loader reports the missing file with its own message
      continue;
    }
    if (st.isDirectory()) {
      for (const f of readdirSync(p).filter((f) => f.toLowerCase().endsWith('.onnx')).sort()) out.push(path.join(p, f));
    } else out.push(p);
  }
  return out;
}
