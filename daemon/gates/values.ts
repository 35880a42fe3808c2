/**
 * The named values gates test, read from a finished report. One table defines every name (and
 * which reports have it), so the list of known names in errors and docs is this table.
 */
import type { CompareReport, EvaluationTask, LatencyStats, MetricDelta, MetricEstimate, MetricSet, ReplayReport } from '../../protocol';
import { METRIC_NAMES } from '../analysis/metrics';
import { DELTA_METRICS } from '../replay/deltas';

type Getter = (r: ReplayReport) => number | null;

interface ValueDef {
  name: string;
  kinds: ReadonlyArray<'replay' | 'eval'>;
  description: string;
  get: Getter;
}

const bool = (b: boolean | null | undefined): number | null => (b === null || b === undefined ? null : b ? 1 : 0);
const latency = (r: ReplayReport, role: 'baseline' | 'candidate'): LatencyStats | undefined => r.latency.find((l) => l.role === role);

const BOTH = ['replay', 'eval'] as const;
const REPLAY = ['replay'] as const;

const FIXED: ValueDef[] = [
  { name: 'rows', kinds: BOTH, description: 'rows scored', get: (r) => r.traffic.rows },
  { name: 'skipped_rows', kinds: BOTH, description: 'rows left out (a feature missing or not finite)', get: (r) => r.skipped_rows ?? 0 },
  { name: 'labelled', kinds: BOTH, description: 'scored rows with a label', get: (r) => r.label_sanity.labelled },
  { name: 'label_coverage', kinds: BOTH, description: 'share of scored rows with a label', get: (r) => r.label_sanity.coverage },
  { name: 'positive_rate', kinds: BOTH, description: 'share of positive labels', get: (r) => r.label_sanity.positive_rate },
  { name: 'labels_ok', kinds: BOTH, description: '1 when the label sanity checks passed, else 0', get: (r) => bool(r.label_sanity.ok) },
  { name: 'flip_rate', kinds: REPLAY, description: 'share of rows whose predicted class differs (beyond the tolerance)', get: (r) => r.flips?.rate ?? null },
  { name: 'flips', kinds: REPLAY, description: 'rows whose predicted class differs', get: (r) => r.flips?.count ?? null },
  { name: 'flips_fixed', kinds: REPLAY, description: 'flipped labelled rows the candidate gets right', get: (r) => r.flips?.fixed ?? null },
  { name: 'flips_broken', kinds: REPLAY, description: 'flipped labelled rows the candidate gets wrong', get: (r) => r.flips?.broken ?? null },
  { name: 'output_diff_mean', kinds: REPLAY, description: 'mean of candidate − baseline output', get: (r) => r.output_difference?.mean ?? null },
  { name: 'output_diff_mean_abs', kinds: REPLAY, description: 'mean |candidate − baseline|', get: (r) => r.output_difference?.mean_abs ?? null },
  { name: 'output_diff_p95_abs', kinds: REPLAY, description: '95th percentile of |candidate − baseline|', get: (r) => r.output_difference?.p95_abs ?? null },
  { name: 'output_diff_p99_abs', kinds: REPLAY, description: '99th percentile of |candidate − baseline|', get: (r) => r.output_difference?.p99_abs ?? null },
  { name: 'output_diff_max_abs', kinds: REPLAY, description: 'largest |candidate − baseline|', get: (r) => r.output_difference?.max_abs ?? null },
  { name: 'within_tolerance', kinds: REPLAY, description: 'share of rows whose outputs are equal within the tolerance', get: (r) => r.output_difference?.within_tolerance ?? null },
  { name: 'non_finite', kinds: REPLAY, description: 'rows where either output is NaN or infinite', get: (r) => r.output_difference?.non_finite ?? null },
  { name: 'slice_regressions', kinds: REPLAY, description: 'slices where the candidate is significantly worse (paired t-test, Benjamini–Hochberg)', get: (r) => r.slice_regressions.length },
  { name: 'metric_regressions', kinds: REPLAY, description: 'overall metrics whose delta is a regression (interval excludes 0 on the bad side)', get: (r) => r.overall.deltas.filter((d) => d.regression).length },
  { name: 'prediction_drift', kinds: REPLAY, description: '1 when the candidate\'s scores drift from the baseline\'s, else 0', get: (r) => bool(r.prediction_drift?.drift) },
  { name: 'prediction_drift_score', kinds: REPLAY, description: 'the deciding drift metric of candidate vs baseline scores', get: (r) => r.prediction_drift?.score ?? null },
  { name: 'prediction_psi', kinds: REPLAY, description: 'PSI of candidate vs baseline scores', get: (r) => metricNumber(r.prediction_drift?.metrics.psi) },
  { name: 'prediction_js', kinds: REPLAY, description: 'Jensen–Shannon distance of candidate vs baseline scores', get: (r) => metricNumber(r.prediction_drift?.metrics.js) },
  { name: 'p50_ms', kinds: BOTH, description: 'candidate latency per call, median', get: (r) => latency(r, 'candidate')?.p50_ms ?? null },
  { name: 'p95_ms', kinds: BOTH, description: 'candidate latency per call, 95th percentile', get: (r) => latency(r, 'candidate')?.p95_ms ?? null },
  { name: 'p99_ms', kinds: BOTH, description: 'candidate latency per call, 99th percentile', get: (r) => latency(r, 'candidate')?.p99_ms ?? null },
  { name: 'mean_ms', kinds: BOTH, description: 'candidate latency per call, mean', get: (r) => latency(r, 'candidate')?.mean_ms ?? null },
  { name: 'max_ms', kinds: BOTH, description: 'candidate latency per call, max', get: (r) => latency(r, 'candidate')?.max_ms ?? null },
  { name: 'baseline_p50_ms', kinds: REPLAY, description: 'baseline latency, median', get: (r) => latency(r, 'baseline')?.p50_ms ?? null },
  { name: 'baseline_p95_ms', kinds: REPLAY, description: 'baseline latency, 95th percentile', get: (r) => latency(r, 'baseline')?.p95_ms ?? null },
  { name: 'baseline_p99_ms', kinds: REPLAY, description: 'baseline latency, 99th percentile', get: (r) => latency(r, 'baseline')?.p99_ms ?? null },
  { name: 'p99_ms_delta', kinds: REPLAY, description: 'candidate − baseline p99 latency', get: (r) => diff(latency(r, 'candidate')?.p99_ms, latency(r, 'baseline')?.p99_ms) },
  { name: 'p99_ms_ratio', kinds: REPLAY, description: 'candidate / baseline p99 latency', get: (r) => ratio(latency(r, 'candidate')?.p99_ms, latency(r, 'baseline')?.p99_ms) },
  { name: 'rows_per_s', kinds: BOTH, description: 'bulk scoring throughput (rows × models per second)', get: (r) => r.throughput?.rows_per_s ?? null },
];

