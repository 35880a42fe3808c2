import { computeDrift, type DriftThresholds } from '../analysis';
import { DriftReport as DriftReportSchema, ModelCard, SightlineError, type DriftReport, type DriftSkipped, type FeatureKind } from '../../protocol';
import { requireBaseline } from '../baselines/baseline-store';
import { describeWindow, LABEL_COLUMN, LABEL_TEXT_COLUMN, previousWindow, SCORE_COLUMN, weekEarlier, windowRelation, type WindowSpec } from '../baselines/prediction-window';
import { ident, literal } from '../store/sql';
import type { TraceStore } from '../store/trace-store';
import { checkedReport } from './checked-report';
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

/** One column compared by a drift run, and the name the report gives it. */
export interface Compared {
  /** Its name in both relations. */
  column: string;
  kind: FeatureKind;
  /** A model input's own name, `prediction` (the score output) or `label:<name>`. */
  display: string;
}

/**
 * What a drift run on a trace compares (shared with the editor's drift views,
 * daemon/queries/drift-views.ts, so that their bins are those of the report): the reference and
 * current relations — the current one with the prediction output and the label renamed as a
 * named baseline names them — the columns compared in both, and what could not be compared.
 */
export interface DriftComparison {
  cards: ModelCard[];
  /** The card's label name, if any. */
  labelName: string | undefined;
  reference: string;
  current: string;
  compared: Compared[];
  skipped: DriftSkipped[];
}

/**
 * Drift of logged predictions against a reference, feature by feature, plus the prediction
 * output and the label: model inputs come from the model cards, the label is named by the card
 * (`label.name`), the prediction output by `outputs.probability` (else `outputs.value`).
 *
 * - `previous` / `week-ago` (windows of the same trace, see prediction-window.ts): every input,
 *   the score (`prediction`) and the label (`label:<name>`; categorical when the trace holds
 *   text labels, numeric otherwise).
 * - A named baseline: the inputs it has as columns; the score when it has a column named as the
 *   prediction output (e.g. the model's scores on the training rows); the label when it has the
 *   label's column, of the kind profiled for that column. What cannot be compared is listed in
 *   `skipped`, with the reason, never left out silently.
 */
export async function driftComparison(store: TraceStore, baselineName: string, window: WindowSpec): Promise<DriftComparison> {
  const cards = await modelCards(store, window.model);
  if (cards.length === 0) throw new SightlineError('not_found', `no model${window.model ? ` "${window.model}"` : ''} has predictions in ${store.path}`);
  const kinds = new Map<string, FeatureKind>();
  for (const c of cards) for (const f of c.features) if (!kinds.has(f.name)) kinds.set(f.name, f.kind);
  const labelName = cards.find((c) => c.label)?.label?.name;
  const labelDisplay = `label:${labelName ?? 'label'}`;
  const outputName = predictionOutputName(cards);
  const windowFeatures = [...kinds].map(([name, kind]) => ({ name, kind }));
  const current = windowRelation(store, windowFeatures, window);

  let reference: string;
  let compared: Compared[];
  const skipped: DriftSkipped[] = [];
  /** Pseudo-columns of the current window renamed as the baseline names them. */
  const aliases: string[] = [];
  if (baselineName === 'previous' || baselineName === 'week-ago') {
    const spec = baselineName === 'previous' ? previousWindow(window) : weekEarlier(window);
    reference = windowRelation(store, windowFeatures, spec);
    const textLabels = await hasTextLabels(store);
    compared = [
      ...windowFeatures.map((f) => ({ column: f.name, kind: f.kind, display: f.name })),
      { column: SCORE_COLUMN, kind: 'numeric', display: 'prediction' },
      textLabels ? { column: LABEL_TEXT_COLUMN, kind: 'categorical', display: labelDisplay } : { column: LABEL_COLUMN, kind: 'numeric', display: labelDisplay },
    ];
  } else {
    const baseline = await requireBaseline(store, baselineName);
    reference = ident(baseline.table);
    const profiled = new Map(baseline.profile.features.map((f) => [f.name, f]));
    compared = windowFeatures.filter((f) => profiled.has(f.name)).map((f) => ({ column: f.name, kind: f.kind, display: f.name }));
    if (!outputName) {
      skipped.push({ name: 'prediction', reason: 'the model card names no prediction output (outputs.probability or outputs.value)' });
    } else if (!profiled.has(outputName) || kinds.has(outputName)) {
      skipped.push({ name: 'prediction', reason: `baseline "${baselineName}" has no column "${outputName}" (the prediction output); add the model's outputs on the baseline rows as that column, or compare with --baseline previous|week-ago` });
    } else {
      compared.push({ column: outputName, kind: 'numeric', display: 'prediction' });
      aliases.push(`${ident(SCORE_COLUMN)} AS ${ident(outputName)}`);
    }
    const labelProfile = labelName && !kinds.has(labelName) ? profiled.get(labelName) : undefined;
    if (labelName && labelProfile) {
      compared.push({ column: labelName, kind: labelProfile.kind, display: labelDisplay });
      aliases.push(`${ident(labelProfile.kind === 'categorical' ? LABEL_TEXT_COLUMN : LABEL_COLUMN)} AS ${ident(labelName)}`);
    } else if (labelName) {
      skipped.push({ name: labelDisplay, reason: `baseline "${baselineName}" has no column "${labelName}" (the model card's label)` });
    }
  }
  const currentRel = aliases.length ? `(SELECT *, ${aliases.join(', ')} FROM ${current} cur)` : current;
  return { cards, labelName, reference, current: currentRel, compared, skipped };
}

