import { findSlices, type SliceAttributeSpec } from '../analysis/slices';
import { SightlineError, type FeatureKind, type ModelCard, type SliceReport, type SlicesRequest } from '../../protocol';
import { describeWindow, LABEL_COLUMN, SCORE_COLUMN, windowRelation } from '../baselines/prediction-window';
import type { TraceStore } from '../store/trace-store';
import { modelCards } from './drift-run';
import type { FindingRecord } from './findings-store';

/** What slice findings are compared against (the `baseline` column of their findings). */
export const SLICE_BASELINE = 'rest';

export interface SliceRunResult {
  report: SliceReport;
  findings: FindingRecord[];
  window: string;
  modelName: string | null;
}

/**
 * Failing slices of a trace's logged predictions: the window's predictions with their joined
 * labels; slice attributes from the request or the model card (`slice_attributes`), each read
 * as the card's feature kind (numeric or categorical) or, when it is a logged attribute rather
 * than a model input, as categorical; decision threshold and positive label from the card.
 * Each failing slice becomes one finding of kind `slice` (feature = its first predicate's).
 */
export async function slicesOnTrace(store: TraceStore, req: SlicesRequest): Promise<SliceRunResult> {
  const cards = await modelCards(store, req.window.model);
  if (cards.length === 0) throw new SightlineError('not_found', `no model${req.window.model ? ` "${req.window.model}"` : ''} has predictions in ${store.path}`);
  const names = [...new Set(cards.map((c) => c.name))];
  if (names.length > 1) throw new SightlineError('invalid_request', `the trace holds several models (${names.join(', ')}): choose one with --model NAME[@VERSION]`);
  const card = cards[cards.length - 1]!;
  if (card.task === 'multiclass_classification' && !req.no_labels) {
    throw new SightlineError('unsupported', 'slices of multiclass models need --no-labels (losses are defined for binary classification and regression)');
  }
  const attributes = attributeSpecs(store, cards, req.attributes ?? cards.find((c) => c.slice_attributes.length > 0)?.slice_attributes ?? []);
  const relation = windowRelation(store, attributes, req.window);
  const positive = typeof card.label?.positive === 'number' ? card.label.positive : 1;
  let report: SliceReport;
  try {
    report = await findSlices(store.conn, {
      relation,
      score: SCORE_COLUMN,
      label: LABEL_COLUMN,
      attributes,
      task: card.task === 'regression' ? 'regression' : 'binary_classification',
      threshold: req.threshold ?? card.threshold ?? 0.5,
      positive,
      noLabels: req.no_labels,
      degree: req.degree,
      minSupport: req.min_support,
      minFraction: req.min_fraction,
      alpha: req.alpha,
      top: req.top,
      ...(req.loss ? { loss: req.loss } : {}),
    });
  } catch (err) {
    if (err instanceof SightlineError) throw err;
    throw new SightlineError('invalid_request', err instanceof Error ? err.message : String(err));
  }
  const window = describeWindow(req.window);
  const modelName = req.window.model ? req.window.model.split('@')[0]! : card.name;
  return { report, findings: sliceFindings(report, modelName, window), window, modelName };
}

/** One finding per failing slice; score = effect size (null = ∞), no threshold (significance decided). */
export function sliceFindings(report: SliceReport, modelName: string | null, window: string): FindingRecord[] {
  return report.slices.map((s) => ({
    kind: 'slice' as const,
    feature: s.predicates[0]?.feature ?? null,
    model_name: modelName,
    score: s.effect_size,
    threshold: null,
    metric: s.loss,
    baseline: SLICE_BASELINE,
    window_desc: window,
    details: {
      predicates: s.predicates, n: s.n, metric: s.metric, ci: s.ci, effect_size: s.effect_size, p_adjusted: s.p_adjusted,
      metric_rest: s.metric_rest, p_value: s.p_value, support: s.support, loss: s.loss,
    },
  }));
}

function attributeSpecs(store: TraceStore, cards: ModelCard[], names: string[]): SliceAttributeSpec[] {
  if (names.length === 0) throw new SightlineError('invalid_request', 'no slice attributes: the model card has no `slice_attributes`; give --attributes a,b,c');
  const kinds = new Map<string, FeatureKind>();
  for (const c of cards) for (const f of c.features) if (!kinds.has(f.name)) kinds.set(f.name, f.kind);
  return [...new Set(names)].map((name) => {
    const kind = kinds.get(name);
    if (kind) return { name, kind };
    if (store.featureColumn(name, 'attribute')) return { name, kind: 'categorical' as const };
    throw new SightlineError('invalid_request', `"${name}" is neither a feature of the model nor a logged attribute (features: ${[...kinds.keys()].join(', ')})`);
  });
}
