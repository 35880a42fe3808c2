import { checkQuality, inferSchema, type DataSchema, type QualityOptions, type QualityReport } from '../analysis';
import { QualityReport as QualityReportSchema, SightlineError, type FeatureKind } from '../../protocol';
import { requireBaseline } from '../baselines/baseline-store';
import { describeWindow, previousWindow, weekEarlier, windowRelation, type WindowSpec } from '../baselines/prediction-window';
import type { TraceStore } from '../store/trace-store';
import { modelCards } from './drift-run';
import { checkedReport } from './checked-report';
import type { FindingRecord } from './findings-store';

export interface QualityRunRequest {
  /** A named baseline, `previous` (the window before) or `week-ago` (same weekdays a week earlier), as for drift. */
  baseline: string;
  window: WindowSpec;
  /**
   * Rows the window should hold (the volume check). Default: none for a named baseline; the
   * reference window's row count for `previous` / `week-ago` (a window of the same span).
   */
  expectedRows?: number;
}

export interface QualityRunResult {
  report: QualityReport;
  findings: FindingRecord[];
  baseline: string;
  window: string;
  modelName: string | null;
}

/**
 * Data quality of logged predictions against a schema: the one profiled from a named baseline
 * when it was registered (no rescan of the baseline), or one inferred now from the `previous` /
 * `week-ago` window of the same trace (windows as drift's, see prediction-window.ts). Only the
 * model's features are checked. The trace stores each feature by its kind (DOUBLE or VARCHAR),
 * so types are compared by kind: an INTEGER baseline column is no type change.
 */
export async function qualityOnTrace(store: TraceStore, req: QualityRunRequest): Promise<QualityRunResult> {
  const relative = req.baseline === 'previous' || req.baseline === 'week-ago';
  const baseline = relative ? null : await requireBaseline(store, req.baseline);
  const cards = await modelCards(store, req.window.model);
  if (cards.length === 0) throw new SightlineError('not_found', `no model${req.window.model ? ` "${req.window.model}"` : ''} has predictions in ${store.path}`);
  const kinds = new Map<string, FeatureKind>();
  for (const c of cards) for (const f of c.features) if (!kinds.has(f.name)) kinds.set(f.name, f.kind);
  const windowFeatures = [...kinds].map(([name, kind]) => ({ name, kind }));
  let schema: DataSchema;
  let expectedRows = req.expectedRows;
  if (baseline) {
    schema = { ...baseline.profile, features: baseline.profile.features.filter((f) => kinds.has(f.name)) };
  } else {
    const spec = req.baseline === 'previous' ? previousWindow(req.window) : weekEarlier(req.window);
    schema = await inferSchema(store.conn, windowRelation(store, windowFeatures, spec), windowFeatures);
    // An empty reference would list no categories and no range: every value would look unseen.
    if (schema.row_count === 0) throw new SightlineError('invalid_request', `the ${req.baseline} window (${describeWindow(spec)}) holds no predictions to infer a schema from; widen the window or use a named baseline`);
    expectedRows ??= schema.row_count;
  }
  const current = windowRelation(store, windowFeatures, req.window);
  const options: Partial<QualityOptions> = { typeCheck: 'kind', ...(expectedRows ? { expectedRows } : {}) };
  const report = checkedReport(QualityReportSchema, await checkQuality(store.conn, schema, current, options), 'quality');
  const windowDesc = describeWindow(req.window);
  const modelName = req.window.model ? req.window.model.split('@')[0]! : cards.length === 1 ? cards[0]!.name : null;
  const findings: FindingRecord[] = report.violations
    .filter((v) => v.severity !== 'info')
    .map((v) => ({
      kind: 'quality' as const, feature: v.feature, model_name: modelName,
      score: typeof v.observed === 'number' ? v.observed : v.observed && typeof v.observed === 'object' && 'share' in v.observed ? v.observed.share : null,
      threshold: null, metric: v.check, baseline: req.baseline, window_desc: windowDesc,
      details: { severity: v.severity, observed: v.observed, expected: v.expected },
    }));
  return { report, findings, baseline: req.baseline, window: windowDesc, modelName };
}
