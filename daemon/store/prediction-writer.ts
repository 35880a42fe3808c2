import { DuckDBTimestampTZValue, DuckDBUUIDValue, type DuckDBAppender } from '@duckdb/node-api';
import { appendFileSync } from 'node:fs';
import { batchRow, type PredictionBatch } from './prediction-batch';
import type { TraceStore } from './trace-store';
import { PredictionChunkFiller } from './vector-fill';

export type { PredictionBatch } from './prediction-batch';

export interface LabelRow {
  predictionId: bigint | null;
  joinKey: string | null;
  value: number | null;
  valueText: string | null;
  timeMicros: bigint;
  source: string;
}

export interface WriterOptions {
  /** Commit pending rows at least this often (ms). Bounds what a crash can lose in non-durable mode. */
  flushIntervalMs: number;
  /** Commit as soon as this many rows are pending. */
  maxPendingRows: number;
  /** How often to free what finished queries left in DuckDB's memory (see `PredictionWriter.upkeep`); default a minute, or `SIGHTLINE_UPKEEP_MS` (0: off). */
  upkeepIntervalMs?: number;
}

interface Waiter {
  resolve: () => void;
  reject: (err: Error) => void;
}

/**
 * The single writer of a trace file. Predictions are queued in memory as `PredictionBatch`es (one
 * per request, columnar) and committed through DuckDB's appender (one transaction per flush), on
 * a timer or when the queue is large. Callers that need durability await `enqueue(...)`, which
 * resolves once their rows are committed.
 * A flush that fails keeps its rows queued for the next attempt; after 3 failures they are
 * written to `<trace>.unwritten.jsonl` so nothing acknowledged silently vanishes.
 */
export class PredictionWriter {
  private predictions: PredictionBatch[] = [];
  private predictionRows = 0;
  private labels: LabelRow[] = [];
  private waiters: Waiter[] = [];
  private timer: NodeJS.Timeout | null = null;
  private immediate: NodeJS.Immediate | null = null;
  private flushing: Promise<void> | null = null;
  private columnsGeneration = -1;
  /**
   * Fills the data chunks, for the current column layout. Its one chunk is reused by every flush
   * (reset in between): a chunk per flush holds 2048-row vectors of every column in native memory
   * until V8 finalizes it, and V8 does not see that memory (the soak and fuzz runs found RSS
   * growing by ~0.3 MB per flush).
   */
  private filler: PredictionChunkFiller | null = null;
  private failures = 0;
  private written = 0;
  /** Rows taken off the queue by a flush that has not committed yet. */
  private committingRows = 0;
  private closed = false;
  /** The last commit failure, cleared by the next commit that succeeds (disk full, file-size limit). */
  private failure: { at: number; message: string } | null = null;

  constructor(
    private readonly store: TraceStore,
    private readonly options: WriterOptions,
  ) {
    const every = options.upkeepIntervalMs ?? UPKEEP_INTERVAL_MS;
    this.upkeepTimer = every > 0 ? setInterval(() => void this.upkeep(), every) : null;
    this.upkeepTimer?.unref(); // never what keeps a CLI run alive
  }

  private upkeepTimer: NodeJS.Timeout | null;
  private upkeeping: Promise<void> | null = null;
  private readsAtUpkeep = 0;
  private upkeeps = 0;

  /** Upkeep passes run so far (see `upkeep`). */
  get upkeepRuns(): number {
    return this.upkeeps;
  }

  /**
   * Every `upkeepIntervalMs` (a minute by default, see UPKEEP_INTERVAL_MS), when analyses or queries read the trace since the last
   * pass: a checkpoint (so the writer's recent appends are in the file, not in memory), then
   * `TraceStore.releaseQueryMemory`, which drops what finished queries left in DuckDB's buffer
   * pool (the soak's slow native growth, ~1 MB a minute with a drift run every 30 s). Serialised
   * with the writer's commits; a failure is retried at the next interval.
   */
  upkeep(): Promise<void> {
    if (this.upkeeping || this.closed || this.store.reads === this.readsAtUpkeep) return this.upkeeping ?? Promise.resolve();
    this.readsAtUpkeep = this.store.reads;
    this.upkeeping = this.store
      .exclusive(async () => {
        if (!this.store.readOnly) await this.store.conn.run('CHECKPOINT').catch(() => undefined);
        if (await this.store.releaseQueryMemory()) this.upkeeps++;
      })
      .catch(() => undefined)
      .finally(() => {
        this.upkeeping = null;
      });
    return this.upkeeping;
  }