/** Short names for metrics (`auc_delta`). */
export const METRIC_ALIASES: Record<string, string> = { auc: 'roc_auc', ap: 'pr_auc' };

function metricDefs(task: EvaluationTask, kind: 'replay' | 'eval'): ValueDef[] {
  const withAliases = (names: readonly string[]): Array<readonly [string, string]> => [
    ...names.map((m) => [m, m] as const),
    ...Object.entries(METRIC_ALIASES).filter(([, m]) => names.includes(m)),
  ];
  const out: ValueDef[] = [];
  for (const [name, metric] of withAliases(METRIC_NAMES[task])) {
    out.push({ name, kinds: [kind], description: `${metric} of the candidate`, get: (r) => estimateOf(r.overall.candidate, metric)?.value ?? null });
    out.push({ name: `${name}_lo`, kinds: [kind], description: `lower end of the 95 % interval of ${metric}`, get: (r) => estimateOf(r.overall.candidate, metric)?.ci?.[0] ?? null });
    out.push({ name: `${name}_hi`, kinds: [kind], description: `upper end of the 95 % interval of ${metric}`, get: (r) => estimateOf(r.overall.candidate, metric)?.ci?.[1] ?? null });
    if (kind === 'replay') out.push({ name: `${name}_baseline`, kinds: [kind], description: `${metric} of the baseline`, get: (r) => (r.overall.baseline ? estimateOf(r.overall.baseline, metric)?.value ?? null : null) });
  }
  if (kind === 'replay') {
    for (const [name, metric] of withAliases(DELTA_METRICS[task])) {
      out.push({ name: `${name}_delta`, kinds: [kind], description: `${metric}: candidate − baseline`, get: (r) => deltaOf(r, metric)?.delta ?? null });
      out.push({ name: `${name}_delta_lo`, kinds: [kind], description: `lower end of the 95 % interval of the ${metric} delta`, get: (r) => deltaOf(r, metric)?.ci?.[0] ?? null });
      out.push({ name: `${name}_delta_hi`, kinds: [kind], description: `upper end of the 95 % interval of the ${metric} delta`, get: (r) => deltaOf(r, metric)?.ci?.[1] ?? null });
    }
  }
  return out;
}

