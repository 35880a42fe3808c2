import { computeDrift, type DriftFeature, type DriftReport, type DriftThresholds } from '../analysis';
import { ModelCard, SightlineError, type FeatureKind } from '../../protocol';
import { requireBaseline } from '../baselines/baseline-store';
import { describeWindow, LABEL_COLUMN, previousWindow, SCORE_COLUMN, weekEarlier, windowRelation, type WindowSpec } from '../baselines/prediction-window';
import { ident, literal } from '../store/sql';
import type { TraceStore } from '../store/trace-store';
import type { FindingRecord } from './findings-store';
import { featureHistogram } from './histogram';

export interface DriftRunRequest {
  /** A named baseline, `previous` (the window before) or `week-ago` (same weekdays a week earlier). */
  baseline: string;
  window: WindowSpec;
  /** Only these features (default: every feature of the model cards that the reference has). */
  features?: string[];
  thresholds?: Record<string, Partial<DriftThresholds>>;
}

export interface DriftRunResult {
  report: DriftReport;
  findings: FindingRecord[];
  baseline: string;
  window: string;
  modelName: string | null;
}

/**
 * Drift of logged predictions against a reference, feature by feature, plus the prediction
 * output and the label where the reference has them: model inputs come from the model cards,
 * the label column is named by the card (`label.name`).
 */
export async function driftOnTrace(store: TraceStore, req: DriftRunRequest): Promise<DriftRunResult> {
  const cards = await modelCards(store, req.window.model);
  if (cards.length === 0) throw new SightlineError('not_found', `no model${req.window.model ? ` "${req.window.model}"` : ''} has predictions in ${store.path}`);
  const kinds = new Map<string, FeatureKind>();
  for (const c of cards) for (const f of c.features) if (!kinds.has(f.name)) kinds.set(f.name, f.kind);
  const labelName = cards.find((c) => c.label)?.label?.name;
  const windowFeatures = [...kinds].map(([name, kind]) => ({ name, kind }));
  const current = windowRelation(store, windowFeatures, req.window);

  let reference: string;
  let referenceColumns: Set<string>;
  let features: DriftFeature[];
  if (req.baseline === 'previous' || req.baseline === 'week-ago') {
    const spec = req.baseline === 'previous' ? previousWindow(req.window) : weekEarlier(req.window);
    reference = windowRelation(store, windowFeatures, spec);
    referenceColumns = new Set([...kinds.keys(), SCORE_COLUMN, LABEL_COLUMN]);
    features = [...windowFeatures, { name: SCORE_COLUMN, kind: 'numeric' as const }, { name: LABEL_COLUMN, kind: 'numeric' as const }];
  } else {
    const baseline = await requireBaseline(store, req.baseline);
    reference = ident(baseline.table);
    referenceColumns = new Set(baseline.profile.features.map((f) => f.name));
    features = windowFeatures.filter((f) => referenceColumns.has(f.name));
    if (labelName && referenceColumns.has(labelName)) features.push({ name: labelName, kind: 'numeric' });
  }
  const wanted = req.features ? new Set(req.features) : null;
  if (wanted) {
    for (const w of wanted) if (!features.some((f) => f.name === w)) throw new SightlineError('invalid_request', `feature "${w}" is not in both the reference and the logged predictions (compared: ${features.map((f) => f.name).join(', ')})`);
    features = features.filter((f) => wanted.has(f.name));
  }
  if (features.length === 0) throw new SightlineError('invalid_request', 'no feature is present in both the reference and the logged predictions');
  // The label is logged as __label; expose it under the card's label name to match the baseline.
  const currentRel = labelName ? `(SELECT *, ${ident(LABEL_COLUMN)} AS ${ident(labelName)} FROM ${current} cur)` : current;
  const report = await computeDrift(store.conn, {
    reference,
    current: currentRel,
    features: features.map((f) => ({ ...f, ...(req.thresholds?.[f.name] ? { thresholds: req.thresholds[f.name] } : {}) })),
  });
  // Pseudo-columns get their domain names in the report: the prediction output and the label.
  for (const f of report.features) f.name = displayName(f.name, labelName);
  report.drifted = report.drifted.map((n) => displayName(n, labelName));
  const windowDesc = describeWindow(req.window);
  const modelName = req.window.model ? req.window.model.split('@')[0]! : cards.length === 1 ? cards[0]!.name : null;
  const findings: FindingRecord[] = [];
  for (const f of report.features) {
    if (!f.drift) continue;
    const column = f.name === 'prediction' ? SCORE_COLUMN : f.name.startsWith('label:') ? (labelName && referenceColumns.has(labelName) ? labelName : LABEL_COLUMN) : f.name;
    const histogram = await featureHistogram(store.conn, reference, currentRel, column, f.kind);
    findings.push({
      kind: 'drift', feature: f.name, model_name: modelName, score: f.score, threshold: f.threshold, metric: f.method,
      baseline: req.baseline, window_desc: windowDesc,
      details: { kind: f.kind, metrics: f.metrics, n_ref: f.n_ref, n_cur: f.n_cur, missing_ref: f.missing_ref, missing_cur: f.missing_cur, histogram },
    });
  }
  return { report, findings, baseline: req.baseline, window: windowDesc, modelName };
}

function displayName(name: string, labelName: string | undefined): string {
  if (name === SCORE_COLUMN) return 'prediction';
  if (name === LABEL_COLUMN || name === labelName) return `label:${labelName ?? 'label'}`;
  return name;
}

/** Model cards of the models with logged predictions (optionally one name or name@version). */
export async function modelCards(store: TraceStore, model?: string): Promise<ModelCard[]> {
  let where = '';
  if (model) {
    const at = model.lastIndexOf('@');
    where = at > 0 ? `WHERE name = ${literal(model.slice(0, at))} AND version = ${literal(model.slice(at + 1))}` : `WHERE name = ${literal(model)}`;
  }
  const rows = await store.query<{ card: unknown }>(`SELECT card FROM models ${where} ORDER BY name, version`);
  return rows.map((r) => {
    // A card that does not parse (a crafted file, or one logged before limits were checked) is a
    // bad file, not an internal error.
    let raw: unknown = r.card;
    try {
      if (typeof raw === 'string') raw = JSON.parse(raw);
    } catch {
      raw = null;
    }
    const parsed = ModelCard.safeParse(raw);
    if (!parsed.success) throw new SightlineError('bad_file', `a model card stored in ${store.path} is not valid (${parsed.error.issues[0]?.path.join('.') ?? ''}: ${parsed.error.issues[0]?.message ?? 'invalid'}); analyse one model with --model NAME@VERSION`);
    return parsed.data;
  });
}
