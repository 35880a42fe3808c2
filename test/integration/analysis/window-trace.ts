/**
 * Test helper: a real trace file whose predictions sit at known times, written straight into
 * DuckDB (no daemon, no ONNX), so a test can tell exactly which rows a window must select.
 *
 * Model `m@v1` (inputs x numeric, c categorical; label `y`; score output `probability`).
 * Served row i (i = 0..503, none for i in GAP) at T0 + i h + (i mod 5) min, with
 * x = X(i), c = C(i), score = S(i) and a text label Y(i) ('cat' / 'dog', logged by prediction id).
 * Every even i also has a `shadow` row at the same time with x = 1000, c = 'shadow', score 1,
 * which no served window may pick.
 */
import { randomUUID } from 'node:crypto';
import { literal } from '../../../daemon/store/sql';
import { TraceStore } from '../../../daemon/store/trace-store';

export const T0 = Date.parse('2001-03-01T00:00:00Z');
export const HOUR = 3600_000;
export const ROWS = 504;
export const GAP: readonly [number, number] = [290, 309];

export const X = (i: number): number => ((i * 37) % 101) / 10 + i / 50;
export const C = (i: number): string => (i < 400 ? ['a', 'b', 'c'][i % 3]! : ['a', 'b', 'c', 'd'][(i * 7) % 4]!);
export const S = (i: number): number => ((i * 13) % 97) / 97;
export const Y = (i: number): string => (i < 420 ? (i % 3 === 0 ? 'cat' : 'dog') : i % 2 === 0 ? 'cat' : 'dog');

export interface Row {
  i: number;
  time: number;
  x: number;
  c: string;
  score: number;
  y: string;
}

/** The served rows, oldest first: what the windows are computed from, independently of the SQL. */
export const SERVED: readonly Row[] = Array.from({ length: ROWS }, (_, i) => i)
  .filter((i) => i < GAP[0] || i > GAP[1])
  .map((i) => ({ i, time: T0 + i * HOUR + (i % 5) * 60_000, x: X(i), c: C(i), score: S(i), y: Y(i) }));

export const iso = (ms: number): string => new Date(ms).toISOString();

export const CARD = {
  name: 'm',
  version: 'v1',
  task: 'binary_classification',
  features: [
    { name: 'x', kind: 'numeric' },
    { name: 'c', kind: 'categorical' },
  ],
  label: { name: 'y' },
  outputs: { probability: 'probability' },
};

export async function writeWindowTrace(file: string): Promise<TraceStore> {
  const store = await TraceStore.open(file);
  await store.upsertModel({ id: 'a'.repeat(64), name: 'm', version: 'v1', path: null, inputs: [], outputs: [], card: CARD });
  await store.ensureFeatureColumns([{ name: 'x', kind: 'numeric' }, { name: 'c', kind: 'categorical' }]);
  const xCol = store.featureColumn('x', 'numeric')!.column;
  const cCol = store.featureColumn('c', 'categorical')!.column;
  const predictions: string[] = [];
  const labels: string[] = [];
  for (const r of SERVED) {
    const id = randomUUID();
    predictions.push(`(${literal(id)}::UUID, ${literal(iso(r.time))}::TIMESTAMPTZ, 'served', ${r.score}, ${r.x}, ${literal(r.c)})`);
    labels.push(`(${literal(id)}::UUID, NULL, ${literal(r.y)}, ${literal(iso(r.time + HOUR))}::TIMESTAMPTZ)`);
    if (r.i % 2 === 0) predictions.push(`(${literal(randomUUID())}::UUID, ${literal(iso(r.time))}::TIMESTAMPTZ, 'shadow', 1, 1000, 'shadow')`);
  }
  await store.conn.run(
    `INSERT INTO predictions (id, time, source, score, "${xCol}", "${cCol}", model_id, model_name, model_version)
     SELECT v.*, ${literal('a'.repeat(64))}, 'm', 'v1' FROM (VALUES ${predictions.join(', ')}) AS v`,
  );
  await store.conn.run(`INSERT INTO labels (prediction_id, value, value_text, time) VALUES ${labels.join(', ')}`);
  return store;
}

// ── independent statistics (straight from the definitions, no DuckDB) ─────────

/** W1 = ∫ |F_R − F_C| dx over the empirical CDFs. */
export function wasserstein(ref: readonly number[], cur: readonly number[]): number {
  const a = [...ref].sort((p, q) => p - q);
  const b = [...cur].sort((p, q) => p - q);
  const points = [...new Set([...a, ...b])].sort((p, q) => p - q);
  const cdf = (s: number[], t: number): number => {
    let n = 0;
    while (n < s.length && s[n]! <= t) n++;
    return n / s.length;
  };
  let w = 0;
  for (let k = 0; k + 1 < points.length; k++) w += Math.abs(cdf(a, points[k]!) - cdf(b, points[k]!)) * (points[k + 1]! - points[k]!);
  return w;
}

/** L∞ = max over categories |p_c − q_c|. */
export function linf(ref: readonly string[], cur: readonly string[]): number {
  const share = (s: readonly string[], c: string): number => s.filter((v) => v === c).length / s.length;
  return Math.max(...[...new Set([...ref, ...cur])].map((c) => Math.abs(share(ref, c) - share(cur, c))));
}
