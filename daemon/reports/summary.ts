/**
 * The plain-text summary of a replay or evaluation (what `sightline replay` prints without
 * --json, and what the demo shows): a few lines, the gates last.
 */
import type { ReplayReport } from '../../protocol';
import { deltaLine, interval, ms, num, pct, ref, signed, slice, title } from './format';

export interface SummaryOptions {
  /** Slices / regressions listed at most. */
  top?: number;
  /** Metric deltas shown (default: the main ones). */
  metrics?: string[];
}

export function formatRunSummary(r: ReplayReport, opts: SummaryOptions = {}): string {
  const top = opts.top ?? 5;
  const lines: string[] = [title(r)];
  lines.push(`  traffic ${r.traffic.source}${r.traffic.window ? ` (${r.traffic.window})` : ''}; labels on ${pct(r.label_sanity.coverage, 1)} of rows${r.label_sanity.positive_rate !== null ? `, positive rate ${pct(r.label_sanity.positive_rate, 1)}${r.label_sanity.baseline_positive_rate !== null ? ` (reference ${pct(r.label_sanity.baseline_positive_rate, 1)})` : ''}` : ''}${r.label_sanity.ok ? '' : ' — LABELS LOOK INCOMPLETE'}`);
  if (r.flips) lines.push(`  flips: ${r.flips.count} of ${r.flips.n} rows (${pct(r.flips.rate)}): ${r.flips.to_positive} to positive, ${r.flips.to_negative} to negative${r.flips.fixed !== undefined ? `; of the labelled, ${r.flips.fixed} fixed, ${r.flips.broken} broken` : ''}`);
  if (r.output_difference) {
    const d = r.output_difference;
    lines.push(`  output difference (candidate − baseline): mean ${signed(d.mean)}, |Δ| mean ${num(d.mean_abs)}, p99 ${num(d.p99_abs)}, max ${num(d.max_abs)}; ${pct(d.within_tolerance)} within tolerance`);
  }
  const wanted = opts.metrics ?? (r.task === 'regression' ? ['mae', 'rmse'] : ['roc_auc', 'accuracy', 'log_loss', 'brier']);
  if (r.overall.n === 0) {
    lines.push('  metrics: none (no labelled rows)');
  } else if (r.baseline) {
    for (const d of r.overall.deltas.filter((x) => wanted.includes(x.metric))) lines.push(`  ${deltaLine(d)}`);
  } else {
    const m = r.overall.candidate.metrics as Record<string, { value: number | null; ci: [number, number] | null }>;
    lines.push(`  ${wanted.map((k) => `${k} ${num(m[k]?.value)} ${interval(m[k]?.ci)}`).join('; ')} (n ${r.overall.n})`);
  }
  if (r.kind === 'replay') {
    lines.push(`  slice regressions (${r.slice_test?.loss ?? 'loss'}, paired t + Benjamini–Hochberg at ${r.slice_test?.alpha ?? 0.05}): ${r.slice_regressions.length}${r.slice_test ? ` of ${r.slice_test.candidates} slices tested` : ''}`);
    for (const s of r.slice_regressions.slice(0, top)) {
      lines.push(`    ${slice(s.predicates)}  n ${s.n}  ${s.metric} ${num(s.baseline)} → ${num(s.candidate)} (${signed(s.delta)}, CI ${interval(s.ci)}, p_adj ${num(s.p_adjusted, 3)})`);
    }
    if (r.prediction_drift) lines.push(`  score drift candidate vs baseline: ${r.prediction_drift.method} ${num(r.prediction_drift.score)} (threshold ${r.prediction_drift.threshold})${r.prediction_drift.drift ? ' DRIFT' : ''}`);
  } else {
    const worst = [...r.slices].filter((s) => s.candidate.n >= 30).sort((a, b) => sliceValue(a) - sliceValue(b)).slice(0, top);
    if (worst.length) lines.push(`  weakest slices (${r.task === 'regression' ? 'MAE' : 'ROC AUC'}):`);
    for (const s of worst) lines.push(`    ${slice(s.predicates)}  n ${s.candidate.n}  ${num(sliceRaw(s))} ${interval(sliceCi(s))}`);
  }
  for (const l of r.latency) lines.push(`  latency ${l.role} ${l.model} (${l.execution_provider}, ${l.batch_size} row(s)/call, ${l.concurrency} in flight): p50 ${ms(l.p50_ms)}, p95 ${ms(l.p95_ms)}, p99 ${ms(l.p99_ms)}`);
  if (r.throughput) lines.push(`  throughput: ${Math.round(r.throughput.rows_per_s)} rows/s through ${r.throughput.model_rows / Math.max(1, r.throughput.rows)} model(s) (${r.throughput.rows} rows in ${r.throughput.seconds.toFixed(2)} s, batches of ${r.throughput.batch_size})`);
  for (const w of r.warnings) lines.push(`  warning: ${w}`);
  if (r.gates.length) {
    lines.push(`  gates: ${r.gates.filter((g) => g.passed).length}/${r.gates.length} passed`);
    for (const g of r.gates) lines.push(`    ${g.passed ? 'PASS' : 'FAIL'} ${g.expr} (value ${num(g.value)})${g.message && !g.passed ? ` — ${g.message}` : ''}`);
  }
  lines.push(`  run ${r.run_id}${r.trace ? ` in ${r.trace}` : ''}; ${r.passed ? 'passed' : 'FAILED'}`);
  return lines.join('\n');
}

function sliceRaw(s: ReplayReport['slices'][number]): number | null {
  const m = s.candidate.metrics as Record<string, { value: number | null } | undefined>;
  return (s.candidate.task === 'regression' ? m.mae?.value : m.roc_auc?.value) ?? null;
}

function sliceCi(s: ReplayReport['slices'][number]): [number, number] | null {
  const m = s.candidate.metrics as Record<string, { ci: [number, number] | null } | undefined>;
  return (s.candidate.task === 'regression' ? m.mae?.ci : m.roc_auc?.ci) ?? null;
}

/** Lower is weaker (AUC), or for regression higher MAE is weaker: returned negated. */
function sliceValue(s: ReplayReport['slices'][number]): number {
  const v = sliceRaw(s);
  if (v === null) return Number.POSITIVE_INFINITY;
  return s.candidate.task === 'regression' ? -v : v;
}

export { ref };
