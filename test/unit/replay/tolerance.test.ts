/**
 * Regressions need the candidate to be worse *beyond the run's numeric tolerance* (protocol
 * MetricDelta.regression): two score vectors that differ only in the last bits — consistently on
 * the bad side, so that the paired intervals are narrow and exclude 0 — give no metric
 * regression and no slice regression. The same data with the tolerance set to 0 does (the test
 * tells the two apart), and a real difference still counts.
 */
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { computeMetrics, createRowsView, sliceLevels, sliceRegressions, type AnalysisContext } from '../../../daemon/replay/analysis';
import { effectiveMinEffect } from '../../../daemon/replay/analysis';
import { isRegression, metricTolerance } from '../../../daemon/replay/deltas';

let db: DuckDBInstance;
let conn: DuckDBConnection;

/** n rows over segments a/b, baseline scores that track the label, candidate = baseline moved by `eps` towards the wrong class. */
async function load(eps: number): Promise<void> {
  await conn.run(`CREATE OR REPLACE TEMP TABLE sl_input AS
    SELECT i AS __row, CASE WHEN i % 2 = 0 THEN 'a' ELSE 'b' END AS seg,
      CASE WHEN hash(i) % 100 < 40 THEN 1.0 ELSE 0.0 END AS __label, true AS __ok
    FROM range(4000) t(i)`);
  await conn.run(`CREATE OR REPLACE TEMP TABLE sl_scores AS
    SELECT __row, b AS b_score, NULL::VARCHAR AS b_label,
      CASE WHEN __label = 1 THEN b - ${eps} ELSE b + ${eps} END AS c_score, NULL::VARCHAR AS c_label
    FROM (SELECT __row, __label, least(0.95, greatest(0.05, 0.3 + 0.4 * __label + 0.25 * ((hash(__row * 7) % 1000) / 1000.0 - 0.5))) AS b FROM sl_input)`);
  await createRowsView(conn, false);
}

function context(tolerance: { abs: number; rel: number }): AnalysisContext {
  return {
    conn, task: 'binary_classification', threshold: 0.5, positive: 1, tolerance, paired: true,
    features: [], attributes: [{ name: 'seg', sqlType: 'VARCHAR', kind: 'categorical' }], kinds: new Map([['seg', 'categorical']]),
  };
}

async function regressions(tolerance: { abs: number; rel: number }): Promise<{ metrics: string[]; slices: string[] }> {
  const ctx = context(tolerance);
  const levels = await sliceLevels(ctx);
  const m = await computeMetrics(ctx, levels);
  const s = await sliceRegressions(ctx, { loss: 'log_loss', alpha: 0.05, minEffect: 0, degree: 1, minSupport: 30, minFraction: 0.005, top: 50 }, () => []);
  return {
    metrics: [...m.overall.deltas, ...m.slices.flatMap((x) => x.deltas)].filter((d) => d.regression).map((d) => d.metric),
    slices: s.regressions.map((r) => r.predicates.map((p) => `${p.feature}=${String(p.value)}`).join('&')),
  };
}

beforeAll(async () => {
  db = await DuckDBInstance.create(':memory:');
  conn = await db.connect();
});
afterAll(() => {
  conn.closeSync();
  db.closeSync();
});

describe('isRegression', () => {
  test('the interval must clear the tolerance band on the bad side', () => {
    expect(isRegression('higher', [-3e-9, -1e-9])).toBe(true);
    expect(isRegression('higher', [-3e-9, -1e-9], 1e-6)).toBe(false);
    expect(isRegression('higher', [-0.02, -0.01], 1e-6)).toBe(true);
    expect(isRegression('lower', [1e-9, 3e-9], 1e-6)).toBe(false);
    expect(isRegression('lower', [0.01, 0.02], 1e-6)).toBe(true);
    expect(isRegression('lower', [-0.02, -0.01], 1e-6)).toBe(false);
    expect(isRegression('higher', null, 0)).toBe(false);
  });
  test('tolerance of a metric: abs + rel·|baseline|; min effect never below it', () => {
    expect(metricTolerance({ abs: 1e-6, rel: 1e-6 }, 0.5)).toBeCloseTo(1.5e-6, 15);
    expect(metricTolerance({ abs: 1e-6, rel: 1e-6 }, null)).toBe(1e-6);
    expect(effectiveMinEffect(0, { abs: 1e-6, rel: 1e-6 }, 0.6)).toBeCloseTo(1.6e-6, 15);
    expect(effectiveMinEffect(0.01, { abs: 1e-6, rel: 1e-6 }, 0.6)).toBe(0.01);
  });
});

describe('nearly identical score vectors', () => {
  test('last-bit differences (3e-8, always on the bad side) are no regression under the default tolerance', async () => {
    await load(3e-8);
    const strict = await regressions({ abs: 0, rel: 0 });
    // Without a tolerance the paired intervals are so narrow that these tiny deltas "regress":
    expect(strict.metrics).toContain('log_loss');
    expect(strict.slices.length).toBeGreaterThan(0);
    const tolerant = await regressions({ abs: 1e-6, rel: 1e-6 });
    expect(tolerant).toEqual({ metrics: [], slices: [] });
  });

  test('a real difference (0.05 towards the wrong class) still regresses', async () => {
    await load(0.05);
    const r = await regressions({ abs: 1e-6, rel: 1e-6 });
    expect(r.metrics).toContain('log_loss');
    expect(r.slices.sort()).toEqual(['seg=a', 'seg=b']);
  });
});
