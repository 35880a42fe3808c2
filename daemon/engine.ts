import type { ExecutionProvider, LoadModelRequest, ModelInfo } from '../protocol';
import { ModelRegistry, type LoadedModel } from './runtime/registry';
import { Hub } from './server/hub';
import { Predictor } from './serving/predictor';
import { PredictionWriter } from './store/prediction-writer';
import { TraceStore } from './store/trace-store';

export interface EngineOptions {
  trace: string;
  provider: ExecutionProvider;
  durable: boolean;
  flushIntervalMs: number;
  maxBatchRows: number;
  maxWaitMs: number;
  intraOpThreads?: number;
  interOpThreads?: number;
  logRaw: boolean;
  logging: boolean;
  log?: (level: 'info' | 'warn' | 'error', msg: string) => void;
}

/**
 * Sightline's engine without a network front: a trace file and its single writer, the model
 * registry, the predictor and the event hub. The daemon wraps it in HTTP/WS; CLI commands that
 * run with no daemon (import, replay, eval in CI) use it in-process.
 */
export class Engine {
  readonly hub = new Hub();
  readonly registry: ModelRegistry;
  readonly writer: PredictionWriter;
  readonly predictor: Predictor;

  protected constructor(readonly store: TraceStore, readonly options: EngineOptions) {
    this.registry = new ModelRegistry(
      { maxBatchRows: options.maxBatchRows, maxWaitMs: options.maxWaitMs, intraOpThreads: options.intraOpThreads, interOpThreads: options.interOpThreads },
      options.provider,
    );
    this.writer = new PredictionWriter(store, { flushIntervalMs: options.flushIntervalMs, maxPendingRows: 50_000 });
    this.predictor = new Predictor(this.registry, store, this.writer, this.hub, { durable: options.durable, logRaw: options.logRaw, logging: options.logging });
    this.registry.on('model', (e: { model?: { id?: string; name?: string } }) => this.hub.publish('model', [e], { ...(e.model?.id ? { modelId: e.model.id } : {}), ...(e.model?.name ? { modelName: e.model.name } : {}) }));
  }

  static async open(options: EngineOptions): Promise<Engine> {
    return new Engine(await TraceStore.open(options.trace), options);
  }

  log(level: 'info' | 'warn' | 'error', msg: string): void {
    this.options.log?.(level, msg);
  }

  async loadModel(req: LoadModelRequest): Promise<ModelInfo> {
    const model: LoadedModel = await this.registry.load(req.path, { ...(req.provider ? { provider: req.provider } : {}), makeDefault: req.make_default, ...(req.shadow_of ? { shadowOf: req.shadow_of } : {}) });
    await this.predictor.register(model);
    if (model.opened.fallbackReason) this.log('warn', `${model.ref}: ${model.opened.fallbackReason}`);
    this.log('info', `loaded ${model.ref} (${model.id.slice(0, 12)}) on ${model.provider}`);
    return this.registry.info(model);
  }

  /** Commits everything queued and closes the trace cleanly. */
  async close(): Promise<void> {
    this.hub.close();
    // Shadow runs of answered requests still log their rows; only then does the writer close.
    await this.predictor.drain();
    try {
      await this.writer.close();
    } catch (err) {
      this.log('error', `final flush failed: ${err instanceof Error ? err.message : String(err)}`);
    }
    await this.registry.close();
    await this.store.checkpoint().catch(() => undefined);
    this.store.close();
  }
}
