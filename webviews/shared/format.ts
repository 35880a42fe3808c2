/** Numbers, times and slices as the views print them. */
import type { SliceCondition } from '../../protocol/slices';

export function num(x: number | null | undefined, digits = 3): string {
  if (x === null || x === undefined) return '–';
  if (!Number.isFinite(x)) return x > 0 ? '∞' : '−∞';
  const a = Math.abs(x);
  if (a !== 0 && (a < 1e-3 || a >= 1e6)) return x.toExponential(2);
  if (a >= 1000) return Math.round(x).toLocaleString('en-US');
  return Number(x.toFixed(digits)).toString();
}

/** A drift score: null means +∞ (see the drift report). */
export function score(x: number | null | undefined): string {
  return x === null ? '∞' : num(x);
}

export function signed(x: number | null | undefined, digits = 4): string {
  if (x === null || x === undefined) return '–';
  const s = num(x, digits);
  return x > 0 ? `+${s}` : s.replace('-', '−');
}

export function pct(x: number | null | undefined, digits = 1): string {
  if (x === null || x === undefined) return '–';
  return `${(x * 100).toFixed(digits)} %`;
}

export function count(x: number | null | undefined): string {
  return x === null || x === undefined ? '–' : Math.round(x).toLocaleString('en-US');
}

export function pValue(p: number | null | undefined): string {
  if (p === null || p === undefined) return '–';
  if (p === 0) return '< 1e-300';
  return p < 1e-3 ? p.toExponential(1) : p.toFixed(3);
}

export function ms(x: number | null | undefined): string {
  return x === null || x === undefined ? '–' : `${x < 10 ? x.toFixed(2) : x.toFixed(1)} ms`;
}

/** `2001-06-13 21:52` (UTC). */
export function time(iso: string | null | undefined): string {
  if (!iso) return '–';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toISOString().slice(0, 16).replace('T', ' ');
}

export function day(iso: string): string {
  return new Date(iso).toISOString().slice(0, 10);
}

export function shortHash(h: string | null | undefined, n = 8): string {
  return h ? h.slice(0, n) : '–';
}

export function ci(interval: readonly [number, number] | readonly number[] | null | undefined, digits = 3): string {
  if (!interval || interval.length < 2) return '–';
  return `[${num(interval[0], digits)}, ${num(interval[1], digits)}]`;
}

export function predicate(p: SliceCondition): string {
  switch (p.op) {
    case 'is_null': return `${p.feature} is missing`;
    case '==': return `${p.feature} = ${String(p.value)}`;
    case '<=': return `${p.feature} ≤ ${num(p.value as number, 4)}`;
    case '>': return `${p.feature} > ${num(p.value as number, 4)}`;
    case 'between': {
      const [lo, hi] = p.value as [number, number];
      return `${num(lo, 4)} < ${p.feature} ≤ ${num(hi, 4)}`;
    }
  }
}

export function slice(predicates: readonly SliceCondition[]): string {
  return predicates.map(predicate).join(' ∧ ');
}

/** Bin labels of a numeric histogram with edges e1 < … < ek: ≤ e1, (e1, e2], …, > ek. */
export function binLabels(edges: readonly number[]): string[] {
  if (edges.length === 0) return ['all'];
  const labels = [`≤ ${num(edges[0]!)}`];
  for (let i = 1; i < edges.length; i++) labels.push(`(${num(edges[i - 1]!)}, ${num(edges[i]!)}]`);
  labels.push(`> ${num(edges[edges.length - 1]!)}`);
  return labels;
}
