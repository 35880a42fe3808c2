import type { Finding, SlicePredicate } from '../../protocol';
import { qualityDetails, skewDetails, sliceDetails } from './finding-details';
import { isAbove, ratio } from './judge';

const METRIC_LABELS: Record<string, string> = {
  psi: 'PSI', js: 'JS', linf: 'L∞', wasserstein_norm: 'W/σ', wasserstein: 'W', ks: 'KS', chi2: 'χ²', mismatch_rate: 'mismatch',
};

export function metricLabel(metric: string | null): string {
  if (!metric) return 'score';
  return METRIC_LABELS[metric.toLowerCase()] ?? metric;
}

/** Two significant digits below 10 (0.31, 0.024), fewer decimals above; null is +∞. */
export function num(x: number | null | undefined): string {
  if (x === null || x === undefined) return '∞';
  if (!Number.isFinite(x)) return x > 0 ? '∞' : '−∞';
  const a = Math.abs(x);
  if (a >= 100) return x.toFixed(0);
  if (a >= 10) return String(Number(x.toFixed(1)));
  if (a === 0) return '0';
  return String(Number(x.toPrecision(2)));
}

/** A proportion as a percentage: "12 %", "1.5 %", "0.25 %". */
export function pct(x: number | null | undefined): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '–';
  const p = x * 100;
  const a = Math.abs(p);
  return `${a >= 10 || a === 0 ? p.toFixed(0) : a >= 1 ? p.toFixed(1) : p.toFixed(2)} %`;
}

export function times(f: Finding): string {
  const r = ratio(f);
  return r === null ? '' : ` (${r === Number.POSITIVE_INFINITY ? '∞' : num(r)}× threshold)`;
}

/** "baseline train-v1 · window 2001-04-01..2001-06-30 · model flights-delay". */
export function context(f: Finding): string {
  const parts: string[] = [];
  if (f.baseline) parts.push(`baseline ${f.baseline}`);
  if (f.window_desc) parts.push(`window ${f.window_desc}`);
  if (f.model_name) parts.push(`model ${f.model_name}`);
  return parts.join(' · ');
}

export function predicateText(p: SlicePredicate): string {
  const v = Array.isArray(p.value) ? `[${p.value.join(', ')}]` : String(p.value);
  return `${p.feature} ${p.op} ${v}`;
}

export function sliceText(f: Finding): string {
  const preds = sliceDetails(f).predicates ?? [];
  return preds.length > 0 ? preds.map(predicateText).join(' ∧ ') : f.feature ?? 'a slice';
}

/** `PSI 0.31 ≥ 0.2` */
export function scoreVsThreshold(f: Finding): string {
  const cmp = isAbove(f) ? '≥' : '<';
  return `${metricLabel(f.metric)} ${num(f.score)}${f.threshold !== null ? ` ${cmp} ${num(f.threshold)}` : ''}`;
}

/** The one-line part of a code lens for a feature's worst finding of a kind. */
export function lensTitle(f: Finding): string {
  const above = isAbove(f);
  switch (f.kind) {
    case 'drift':
      return above ? `drift ${metricLabel(f.metric)} ${num(f.score)}` : `no drift (${metricLabel(f.metric)} ${num(f.score)})`;
    case 'skew': {
      const rate = skewDetails(f).mismatch_rate;
      if (!above) return `no skew (${rate !== undefined ? `${pct(rate)} rows` : `${metricLabel(f.metric)} ${num(f.score)}`})`;
      return rate !== undefined ? `skew ${pct(rate)} rows` : `skew ${metricLabel(f.metric)} ${num(f.score)}`;
    }
    case 'quality':
      return above ? `quality: ${qualityDetails(f).check ?? metricLabel(f.metric)}` : 'quality ok';
    case 'slice':
      return 'failing slice';
  }
}

/** The diagnostic message: what, the numbers, against what. */
export function diagnosticMessage(feature: string, f: Finding): string {
  const ctx = context(f);
  const tail = ctx ? ` — ${ctx}` : '';
  switch (f.kind) {
    case 'drift':
      return `${feature} drifted: ${scoreVsThreshold(f)}${times(f)}${tail}${missingText(f)}`;
    case 'skew': {
      const d = skewDetails(f);
      const rows = d.mismatch_rate !== undefined ? `${pct(d.mismatch_rate)} of rows differ, ` : '';
      return `${feature} differs between training and serving: ${rows}${scoreVsThreshold(f)}${times(f)}${tail}`;
    }
    case 'quality': {
      const d = qualityDetails(f);
      const what = [d.check ?? f.metric ?? 'check failed', d.observed !== undefined ? `observed ${short(d.observed)}` : '', d.expected !== undefined ? `expected ${short(d.expected)}` : ''].filter(Boolean).join(', ');
      return `${feature} data quality: ${what}${f.threshold !== null ? ` (${scoreVsThreshold(f)})` : ''}${tail}`;
    }
    case 'slice': {
      const d = sliceDetails(f);
      const nums = [d.n !== undefined ? `n ${d.n}` : '', d.metric !== undefined ? `${f.metric ?? 'loss'} ${num(d.metric)}` : '', d.effect_size !== undefined ? `effect size ${num(d.effect_size)}` : ''].filter(Boolean).join(', ');
      return `${feature} is part of a failing slice: ${sliceText(f)}${nums ? ` (${nums})` : ''}${tail}`;
    }
  }
}

function missingText(f: Finding): string {
  const ref = f.details.missing_ref;
  const cur = f.details.missing_cur;
  return typeof ref === 'number' && typeof cur === 'number' && (ref > 0 || cur > 0) ? `; missing ${pct(ref)} → ${pct(cur)}` : '';
}

function short(v: unknown): string {
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  return s.length > 60 ? s.slice(0, 57) + '…' : s;
}
