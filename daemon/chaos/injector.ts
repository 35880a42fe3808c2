import { SightlineError } from '../../protocol';
import type { LoadedModel, RowOutput } from '../runtime/registry';
import type { ConvertedBatch } from '../runtime/tensors';
import { perRow, type PredictionBatch } from '../store/prediction-batch';
import { SeededRandom, streamSeed } from './random';
import { describeFault, faultLabel, type ChaosFault } from './spec';

/** The column of `predictions` that marks rows a fault touched (see daemon/store/schema.ts). */
export const CHAOS_COLUMN = 'chaos';

interface Armed {
  fault: ChaosFault;
  label: string;
  random: SeededRandom;
}

/** Counts of what was injected since start (for the log at stop, and tests). */
export interface ChaosStats {
  requests: number;
  dropped: number;
  delayed: number;
  flipped: number;
  noised: number;
  shifted: number;
}

/**
 * Injects the faults of `serve --chaos` into serving. The predictor calls `begin` once per predict
 * request (it may refuse the request: `chaos_dropped`), then the request's hooks: before inference
 * (latency, shifted features, so drift sees them in the log), after inference (flipped or noised
 * outputs), and before logging (marks). Each fault draws from its own seeded stream, so one seed
 * reproduces the same faults for the same sequence of requests.
 */
export class ChaosInjector {
  private readonly armed: Armed[];
  readonly stats: ChaosStats = { requests: 0, dropped: 0, delayed: 0, flipped: 0, noised: 0, shifted: 0 };

  constructor(readonly faults: ChaosFault[], readonly seed: number) {
    this.armed = faults.map((fault, i) => ({ fault, label: faultLabel(fault), random: new SeededRandom(streamSeed(seed, i)) }));
  }

  /**
   * Refuses faults that can never apply to the models loaded at start (a typo would otherwise
   * inject nothing and the alarms would "pass"). Models loaded later are matched as they come.
   */
  check(models: LoadedModel[]): void {
    if (models.length === 0) return;
    const loaded = models.map((m) => m.ref).join(', ');
    for (const { fault, label } of this.armed) {
      const targets = models.filter((m) => appliesTo(fault, m));
      if (targets.length === 0) throw new SightlineError('invalid_request', `--chaos ${label},model=${fault.model}: no loaded model matches (loaded: ${loaded})`);
      if (fault.fault !== 'shift') continue;
      const specs = targets.map((m) => m.layout.features.find((f) => f.name === fault.feature)).filter((f) => f !== undefined);
      if (specs.length === 0) {
        throw new SightlineError('invalid_request', `--chaos ${label}: no loaded model has a feature "${fault.feature}" (features: ${[...new Set(targets.flatMap((m) => m.layout.features.map((f) => f.name)))].join(', ')})`);
      }
      const numeric = typeof fault.value === 'number';
      for (const spec of specs) {
        if (spec.kind === 'categorical' && fault.op !== 'set') throw new SightlineError('invalid_request', `--chaos ${label}: "${fault.feature}" is categorical; shift it to a value (shift:${fault.feature}=VALUE), not by +, - or *`);
        if (spec.kind === 'numeric' && !numeric) throw new SightlineError('invalid_request', `--chaos ${label}: "${fault.feature}" is numeric; ${JSON.stringify(fault.value)} is not a number`);
      }
    }
  }

  describe(): string[] {
    return this.armed.map((a) => describeFault(a.fault));
  }

  /** Starts a predict request on `model`: null when no fault applies; throws when the request is dropped. */
  begin(model: LoadedModel): ChaosRequest | null {
    const armed = this.armed.filter((a) => appliesTo(a.fault, model));
    if (armed.length === 0) return null;
    this.stats.requests++;
    let delayMs = 0;
    const marks: string[] = [];
    for (const a of armed) {
      const f = a.fault;
      if (f.fault === 'drop' && a.random.chance(f.share)) {
        this.stats.dropped++;
        throw new SightlineError('chaos_dropped', `dropped on purpose by \`sightline serve --chaos ${a.label}\` (${describeFault(f)}); nothing was logged`);
      }
      if (f.fault === 'latency' && a.random.chance(f.share)) {
        delayMs += f.max_ms !== undefined ? f.ms + a.random.next() * (f.max_ms - f.ms) : f.ms;
        marks.push(a.label);
      }
    }
    if (delayMs > 0) this.stats.delayed++;
    return new ChaosRequest(model, armed, delayMs, marks, this.stats);
  }
}

/** The faults of one request. */
export class ChaosRequest {
  /** Labels of the faults that touched each row. */
  private rowMarks: string[][] = [];

  constructor(
    private readonly model: LoadedModel,
    private readonly armed: Armed[],
    private readonly delayMs: number,
    private readonly requestMarks: string[],
    private readonly stats: ChaosStats,
  ) {}

