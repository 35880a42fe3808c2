/**
 * Micro-batching: concurrent small requests for one model are merged into one inference call of
 * up to `maxBatchRows` rows, waiting at most `maxWaitMs` for company. A request larger than the
 * batch size runs on its own. `run` receives the merged per-feature columns and returns one
 * result per row; each caller gets back its own slice.
 */
export interface BatcherOptions {
  maxBatchRows: number;
  maxWaitMs: number;
}

interface Job<R> {
  values: (number | string)[][];
  rows: number;
  resolve: (out: { results: R[]; batchRows: number; inferenceMs: number }) => void;
  reject: (err: unknown) => void;
}

export type BatchRunner<R> = (values: (number | string)[][], rows: number) => Promise<R[]>;

export class MicroBatcher<R> {
  private queue: Job<R>[] = [];
  private queuedRows = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly width: number,
    private readonly run: BatchRunner<R>,
    private readonly options: BatcherOptions,
  ) {}

  submit(values: (number | string)[][], rows: number): Promise<{ results: R[]; batchRows: number; inferenceMs: number }> {
    return new Promise((resolve, reject) => {
      const job: Job<R> = { values, rows, resolve, reject };
      if (rows >= this.options.maxBatchRows || this.options.maxWaitMs <= 0) {
        void this.execute([job]);
        return;
      }
      this.queue.push(job);
      this.queuedRows += rows;
      if (this.queuedRows >= this.options.maxBatchRows) this.drain();
      else if (!this.timer) this.timer = setTimeout(() => this.drain(), this.options.maxWaitMs);
    });
  }

  private drain(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const jobs = this.queue;
    this.queue = [];
    this.queuedRows = 0;
    if (jobs.length > 0) void this.execute(jobs);
  }

  private async execute(jobs: Job<R>[]): Promise<void> {
    const total = jobs.reduce((a, j) => a + j.rows, 0);
    let merged: (number | string)[][];
    if (jobs.length === 1) merged = jobs[0]!.values;
    else {
      merged = Array.from({ length: this.width }, (_, f) => {
        const col: (number | string)[] = new Array(total);
        let o = 0;
        for (const j of jobs) {
          const src = j.values[f]!;
          for (let i = 0; i < j.rows; i++) col[o++] = src[i]!;
        }
        return col;
      });
    }
    const t0 = performance.now();
    try {
      const results = await this.run(merged, total);
      const inferenceMs = performance.now() - t0;
      let o = 0;
      for (const j of jobs) {
        j.resolve({ results: results.slice(o, o + j.rows), batchRows: total, inferenceMs });
        o += j.rows;
      }
    } catch (err) {
      for (const j of jobs) j.reject(err);
    }
  }

  /** Runs whatever is queued now (used before unloading a model). */
  flushNow(): void {
    this.drain();
  }
}