  /** Rows not yet committed: queued, plus those in a flush under way (health reports this). */
  get pendingRows(): number {
    return this.queuedRows + this.committingRows;
  }

  private get queuedRows(): number {
    return this.predictionRows + this.labels.length;
  }

  get rowsWritten(): number {
    return this.written;
  }

  /**
   * Why commits fail, when one failed less than `ms` ago and none succeeded since. The predictor
   * refuses new rows meanwhile (typed `storage_error`) instead of acknowledging rows it would
   * likely lose; after `ms` a request goes through again and its commit probes the disk.
   */
  failingWithin(ms: number): string | null {
    return this.failure && Date.now() - this.failure.at < ms ? this.failure.message : null;
  }

  /**
   * Queues rows; the promise resolves when they are committed (await it only in durable mode).
   * `soon`: a caller is waiting for the commit (durable request, logged predictions, labels), so
   * commit right after this turn of the event loop instead of at the next timer tick; callers
   * arriving in the same turn share that one commit.
   */
  enqueue(batches: readonly PredictionBatch[], labels: readonly LabelRow[] = [], opts: { soon?: boolean } = {}): Promise<void> {
    if (this.closed) return Promise.reject(new Error('trace writer is closed'));
    for (const b of batches) {
      if (b.rows === 0) continue;
      this.predictions.push(b);
      this.predictionRows += b.rows;
    }
    for (const l of labels) this.labels.push(l);
    const done = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    if (this.queuedRows >= this.options.maxPendingRows) void this.flush().catch(() => undefined);
    else if (opts.soon) this.scheduleSoon();
    else this.schedule();
    return done;
  }

  private scheduleSoon(): void {
    if (this.immediate) return;
    this.immediate = setImmediate(() => {
      this.immediate = null;
      void this.flush().catch(() => undefined);
    });
  }

