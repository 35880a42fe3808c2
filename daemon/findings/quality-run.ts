import { checkQuality, type QualityOptions, type QualityReport } from '../analysis';
import { SightlineError, type FeatureKind } from '../../protocol';
import { requireBaseline } from '../baselines/baseline-store';
import { describeWindow, windowRelation, type WindowSpec } from '../baselines/prediction-window';
import type { TraceStore } from '../store/trace-store';
import { modelCards } from './drift-run';
import type { FindingRecord } from './findings-store';

export interface QualityRunRequest {
  baseline: string;
  window: WindowSpec;
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
 * Data quality of logged predictions against the schema profiled from a named baseline when it
 * was registered (no rescan of the baseline): only the model's features are checked.
 */
export async function qualityOnTrace(store: TraceStore, req: QualityRunRequest): Promise<QualityRunResult> {
  const baseline = await requireBaseline(store, req.baseline);
  const cards = await modelCards(store, req.window.model);
  if (cards.length === 0) throw new SightlineError('not_found', `no model${req.window.model ? ` "${req.window.model}"` : ''} has predictions in ${store.path}`);
  const kinds = new Map<string, FeatureKind>();
  for (const c of cards) for (const f of c.features) if (!kinds.has(f.name)) kinds.set(f.name, f.kind);
  const schema = { ...baseline.profile, features: baseline.profile.features.filter((f) => kinds.has(f.name)) };
  const current = windowRelation(store, [...kinds].map(([name, kind]) => ({ name, kind })), req.window);
  const options: Partial<QualityOptions> = req.expectedRows ? { expectedRows: req.expectedRows } : {};
  const report = await checkQuality(store.conn, schema, current, options);
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