/** Drift of logged predictions against a reference (see driftComparison for what is compared). */
export async function driftOnTrace(store: TraceStore, req: DriftRunRequest): Promise<DriftRunResult> {
  const comparison = await driftComparison(store, req.baseline, req.window);
  const { cards, reference, current: currentRel, skipped } = comparison;
  let { compared } = comparison;
  const wanted = req.features ? new Set(req.features) : null;
  if (wanted) {
    for (const w of wanted) if (!compared.some((f) => f.display === w)) throw new SightlineError('invalid_request', `feature "${w}" is not in both the reference and the logged predictions (compared: ${compared.map((f) => f.display).join(', ')})`);
    compared = compared.filter((f) => wanted.has(f.display));
  }
  if (compared.length === 0) throw new SightlineError('invalid_request', 'no feature is present in both the reference and the logged predictions');
  const raw = await computeDrift(
    store.conn,
    {
      reference,
      current: currentRel,
      features: compared.map((f) => {
        const thresholds = ownThresholds(req.thresholds, f.display) ?? ownThresholds(req.thresholds, f.column);
        return { name: f.column, kind: f.kind, ...(thresholds ? { thresholds } : {}) };
      }),
    },
    await store.readLanes(),
  );
  // Pseudo-columns get their domain names in the report: the prediction output and the label.
  const byColumn = new Map(compared.map((f) => [f.column, f]));
  for (const f of raw.features) f.name = byColumn.get(f.name)?.display ?? f.name;
  raw.drifted = raw.drifted.map((n) => byColumn.get(n)?.display ?? n);
  const reportedSkips = wanted ? skipped.filter((s) => wanted.has(s.name)) : skipped;
  const report = checkedReport(DriftReportSchema, { ...raw, ...(reportedSkips.length ? { skipped: reportedSkips } : {}) }, 'drift');
  const windowDesc = describeWindow(req.window);
  const modelName = req.window.model ? req.window.model.split('@')[0]! : cards.length === 1 ? cards[0]!.name : null;
  const byDisplay = new Map(compared.map((f) => [f.display, f]));
  const findings: FindingRecord[] = [];
  for (const f of report.features) {
    if (!f.drift) continue;
    const histogram = await featureHistogram(store.conn, reference, currentRel, byDisplay.get(f.name)?.column ?? f.name, f.kind);
    findings.push({
      kind: 'drift', feature: f.name, model_name: modelName, score: f.score, threshold: f.threshold, metric: f.method,
      baseline: req.baseline, window_desc: windowDesc,
      details: { kind: f.kind, metrics: f.metrics, n_ref: f.n_ref, n_cur: f.n_cur, missing_ref: f.missing_ref, missing_cur: f.missing_cur, histogram },
    });
  }
  return { report, findings, baseline: req.baseline, window: windowDesc, modelName };
}

/** Thresholds given for a feature (by its report name or its column), never an Object.prototype member. */
function ownThresholds(all: DriftRunRequest['thresholds'], name: string): Partial<DriftThresholds> | undefined {
  return all && Object.hasOwn(all, name) ? all[name] : undefined;
}

/** The name of the model's score output (`outputs.probability`, else `outputs.value`) in its card. */
function predictionOutputName(cards: ModelCard[]): string | undefined {
  for (const c of cards) {
    const name = c.outputs.probability ?? c.outputs.value;
    if (name) return name;
  }
  return undefined;
}

/**
 * Whether the trace's labels are text: some label was logged as a string that is not a number
 * (a number-like string also fills `labels.value`). Then the label is compared as categorical.
 */
export async function hasTextLabels(store: TraceStore): Promise<boolean> {
  const rows = await store.query('SELECT 1 FROM labels WHERE value IS NULL AND value_text IS NOT NULL LIMIT 1');
  return rows.length > 0;
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
