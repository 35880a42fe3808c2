/**
 * A Markdown summary of a replay or evaluation, fit for a pull-request comment: verdict, the
 * gate table, metric deltas with intervals, flips, slice regressions (with where their features
 * are defined), the worst slices, latency, label sanity and the environment.
 */
import path from 'node:path';
import type { ReplayReport } from '../../protocol';
import { interval, ms, num, pct, ref, signed, slice, title } from './format';

export interface MarkdownOptions {
  /** Paths are shown relative to this folder (the repository root). */
  root?: string;
  /** Slices listed at most. */
  top?: number;
}

export function replayMarkdown(r: ReplayReport, opts: MarkdownOptions = {}): string {
  const top = opts.top ?? 10;
  const rel = (file: string): string => {
    if (!opts.root) return file;
    const r = path.relative(opts.root, file);
    return r.startsWith('..') || path.isAbsolute(r) ? file : r.split(path.sep).join('/');
  };
  const out: string[] = [];
  out.push(`## ${r.passed ? '✅' : '❌'} ${title(r)} — ${r.passed ? (r.gates.length ? 'all gates passed' : 'no gates declared') : `${r.gates.filter((g) => !g.passed).length} gate(s) failed`}`);
  out.push('');
  const ls = r.label_sanity;
  out.push([
    `Traffic: \`${cell(r.traffic.source)}\`${r.traffic.window ? ` (${cell(r.traffic.window)})` : ''}`,
    `${r.traffic.rows} rows scored${r.skipped_rows ? `, ${r.skipped_rows} skipped` : ''}`,
    `labels on ${pct(ls.coverage, 1)}${ls.positive_rate !== null ? `, positive rate ${pct(ls.positive_rate, 1)}${ls.baseline_positive_rate !== null ? ` (reference ${pct(ls.baseline_positive_rate, 1)})` : ''}` : ''}${ls.ok ? '' : ' ⚠️'}`,
    `run \`${r.run_id}\``,
  ].join(' · '));
  out.push('');

  out.push('### Gates');
  out.push('');
  if (r.gates.length === 0) out.push('No gates declared (`--gate EXPR`, `--gates FILE` or `"gates"` in sightline.json).');
  else {
    out.push('| | Gate | Value | |');
    out.push('|---|---|---|---|');
    for (const g of r.gates) out.push(`| ${g.passed ? '✅' : '❌'} | \`${cell(g.expr)}\` | ${num(g.value)} | ${g.passed ? '' : cell(g.message ?? '')} |`);
  }
  out.push('');

  if (r.baseline) {
    out.push(`### Metrics (${ref(r.candidate)} − ${ref(r.baseline)}, ${r.overall.n} labelled rows)`);
    out.push('');
    out.push('| Metric | Baseline | Candidate | Δ | 95 % CI of Δ | |');
    out.push('|---|---|---|---|---|---|');
    for (const d of r.overall.deltas) out.push(`| ${d.metric} | ${num(d.baseline)} | ${num(d.candidate)} | ${signed(d.delta)} | ${interval(d.ci)} | ${d.regression ? '🔻 regression' : ''} |`);
  } else {
    out.push(`### Metrics of ${ref(r.candidate)} (${r.overall.n} labelled rows)`);
    out.push('');
    out.push('| Metric | Value | 95 % CI |');
    out.push('|---|---|---|');
    for (const [name, e] of Object.entries(r.overall.candidate.metrics as Record<string, { value: number | null; ci: [number, number] | null }>)) out.push(`| ${name} | ${num(e.value)} | ${interval(e.ci)} |`);
  }
  out.push('');

  if (r.flips && r.output_difference) {
    const f = r.flips;
    const d = r.output_difference;
    out.push('### Flips and output differences');
    out.push('');
    out.push(`- **${f.count}** of ${f.n} rows flipped (${pct(f.rate)}): ${f.to_positive} to positive, ${f.to_negative} to negative${f.fixed !== undefined ? `; among labelled flips the candidate fixed ${f.fixed} and broke ${f.broken}` : ''}.`);
    out.push(`- Output difference (candidate − baseline): mean ${signed(d.mean)}, mean |Δ| ${num(d.mean_abs)}, p95 ${num(d.p95_abs)}, p99 ${num(d.p99_abs)}, max ${num(d.max_abs)}; ${pct(d.within_tolerance)} equal within ${d.tolerance.abs} + ${d.tolerance.rel}·|baseline|.`);
    if (r.prediction_drift) out.push(`- Score drift (candidate vs baseline scores): ${r.prediction_drift.method} = ${num(r.prediction_drift.score)} (threshold ${r.prediction_drift.threshold})${r.prediction_drift.drift ? ' — **drift**' : ''}.`);
    out.push('');
  }

  if (r.kind === 'replay') {
    out.push(`### Slice regressions (${r.slice_regressions.length})`);
    out.push('');
    if (r.slice_test) out.push(`Per-row ${r.slice_test.loss} of candidate − baseline, paired t-test per slice, Benjamini–Hochberg at α = ${r.slice_test.alpha} over ${r.slice_test.candidates} slices.`);
    out.push('');
    if (r.slice_regressions.length > 0) {
      out.push('| Slice | n | Baseline | Candidate | Δ | 95 % CI | p (adj.) | Defined at |');
      out.push('|---|---|---|---|---|---|---|---|');
      for (const s of r.slice_regressions.slice(0, top)) {
        const where = (s.locations ?? []).map((l) => `\`${cell(rel(l.file))}:${l.line}\``).join(', ');
        out.push(`| ${cell(slice(s.predicates))} | ${s.n} | ${num(s.baseline)} | ${num(s.candidate)} | ${signed(s.delta)} | ${interval(s.ci)} | ${num(s.p_adjusted, 4)} | ${where} |`);
      }
      out.push('');
    }
  }

  if (r.slices.length > 0) {
    const primary = r.task === 'regression' ? 'mae' : 'roc_auc';
    out.push(`### Slices (worst ${Math.min(top, r.slices.length)} of ${r.slices.length})`);
    out.push('');
    if (r.baseline) {
      out.push(`| Slice | n | labelled | ${primary} baseline | ${primary} candidate | Δ | 95 % CI | flip rate | output Δ mean | \\|Δ\\| p95 | \\|Δ\\| max |`);
      out.push('|---|---|---|---|---|---|---|---|---|---|---|');
      for (const s of r.slices.slice(0, top)) {
        const d = s.deltas.find((x) => x.metric === primary);
        const o = s.output_difference;
        out.push(`| ${cell(slice(s.predicates))} | ${s.n} | ${s.labelled} | ${num(d?.baseline)} | ${num(d?.candidate)} | ${signed(d?.delta)} | ${interval(d?.ci)} | ${pct(s.flip_rate)} | ${o ? signed(o.mean) : '–'} | ${o ? num(o.p95_abs) : '–'} | ${o ? num(o.max_abs) : '–'} |`);
      }
    } else {
      out.push(`| Slice | n | ${primary} | 95 % CI |`);
      out.push('|---|---|---|---|');
      for (const s of r.slices.slice(0, top)) {
        const e = (s.candidate.metrics as Record<string, { value: number | null; ci: [number, number] | null }>)[primary];
        out.push(`| ${cell(slice(s.predicates))} | ${s.n} | ${num(e?.value)} | ${interval(e?.ci)} |`);
      }
    }
    out.push('');
  }

  if (r.latency.length > 0) {
    out.push('### Latency');
    out.push('');
    out.push('| Model | Role | Provider | Rows/call | In flight | p50 | p95 | p99 |');
    out.push('|---|---|---|---|---|---|---|---|');
    for (const l of r.latency) out.push(`| ${cell(l.model)} | ${l.role} | ${l.execution_provider} | ${l.batch_size} | ${l.concurrency} | ${ms(l.p50_ms)} | ${ms(l.p95_ms)} | ${ms(l.p99_ms)} |`);
    if (r.throughput) out.push('', `Bulk scoring: ${Math.round(r.throughput.rows_per_s)} rows/s (${r.throughput.rows} rows × ${r.throughput.model_rows / Math.max(1, r.throughput.rows)} model(s) in ${r.throughput.seconds.toFixed(2)} s).`);
    out.push('');
  }

  if (r.warnings.length > 0) {
    out.push('### Warnings');
    out.push('');
    for (const w of r.warnings) out.push(`- ⚠️ ${cell(w)}`);
    out.push('');
  }

  const e = r.environment;
  out.push('<details><summary>Environment</summary>');
  out.push('');
  out.push(`onnxruntime ${e.onnxruntime} · Sightline ${e.sightline} · Node ${e.node} · ${e.platform} · ${e.cpus ?? '?'} CPUs · providers ${Object.entries(e.execution_providers).map(([m, p]) => `${m}: ${p}`).join(', ')} · intra-op threads ${e.intra_op_threads ?? 'default'} · inter-op threads ${e.inter_op_threads ?? 'default'} · tolerance ${e.tolerance.abs} + ${e.tolerance.rel}·|x|`);
  out.push('');
  out.push('</details>');
  out.push('');
  return out.join('\n');
}

/** Text safe inside a Markdown table cell. */
function cell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}