function definitions(kind: 'replay' | 'eval', task: EvaluationTask): ValueDef[] {
  return [...FIXED.filter((d) => d.kinds.includes(kind)), ...metricDefs(task, kind)];
}

/** The names a gate may use on a report of this kind and task. */
export function knownIdentifiers(kind: 'replay' | 'eval', task: EvaluationTask): string[] {
  return definitions(kind, task).map((d) => d.name);
}

/** Name → description, for `--help` and the docs. */
export function describeIdentifiers(kind: 'replay' | 'eval', task: EvaluationTask): Array<{ name: string; description: string }> {
  return definitions(kind, task).map((d) => ({ name: d.name, description: d.description }));
}

/** Every named value of a finished report (null where the run could not compute it). */
export function namedValues(report: ReplayReport): Record<string, number | null> {
  const out: Record<string, number | null> = {};
  for (const d of definitions(report.kind, report.task)) out[d.name] = finiteOrNull(d.get(report));
  return out;
}

// ── compare ─────────────────────────────────────────────────────────────────

/** Names of a comparison: counts of verdicts, and per metric `<m>_a`, `<m>_b`, `<m>_diff`, `<m>_p`. */
export function compareValues(report: Pick<CompareReport, 'metrics' | 'a' | 'b'>): Record<string, number | null> {
  const out: Record<string, number | null> = {
    rows_a: report.a.rows,
    rows_b: report.b.rows,
    worse: report.metrics.filter((m) => m.verdict === 'worse').length,
    better: report.metrics.filter((m) => m.verdict === 'better').length,
    not_enough_data: report.metrics.filter((m) => m.verdict === 'not_enough_data').length,
  };
  for (const m of report.metrics) {
    out[`${m.metric}_a`] = m.a;
    out[`${m.metric}_b`] = m.b;
    out[`${m.metric}_diff`] = m.difference;
    out[`${m.metric}_p`] = m.p_value;
  }
  return out;
}

export function compareIdentifiers(metrics: readonly string[]): string[] {
  return ['rows_a', 'rows_b', 'worse', 'better', 'not_enough_data', ...metrics.flatMap((m) => [`${m}_a`, `${m}_b`, `${m}_diff`, `${m}_p`])];
}

// ── helpers ─────────────────────────────────────────────────────────────────

function estimateOf(set: MetricSet, metric: string): MetricEstimate | undefined {
  return (set.metrics as Record<string, MetricEstimate | undefined>)[metric];
}

function deltaOf(r: ReplayReport, metric: string): MetricDelta | undefined {
  return r.overall.deltas.find((d) => d.metric === metric);
}

function metricNumber(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

function diff(a: number | undefined, b: number | undefined): number | null {
  return a === undefined || b === undefined ? null : a - b;
}

function ratio(a: number | undefined, b: number | undefined): number | null {
  return a === undefined || b === undefined || b === 0 ? null : a / b;
}

function finiteOrNull(v: number | null): number | null {
  return v !== null && Number.isFinite(v) ? v : null;
}
