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
import { describeWindow, LABEL_COLUMN, LABEL_TEXT_COLUMN, SCORE_COLUMN, windowRelation, type WindowSpec } from '../baselines/prediction-window';
import { driftComparison } from '../findings/drift-run';
import { featureHistogram } from '../findings/histogram';
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
 * The reference and current relations of `drift` for one feature, from the very comparison
 * `drift` makes (driftComparison in daemon/findings/drift-run.ts): a text label is the
 * categorical `__label_text` column, the prediction against a named baseline is the baseline's
 * column named as the score output. `feature` is a model input, `prediction` (the score) or
 * `label:<name>` (the label), as the drift report names them (`__score`, `__label` and the
 * label's own name are accepted too). What drift lists as skipped is refused with its reason
 * (`unsupported`); a name drift does not know at all is `unknown_feature`.
 */
export async function driftRelations(store: TraceStore, baseline: string, window: WindowSpec, feature: string): Promise<DriftRelations> {
  const { cards, labelName, reference, current, compared, skipped } = await driftComparison(store, baseline, window);
  const inputs = new Set(cards.flatMap((c) => c.features.map((f) => f.name)));
  let display = feature;
  if (!inputs.has(feature)) {
    if (feature === SCORE_COLUMN) display = 'prediction';
    else if (feature === LABEL_COLUMN || feature === LABEL_TEXT_COLUMN || (labelName !== undefined && feature === labelName)) display = `label:${labelName ?? 'label'}`;
  }
  const found = compared.find((f) => f.display === display);
  if (found) return { reference, current, column: found.column, kind: found.kind, display: found.display };
  const skip = skipped.find((s) => s.name === display);
  if (skip) throw new SightlineError('unsupported', `"${display}" is not compared against baseline "${baseline}": ${skip.reason}`, ['feature']);
  throw unknownFeature(feature, compared.map((f) => f.display));
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
