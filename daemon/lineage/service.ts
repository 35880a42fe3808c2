/**
 * Lineage of one trace file: log runs, flag outputs, trace anything upstream, review what flagged
 * outputs have in common. The daemon serves it over HTTP/WS (routes.ts); the CLI uses it
 * in-process on a trace file no daemon holds.
 */
import {
  FlagRequest as FlagSchema, ReviewQuery as ReviewSchema, SightlineError, TraceQuery as TraceSchema, fromZodError,
  type FlagRequest, type FlagResponse, type ReviewQuery, type ReviewResult, type RunRecord, type RunResponse,
  type TraceQuery, type TraceResult,
} from '../../protocol';
import type { TraceStore } from '../store/trace-store';
import { parseUuid, uuidText } from '../store/ids';
import { buildTrace } from './graph';
import { REVIEW_METHOD, rankReview } from './review';
import { LineageIndex } from './snapshot';
import { LineageStore } from './store';
import { findRun, resolveTarget } from './target';
import { checkRun } from './validate';

export interface LineageHooks {
  /** Commits queued predictions first, so traces and flags see every acknowledged prediction. */
  sync?: () => Promise<void>;
}

export class Lineage {
  readonly store: LineageStore;

  constructor(trace: TraceStore, private readonly hooks: LineageHooks = {}) {
    this.store = new LineageStore(trace);
  }

  /** Stores a validated run (schema-parsed by the caller); everything is checked before writing. */
  async logRun(run: RunRecord): Promise<RunResponse> {
    const checked = checkRun(run);
    const stored = await this.store.insertRun(run, checked.id, { start: checked.start, end: checked.end });
    return { id: stored.id, component: run.component, duplicate: stored.duplicate, inputs: stored.inputs, outputs: stored.outputs, linked_models: stored.linkedModels };
  }

  /** Links a model just loaded to the run that wrote its bytes (if logged). */
  linkModel(modelId: string): Promise<string | null> {
    return this.store.linkModel(modelId);
  }

  async flag(input: FlagRequest): Promise<FlagResponse> {
    const req = parse(FlagSchema, input, 'flag request');
    await this.hooks.sync?.();
    let targets: string[];
    switch (req.target_kind) {
      case 'prediction': {
        targets = req.ids.map((id, i) => {
          const v = parseUuid(id);
          if (v === null) throw new SightlineError('bad_value', `ids[${i}] (${id}) is not a prediction id (a UUID)`, ['ids', i]);
          return uuidText(v);
        });
        const missing = await this.store.firstMissingPrediction(targets);
        if (missing >= 0) throw new SightlineError('not_found', `ids[${missing}]: no prediction ${req.ids[missing]} in this trace; nothing was flagged`, ['ids', missing]);
        break;
      }
      case 'run': {
        const index = await this.index();
        targets = req.ids.map((id, i) => {
          const run = findRun(id, index);
          if (!run) throw new SightlineError('not_found', `ids[${i}]: no component run ${id}; nothing was flagged`, ['ids', i]);
          return run.id;
        });
        break;
      }
      case 'artifact': {
        const index = await this.index();
        targets = req.ids.flatMap((id, i) => {
          const byId = index.artifacts.get(id);
          const found = byId ? [byId] : index.artifactsWithHash(id.toLowerCase());
          if (found.length === 0) throw new SightlineError('not_found', `ids[${i}]: no artifact with id or content hash ${id}; nothing was flagged`, ['ids', i]);
          return found.map((a) => a.id);
        });
        break;
      }
    }
    const unique = [...new Set(targets)];
    await this.store.insertFlags(req.target_kind, unique, req.reason ?? null, req.source);
    return { target_kind: req.target_kind, flagged: unique.length };
  }

  async trace(input: TraceQuery): Promise<TraceResult> {
    const q = parse(TraceSchema, input, 'trace query');
    await this.hooks.sync?.();
    const index = await this.index();
    const root = await resolveTarget(q, index, (id) => this.store.findPrediction(id));
    return buildTrace(root, index, q.max_age_days);
  }

  async review(input: ReviewQuery = {}): Promise<ReviewResult> {
    const q = parse(ReviewSchema, input, 'review query');
    await this.hooks.sync?.();
    const [index, counts, flagged] = [await this.index(), await this.store.modelCounts(), await this.store.flaggedTargets()];
    const ranking = rankReview(counts, index, { alpha: q.alpha, limit: q.limit });
    return { ...ranking, alpha: q.alpha, method: REVIEW_METHOD, flagged_runs: flagged.runs, flagged_artifacts: flagged.artifacts };
  }

  private async index(): Promise<LineageIndex> {
    return new LineageIndex(await this.store.load());
  }
}

function parse<T extends import('zod').ZodType>(schema: T, value: unknown, what: string): import('zod').output<T> {
  const parsed = schema.safeParse(value ?? {});
  if (!parsed.success) throw fromZodError(parsed.error, what);
  return parsed.data;
}
