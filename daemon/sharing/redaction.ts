import { SightlineError, type RedactAction } from '../../protocol';
import type { FeatureColumn } from '../store/trace-store';
import { REDACTABLE_COLUMNS, STRUCTURAL_COLUMNS, type BaselineTable } from './source';

export interface RedactSpec {
  column: string;
  action: RedactAction;
}

/** `--redact col=drop|hash` (repeatable; the last `=` splits, so names may contain `=`). */
export function parseRedactions(args: readonly string[]): RedactSpec[] {
  const out: RedactSpec[] = [];
  for (const arg of args) {
    const at = arg.lastIndexOf('=');
    const column = at > 0 ? arg.slice(0, at) : '';
    const action = at > 0 ? arg.slice(at + 1) : '';
    if (!column || (action !== 'drop' && action !== 'hash')) {
      throw new SightlineError('invalid_request', `--redact takes COLUMN=drop or COLUMN=hash, got ${JSON.stringify(arg)}`);
    }
    const prev = out.find((s) => s.column === column);
    if (prev && prev.action !== action) throw new SightlineError('invalid_request', `--redact ${column} is given twice (drop and hash); choose one`);
    if (!prev) out.push({ column, action });
  }
  return out;
}

/** What each redaction applies to, resolved against the source trace. */
export interface RedactionPlan {
  specs: RedactSpec[];
  /** Generated feature/attribute columns (`f_3`) → action. */
  features: Map<string, RedactAction>;
  /** `join_key` / `request_id` → action. */
  fixed: Map<string, RedactAction>;
  /** Top-level keys of `raw` → action (applied whenever a raw record has the key). */
  raw: Map<string, RedactAction>;
  /** Baseline table columns, by name → action. */
  baseline: Map<string, RedactAction>;
  applied: { column: string; action: RedactAction; targets: string[] }[];
  needsKey: boolean;
}

export interface RedactionContext {
  featureColumns: FeatureColumn[];
  rawKeys: string[];
  hasRaw: boolean;
  baselines: BaselineTable[];
  /** Raw keys whose value is the row's join key. */
  joinKeyAliases?: string[];
}

export function planRedactions(specs: RedactSpec[], ctx: RedactionContext): RedactionPlan {
  const plan: RedactionPlan = { specs, features: new Map(), fixed: new Map(), raw: new Map(), baseline: new Map(), applied: [], needsKey: specs.some((s) => s.action === 'hash') };
  for (const spec of specs) {
    if (STRUCTURAL_COLUMNS.includes(spec.column) && !(REDACTABLE_COLUMNS as readonly string[]).includes(spec.column)) {
      throw new SightlineError('invalid_request', `--redact ${spec.column}: Sightline needs this column as it is; redact features, attributes, join_key, request_id or raw keys`);
    }
    const targets: string[] = [];
    if ((REDACTABLE_COLUMNS as readonly string[]).includes(spec.column)) {
      plan.fixed.set(spec.column, spec.action);
      targets.push(`predictions.${spec.column}`);
      if (spec.column === 'join_key') {
        targets.push(spec.action === 'drop' ? 'labels.join_key (labels re-linked by prediction id)' : 'labels.join_key');
        // A raw record usually carries the join key under its own name (flight_id, user_id): same treatment.
        for (const alias of ctx.joinKeyAliases ?? []) {
          if (specs.some((s) => s.column === alias)) continue;
          plan.raw.set(alias, spec.action);
          targets.push(`predictions.raw.${alias} (holds the join key)`);
        }
      }
    }
    for (const fc of ctx.featureColumns) {
      if (fc.feature !== spec.column) continue;
      plan.features.set(fc.column, spec.action);
      targets.push(`predictions.${fc.column} (${fc.kind === 'attribute' ? 'attribute' : `${fc.kind} feature`} ${fc.feature})`);
    }
    if (ctx.hasRaw && (ctx.rawKeys.includes(spec.column) || ctx.featureColumns.some((fc) => fc.feature === spec.column))) {
      plan.raw.set(spec.column, spec.action);
      targets.push(`predictions.raw.${spec.column}`);
    }
    for (const b of ctx.baselines) {
      if (b.columns.some((c) => c.name === spec.column)) {
        plan.baseline.set(spec.column, spec.action);
        targets.push(`${b.table}.${spec.column}`);
      }
    }
    if (targets.length === 0) {
      const known = [...new Set([...REDACTABLE_COLUMNS, ...ctx.featureColumns.map((f) => f.feature), ...ctx.rawKeys, ...ctx.baselines.flatMap((b) => b.columns.map((c) => c.name))])];
      throw new SightlineError('invalid_request', `--redact ${spec.column}: no feature, attribute, column or raw key of that name in the selected data (known: ${known.join(', ')})`);
    }
    plan.applied.push({ column: spec.column, action: spec.action, targets });
  }
  return plan;
}

/** Column names a redaction covers (for skipping PII warnings that are already handled). */
export function redactedNames(plan: RedactionPlan): Set<string> {
  return new Set([...plan.specs.map((s) => s.column), ...plan.raw.keys()]);
}
