/** Number formatting shared by the text summary, Markdown, JUnit and SARIF writers. */
import type { MetricDelta, ReplayReport, SliceCondition } from '../../protocol';
import { describeSlice } from '../analysis/slices';

export function num(x: number | null | undefined, digits = 4): string {
  if (x === null || x === undefined || Number.isNaN(x)) return '–';
  if (!Number.isFinite(x)) return x > 0 ? '∞' : '−∞';
  if (Number.isInteger(x) && Math.abs(x) < 1e9) return String(x);
  const abs = Math.abs(x);
  if (abs !== 0 && abs < 1e-3) return x.toExponential(2);
  if (abs >= 1000) return x.toFixed(0);
  return x.toFixed(digits);
}

export function signed(x: number | null | undefined, digits = 4): string {
  if (x === null || x === undefined || Number.isNaN(x)) return '–';
  const s = num(x, digits);
  return x > 0 ? `+${s}` : s.replace(/^-/, '−');
}

export function pct(x: number | null | undefined, digits = 2): string {
  return x === null || x === undefined || Number.isNaN(x) ? '–' : `${(100 * x).toFixed(digits)} %`;
}

export function ms(x: number | null | undefined): string {
  if (x === null || x === undefined) return '–';
  return x < 1 ? `${x.toFixed(3)} ms` : x < 100 ? `${x.toFixed(2)} ms` : `${x.toFixed(0)} ms`;
}

export function interval(ci: [number, number] | null | undefined, digits = 4): string {
  return ci ? `[${signedOrPlain(ci[0], digits)}, ${signedOrPlain(ci[1], digits)}]` : '–';
}

function signedOrPlain(x: number, digits: number): string {
  return num(x, digits).replace(/^-/, '−');
}

export function slice(predicates: readonly SliceCondition[]): string {
  return describeSlice(predicates);
}

/** `flights-delay@v2` */
export function ref(m: { name: string; version: string } | null | undefined): string {
  return m ? `${m.name}@${m.version}` : '–';
}

export function deltaLine(d: MetricDelta): string {
  return `${d.metric} ${num(d.baseline)} → ${num(d.candidate)} (${signed(d.delta)}, 95 % CI ${interval(d.ci)})${d.regression ? ' REGRESSION' : ''}`;
}

export function title(r: ReplayReport): string {
  return r.kind === 'replay'
    ? `Sightline replay: ${ref(r.candidate)} vs ${ref(r.baseline)} on ${r.traffic.rows} rows`
    : `Sightline evaluation: ${ref(r.candidate)} on ${r.traffic.rows} rows`;
}
