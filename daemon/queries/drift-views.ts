/**
 * What the drift view draws besides the drift report itself: one feature's reference vs current
 * distribution (`drift_distribution`, the bins drift uses) and its drift score per day or week
 * (`drift_timeline`, one bounded drift computation per window). The reference and the current
 * data are built exactly as `drift` builds them (daemon/findings/drift-run.ts).
 */
import {
  DriftDistributionQuery, DriftTimelineQuery, SightlineError,
  type AnalysisWindow, type DriftDistribution, type DriftTimeline, type DriftTimelinePoint, type FeatureKind,
} from '../../protocol';
import { computeDrift } from '../analysis';
import { requireBaseline } from '../baselines/baseline-store';
import { describeWindow, LABEL_COLUMN, previousWindow, SCORE_COLUMN, weekEarlier, windowRelation, type WindowSpec } from '../baselines/prediction-window';
import { modelCards } from '../findings/drift-run';
import { featureHistogram } from '../findings/histogram';
import { ident } from '../store/sql';
import type { TraceStore } from '../store/trace-store';
import { parseParams, type QueryContext } from './context';

const DAY_MS = 24 * 3600 * 1000;

interface DriftRelations {
  reference: string;
  current: string;
  /** The column compared in both relations. */
  column: string;
  kind: FeatureKind;
  /** The name the drift report gives it. */
  display: string;
}

/**
 * The reference and current relations of `drift` for one feature. `feature` is a model input,
 * `prediction` (the score) or `label:<name>` (the label), as the drift report names them.
 */
export async function driftRelations(store: TraceStore, baseline: string, window: WindowSpec, feature: string): Promise<DriftRelations> {
  const cards = await modelCards(store, window.model);
  if (cards.length === 0) throw new SightlineError('not_found', `no model${window.model ? ` "${window.model}"` : ''} has predictions in ${store.path}`);
  const kinds = new Map<string, FeatureKind>();
  for (const c of cards) for (const f of c.features) if (!kinds.has(f.name)) kinds.set(f.name, f.kind);
  const labelName = cards.find((c) => c.label)?.label?.name;
  const windowFeatures = [...kinds].map(([name, kind]) => ({ name, kind }));
  const current = windowRelation(store, windowFeatures, window);
  const currentRel = labelName ? `(SELECT *, ${ident(LABEL_COLUMN)} AS ${ident(labelName)} FROM ${current} cur)` : current;
  const relative = baseline === 'previous' || baseline === 'week-ago';
  const isLabel = feature.startsWith('label:') || feature === LABEL_COLUMN || (labelName !== undefined && feature === labelName);
  const isScore = feature === 'prediction' || feature === SCORE_COLUMN;
  if (relative) {
    const spec = baseline === 'previous' ? previousWindow(window) : weekEarlier(window);
    const reference = windowRelation(store, windowFeatures, spec);
    if (isScore) return { reference, current: currentRel, column: SCORE_COLUMN, kind: 'numeric', display: 'prediction' };
    if (isLabel) return { reference, current: currentRel, column: LABEL_COLUMN, kind: 'numeric', display: `label:${labelName ?? 'label'}` };
    const kind = kinds.get(feature);
    if (!kind) throw unknownFeature(feature, [...kinds.keys(), 'prediction', `label:${labelName ?? 'label'}`]);
    return { reference, current: currentRel, column: feature, kind, display: feature };
  }
  const b = await requireBaseline(store, baseline);
  const refColumns = new Set(b.profile.features.map((f) => f.name));
  const compared = [...kinds.keys()].filter((f) => refColumns.has(f));
  if (isLabel && labelName && refColumns.has(labelName)) {
    return { reference: ident(b.table), current: currentRel, column: labelName, kind: 'numeric', display: `label:${labelName}` };
  }
  const kind = kinds.get(feature);
  if (!kind || !refColumns.has(feature)) {
    throw unknownFeature(feature, [...compared, ...(labelName && refColumns.has(labelName) ? [`label:${labelName}`] : [])]);
  }
  return { reference: ident(b.table), current: currentRel, column: feature, kind, display: feature };
}

function unknownFeature(feature: string, known: string[]): SightlineError {
  return new SightlineError('unknown_feature', `feature "${feature}" is not in both the reference and the logged predictions (compared: ${known.join(', ')})`, ['feature']);
}

export async function driftDistribution(ctx: QueryContext, params: unknown): Promise<DriftDistribution> {
  const q = parseParams(DriftDistributionQuery, params, 'drift_distribution');
  await ctx.writer.flush();
  const rel = await driftRelations(ctx.store, q.baseline, q.window, q.feature);
  const histogram = await featureHistogram(ctx.store.conn, rel.reference, rel.current, rel.column, rel.kind);
  const [counts] = await ctx.store.query<{ r: number; c: number }>(
    `SELECT (SELECT count(*) FROM ${rel.reference} r)::BIGINT AS r, (SELECT count(*) FROM ${rel.current} c)::BIGINT AS c`,
  );
  return {
    feature: rel.display,
    kind: rel.kind,
    histogram,
    rows_ref: Number(counts?.r ?? 0),
    rows_cur: Number(counts?.c ?? 0),
    baseline: q.baseline,
    window: describeWindow(q.window),
  };
}

export async function driftTimeline(ctx: QueryContext, params: unknown): Promise<DriftTimeline> {
  const q = parseParams(DriftTimelineQuery, params, 'drift_timeline');
  await ctx.writer.flush();
  const { store } = ctx;
  const { last: _last, ...window } = q.window;
  // The windows that hold predictions, in UTC days or ISO weeks (Monday first).
  const buckets = await store.query<{ b: number; n: number }>(
    `SELECT epoch_ms(date_trunc(${q.bucket === 'week' ? "'week'" : "'day'"}, __time AT TIME ZONE 'UTC'))::DOUBLE AS b, count(*)::BIGINT AS n
     FROM ${windowRelation(store, [], window)} w GROUP BY 1 ORDER BY 1`,
  );
  const kept = buckets.slice(-q.max_windows);
  const length = (q.bucket === 'week' ? 7 : 1) * DAY_MS;
  const since = window.since ? normalise(window.since) : -Infinity;
  const until = window.until ? normalise(window.until) : Infinity;
  const points: DriftTimelinePoint[] = [];
  let display = q.feature;
  for (const bucket of kept) {
    const start = Math.max(Number(bucket.b), since);
    const end = Math.min(Number(bucket.b) + length, until);
    const spec: AnalysisWindow = { ...window, since: new Date(start).toISOString(), until: new Date(end).toISOString() };
    const rel = await driftRelations(store, q.baseline, spec, q.feature);
    display = rel.display;
    const report = await computeDrift(store.conn, { reference: rel.reference, current: rel.current, features: [{ name: rel.column, kind: rel.kind }] });
    const f = report.features[0]!;
    points.push({
      start: spec.since!, end: spec.until!, rows: Number(bucket.n), n_cur: f.n_cur,
      score: f.score, method: f.method, threshold: f.threshold, drift: f.drift,
    });
  }
  return { feature: display, baseline: q.baseline, bucket: q.bucket, points, truncated: buckets.length - kept.length };
}

function normalise(iso: string): number {
  const hasZone = /(Z|[+-]\d{2}:?\d{2})$/i.test(iso);
  const ms = Date.parse(hasZone ? iso : `${iso}${iso.length <= 10 ? 'T00:00:00' : ''}Z`);
  if (!Number.isFinite(ms)) throw new SightlineError('bad_value', `${JSON.stringify(iso)} is not an ISO date or time`, ['window']);
  return ms;
}