  /**
   * Arms the flush timer once per interval. The timer is not unref'd: a process with rows still
   * queued stays alive until they are committed (a CLI import never exits with rows in memory).
   */
  private schedule(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.flush().catch(() => undefined);
    }, this.options.flushIntervalMs);
  }

  /** Commits everything queued so far. Concurrent calls share one flush. */
  async flush(): Promise<void> {
    if (this.flushing) {
      await this.flushing;
      if (this.queuedRows === 0 && this.waiters.length === 0) return;
    }
    if (this.queuedRows === 0 && this.waiters.length === 0) return;
    this.flushing = this.flushOnce();
    try {
      await this.flushing;
    } finally {
      this.flushing = null;
    }
  }

  private async flushOnce(): Promise<void> {
    const batches = this.predictions;
    const rows = this.predictionRows;
    const labels = this.labels;
    const waiters = this.waiters;
    this.predictions = [];
    this.predictionRows = 0;
    this.labels = [];
    this.waiters = [];
    // Until the commit, these rows still count as pending: a client that polls
    // `pending_rows == 0` before it relies on the file must not see 0 mid-flush.
    const taken = rows + labels.length;
    this.committingRows += taken;
    try {
      try {
        await this.store.exclusive(async () => {
          if (batches.length > 0) await this.appendPredictions(batches);
          if (labels.length > 0) await this.appendLabels(labels);
          await this.checkpointNow();
        });
      } finally {
        this.committingRows -= taken;
      }
      this.failures = 0;
      this.failure = null;
      this.written += rows;
      for (const w of waiters) w.resolve();
    } catch (err) {
      this.failures += 1;
      const error = err instanceof Error ? err : new Error(String(err));
      this.failure = { at: Date.now(), message: error.message };
      for (const w of waiters) w.reject(error);
      if (this.failures < 3 && !this.closed) this.schedule(); // retry on the next tick of the timer
      if (this.failures >= 3 || this.closed) {
        this.spill(batches, labels, error);
      } else {
        // Keep order: failed rows go back in front of anything queued meanwhile.
        this.predictions = batches.concat(this.predictions);
        this.predictionRows += rows;
        this.labels = labels.concat(this.labels);
      }
      throw error;
    }
  }

  /**
   * Checkpoints after every CHECKPOINT_COMMITS commits. DuckDB holds each committed append in
   * memory until a checkpoint, at a cost far above its WAL bytes (~0.2 MB per small commit of a
   * wide table), and checkpoints on its own only once the WAL reaches 16 MB — thousands of small
   * flushes later: under steady traffic the daemon's RSS grew linearly (found by the soak and the
   * protocol fuzzer; 3 000 five-row commits: +630 MB without, a plateau at +150 MB with this).
   * A checkpoint that cannot run now (another transaction is writing) waits for the next turn.
   */
  private commits = 0;

  private async checkpointNow(): Promise<void> {
    if (++this.commits < CHECKPOINT_COMMITS) return;
    this.commits = 0;
    await this.store.conn.run('CHECKPOINT').catch(() => undefined);
    // The checkpoint freed the in-memory copies of what it wrote, and cached the blocks it wrote:
    // keep the cache small and give freed memory back to the OS.
    await this.store.trimMemory(CACHE_KEPT_BYTES).catch(() => undefined);
  }

  /**
   * Columnar append: batches are copied straight into DuckDB data chunks (≤ 2048 rows each, see
   * vector-fill.ts), one memory copy per column per chunk, no per-cell call or boxed value.
   */
  private async appendPredictions(batches: PredictionBatch[]): Promise<void> {
    const appender = await this.store.conn.createAppender('predictions');
    try {
      if (!this.filler || this.columnsGeneration !== this.store.schemaGeneration) {
        this.columnsGeneration = this.store.schemaGeneration;
        const columns = await this.store.predictionColumns();
        this.filler = new PredictionChunkFiller(columns, columns.map((_, i) => appender.columnType(i)));
      }
      try {
        this.filler.append(appender, batches);
      } catch (err) {
        // Closing an appender flushes what it holds: drop the chunks appended so far, or a retry
        // would store those rows twice.
        appender.clear();
        throw err;
      }
      appender.flushSync();
    } finally {
      appender.closeSync();
    }
  }

  private async appendLabels(labels: LabelRow[]): Promise<void> {
    const appender = await this.store.conn.createAppender('labels');
    try {
      for (const l of labels) {
        if (l.predictionId === null) appender.appendNull();
        else appender.appendUUID(DuckDBUUIDValue.fromUint128(l.predictionId));
        appendVarcharOrNull(appender, l.joinKey);
        if (l.value === null) appender.appendNull();
        else appender.appendDouble(l.value);
        appendVarcharOrNull(appender, l.valueText);
        appender.appendTimestampTZ(new DuckDBTimestampTZValue(l.timeMicros));
        appendVarcharOrNull(appender, l.source);
        appender.endRow();
      }
      appender.flushSync();
    } finally {
      appender.closeSync();
    }
  }

  private spill(batches: PredictionBatch[], labels: LabelRow[], error: Error): void {
    const file = `${this.store.path}.unwritten.jsonl`;
    try {
      const lines = [
        ...batches.flatMap((b) => Array.from({ length: b.rows }, (_, i) => JSON.stringify({ table: 'predictions', error: error.message, row: batchRow(b, i) }))),
        ...labels.map((l) => JSON.stringify({ table: 'labels', error: error.message, row: { ...l, predictionId: l.predictionId?.toString() ?? null, timeMicros: l.timeMicros.toString() } })),
      ];
      if (lines.length > 0) appendFileSync(file, lines.join('\n') + '\n', { mode: 0o600 });
    } catch {
      /* the disk is gone too; nothing more we can do here */
    }
    this.failures = 0;
  }

  async close(): Promise<void> {
    if (this.upkeepTimer) clearInterval(this.upkeepTimer);
    this.upkeepTimer = null;
    await this.upkeeping;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.immediate) clearImmediate(this.immediate);
    this.immediate = null;
    try {
      await this.flush();
    } finally {
      this.closed = true;
    }
  }
}

function appendVarcharOrNull(a: DuckDBAppender, v: string | null): void {
  if (v === null) a.appendNull();
  else a.appendVarchar(v);
}

const CHECKPOINT_COMMITS = 100;
/**
 * See `PredictionWriter.upkeep`: every minute by default; `SIGHTLINE_UPKEEP_MS` sets another
 * interval (0 turns it off). With it the soak's native memory stays flat (without it, drift runs
 * grew DuckDB's leftovers by ~1 MB a minute). The pass holds a pin so that DuckDB can never accept
 * the 0-byte limit it asks for (TraceStore.releaseQueryMemory).
 */
const UPKEEP_INTERVAL_MS = Math.max(0, Number(process.env.SIGHTLINE_UPKEEP_MS ?? 60_000) || 0);
/** Table blocks DuckDB keeps cached after a checkpoint (see TraceStore.trimMemory). */
const CACHE_KEPT_BYTES = 8 * 1048576;