  /** Added latency, then shifted features: they are what the model sees and what is logged. */
  async beforeInference(batch: ConvertedBatch | null): Promise<void> {
    if (this.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.delayMs));
    if (!batch) return;
    const layout = this.model.layout;
    for (const a of this.armed) {
      const f = a.fault;
      if (f.fault !== 'shift') continue;
      const index = layout.features.findIndex((s) => s.name === f.feature);
      const spec = layout.features[index];
      if (!spec) continue;
      const slotType = layout.mode === 'packed' ? layout.slots[0]!.type : layout.slots[index]!.type;
      const column = batch.values[index]!;
      for (let i = 0; i < batch.rows; i++) {
        if (!a.random.chance(f.share)) continue;
        const v = column[i]!;
        let next: number | string;
        if (f.op === 'set') next = slotType === 'string' ? String(f.value) : Number(f.value);
        else if (typeof v !== 'number') continue; // a numeric change of a categorical value: nothing to do
        else next = f.op === 'add' ? v + Number(f.value) : v * Number(f.value);
        if (typeof next === 'number') {
          if (!Number.isFinite(next)) continue;
          if (slotType === 'int32' || slotType === 'int64' || slotType === 'bool') next = Math.round(next);
        }
        column[i] = next;
        this.markRow(i, a.label);
        this.stats.shifted++;
      }
    }
  }

  /** Flipped or noised outputs, on the declared share of rows. */
  afterInference(results: RowOutput[]): void {
    const card = this.model.card;
    const probName = card.outputs.probability ?? card.outputs.value;
    const labelName = card.outputs.label;
    const regression = card.task === 'regression';
    for (const a of this.armed) {
      const f = a.fault;
      if (f.fault !== 'flip' && f.fault !== 'noise') continue;
      for (let i = 0; i < results.length; i++) {
        if (!a.random.chance(f.share)) continue;
        const r = results[i]!;
        if (f.fault === 'flip') {
          const label = flipLabel(r.label);
          const flipsScore = r.score !== null && !regression;
          if (!flipsScore && label === undefined) continue; // nothing binary to flip (regression, multiclass)
          if (flipsScore) flipScore(r, probName);
          if (label !== undefined) {
            r.label = label;
            if (labelName && labelName in r.outputs) r.outputs[labelName] = label;
          }
          this.stats.flipped++;
        } else {
          if (r.score === null) continue;
          let s = r.score + f.sigma * a.random.gaussian();
          if (!regression) s = Math.min(1, Math.max(0, s));
          setScore(r, probName, s);
          const threshold = card.threshold ?? 0.5;
          if (!regression && (r.label === 0 || r.label === 1 || r.label === '0' || r.label === '1')) {
            const positive = s >= threshold;
            const label = typeof r.label === 'number' ? (positive ? 1 : 0) : positive ? '1' : '0';
            r.label = label;
            if (labelName && labelName in r.outputs) r.outputs[labelName] = label;
          }
          this.stats.noised++;
        }
        this.markRow(i, a.label);
      }
    }
  }

  /** The `chaos` value of each of `rows` rows (null: untouched), or null when no row was touched. */
  marks(rows: number): (string | null)[] | null {
    if (this.requestMarks.length === 0 && this.rowMarks.length === 0) return null;
    const out: (string | null)[] = new Array(rows);
    for (let i = 0; i < rows; i++) {
      const labels = [...this.requestMarks, ...(this.rowMarks[i] ?? [])];
      out[i] = labels.length > 0 ? labels.join(';') : null;
    }
    return out;
  }

  /** Writes the marks into the batch about to be logged. */
  mark(batch: PredictionBatch): void {
    const marks = this.marks(batch.rows);
    if (marks) batch.columns.set(CHAOS_COLUMN, perRow(marks));
  }

  private markRow(i: number, label: string): void {
    (this.rowMarks[i] ??= []).push(label);
  }
}

/** A fault without `model` applies to every model; else to `name`, `name@version` or a hash prefix. */
export function appliesTo(f: ChaosFault, m: LoadedModel): boolean {
  if (!f.model) return true;
  return f.model === m.name || f.model === m.ref || (/^[0-9a-f]{8,64}$/.test(f.model) && m.id.startsWith(f.model));
}

/** The other class of a binary label, keeping its type; undefined when the label is not binary. */
function flipLabel(l: string | number | null): string | number | undefined {
  if (l === 0 || l === 1) return 1 - l;
  if (l === '0' || l === '1') return l === '0' ? '1' : '0';
  if (l === 'true' || l === 'false') return l === 'true' ? 'false' : 'true';
  return undefined;
}

/** Score → 1 − score; a [P(0), P(1)] output swaps its two entries (exactly). */
function flipScore(r: RowOutput, name: string | undefined): void {
  r.score = 1 - r.score!;
  const out = name ? r.outputs[name] : undefined;
  if (typeof out === 'number') r.outputs[name!] = 1 - out;
  else if (Array.isArray(out) && out.length === 2 && typeof out[0] === 'number' && typeof out[1] === 'number') {
    r.outputs[name!] = [out[1], out[0]];
    r.score = out[0]; // exactly the other class's probability
  }
}

/** Sets the score and the output it came from (a probability, or [P(0), P(1)]). */
function setScore(r: RowOutput, name: string | undefined, s: number): void {
  r.score = s;
  if (!name) return;
  const out = r.outputs[name];
  if (typeof out === 'number') r.outputs[name] = s;
  else if (Array.isArray(out) && out.length === 2 && typeof out[1] === 'number') r.outputs[name] = [1 - s, s];
}
