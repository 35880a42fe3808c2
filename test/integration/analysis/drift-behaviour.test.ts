/**
 * computeDrift beyond the reference values: verdicts and their thresholds, ranking, missing
 * values, hostile names, relation forms, column types, kind inference.
 */
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { computeDrift } from '../../../daemon/analysis/drift.js';
import {
  DriftReportSchema,
  type CategoricalFeatureDrift,
  type NumericFeatureDrift,
} from '../../../daemon/analysis/drift-schema.js';
import { inferFeatureKinds } from '../../../daemon/analysis/feature-kind.js';
import { queryRelation, quoteIdentifier, tableRelation } from '../../../daemon/analysis/sql.js';
import { createColumnTable, createSyntheticTable } from './tables.js';

let instance: DuckDBInstance;
let conn: DuckDBConnection;

beforeAll(async () => {
  instance = await DuckDBInstance.create(':memory:');
  conn = await instance.connect();
  const base = { mean: 0, sd: 1, channelWeights: [0.25, 0.25, 0.25, 0.25] as [number, number, number, number] };
  await createSyntheticTable(conn, 'train', 5000, 11, base);
  await createSyntheticTable(conn, 'serve_shifted_amount', 5000, 12, { ...base, mean: 0.5 });
  await createSyntheticTable(conn, 'small_ref', 50, 13, base);
  await createSyntheticTable(conn, 'small_same', 50, 14, base);
  await createSyntheticTable(conn, 'small_shifted', 50, 15, { ...base, mean: 3, channelWeights: [0.97, 0.01, 0.01, 0.01] });
});

afterAll(() => {
  conn.closeSync();
  instance.closeSync();
});

async function drift(reference: string, current: string, features: Parameters<typeof computeDrift>[1]['features']) {
  const report = await computeDrift(conn, { reference: tableRelation(reference), current: tableRelation(current), features });
  return DriftReportSchema.parse(report);
}

describe('verdicts', () => {
  test('a shifted numeric feature drifts, an unchanged one does not; drifted features rank first', async () => {
    const report = await drift('train', 'serve_shifted_amount', [
      { name: 'channel', kind: 'categorical' },
      { name: 'items', kind: 'numeric' },
      { name: 'amount', kind: 'numeric' },
    ]);
    expect(report.drifted).toEqual(['amount']);
    expect(report.features.map((f) => f.name)[0]).toBe('amount');
    const amount = report.features[0] as NumericFeatureDrift;
    expect(amount.method).toBe('wasserstein_norm');
    expect(amount.score).toBe(amount.metrics.wasserstein_norm);
    expect(amount.threshold).toBe(0.1);
    // Calm features follow, by how close they came to their line (score / threshold).
    const rest = report.features.slice(1);
    const severity = (f: (typeof rest)[number]) => (f.score ?? Infinity) / f.threshold;
    expect(severity(rest[0]!)).toBeGreaterThanOrEqual(severity(rest[1]!));
  });

  test('per-feature thresholds override the defaults', async () => {
    const report = await drift('train', 'serve_shifted_amount', [
      { name: 'amount', kind: 'numeric', thresholds: { wasserstein_norm: 5, psi: 5 } },
      { name: 'channel', kind: 'categorical', thresholds: { js: 1e-6 } },
    ]);
    expect(report.drifted).toEqual(['channel']);
    const channel = report.features[0] as CategoricalFeatureDrift;
    expect(channel.threshold).toBe(1e-6);
    expect(channel.method).toBe('js');
    expect(report.features[1]?.threshold).toBe(5);
  });

  test('small samples need a significant test as well as the effect size', async () => {
    const same = await drift('small_ref', 'small_same', [
      { name: 'amount', kind: 'numeric' },
      { name: 'channel', kind: 'categorical' },
    ]);
    const amount = same.features.find((f) => f.name === 'amount') as NumericFeatureDrift;
    // Ten bins over 50 values: PSI is large from noise alone, but KS does not reject.
    expect(amount.metrics.psi).toBeGreaterThan(0.2);
    expect(amount.metrics.ks.p_value).toBeGreaterThan(0.05);
    expect(same.drifted).toEqual([]);

    const shifted = await drift('small_ref', 'small_shifted', [
      { name: 'amount', kind: 'numeric' },
      { name: 'channel', kind: 'categorical' },
    ]);
    expect(new Set(shifted.drifted)).toEqual(new Set(['amount', 'channel']));
  });

  test('a constant reference against a different current sample: wasserstein_norm is +∞ (null), score null, ranked first', async () => {
    await createColumnTable(conn, 'constant_ref', 'x', 'DOUBLE', Array(2000).fill(1));
    await createColumnTable(conn, 'constant_cur', 'x', 'DOUBLE', [...Array(1999).fill(1), 1.5]);
    await createColumnTable(conn, 'constant_ref2', 'y', 'DOUBLE', Array(2000).fill(2));
    const report = await computeDrift(conn, {
      reference: queryRelation('SELECT r.x, r2.y FROM constant_ref r POSITIONAL JOIN constant_ref2 r2'),
      current: queryRelation('SELECT c.x, c.x * 0 + 2 AS y FROM constant_cur c'),
      features: [
        { name: 'y', kind: 'numeric' },
        { name: 'x', kind: 'numeric' },
      ],
    });
    DriftReportSchema.parse(report);
    const x = report.features[0] as NumericFeatureDrift;
    expect(x.name).toBe('x');
    expect(x.metrics.wasserstein).toBeCloseTo(0.5 / 2000, 15);
    expect(x.metrics.wasserstein_norm).toBeNull();
    expect(x.score).toBeNull();
    expect(x.drift).toBe(true);
    const y = report.features[1] as NumericFeatureDrift;
    expect(y.metrics.wasserstein_norm).toBe(0);
    expect(y.drift).toBe(false);
    expect(JSON.parse(JSON.stringify(report))).toEqual(report);
  });
});

describe('missing values', () => {
  test('NULL, NaN and ±∞ are missing and left out of the metrics', async () => {
    await conn.run(`CREATE TABLE odd_ref AS SELECT * FROM (VALUES (1.0::DOUBLE), (2.0), ('nan'::DOUBLE), ('inf'::DOUBLE), ('-inf'::DOUBLE), (NULL), (3.0)) t(x)`);
    await conn.run(`CREATE TABLE odd_cur AS SELECT * FROM (VALUES (3.0::DOUBLE), (1.0), (2.0), (NULL)) t(x)`);
    const report = await drift('odd_ref', 'odd_cur', [{ name: 'x', kind: 'numeric' }]);
    const x = report.features[0] as NumericFeatureDrift;
    expect([x.n_ref, x.n_cur]).toEqual([3, 3]);
    expect(x.missing_ref).toBeCloseTo(4 / 7, 15);
    expect(x.missing_cur).toBe(0.25);
    expect(x.metrics).toEqual({ ks: { statistic: 0, p_value: 1 }, wasserstein: 0, wasserstein_norm: 0, psi: 0, js: 0 });
  });

  test('empty relations: rates 0, metrics null, no drift', async () => {
    await conn.run(`CREATE TABLE empty_rows (x DOUBLE, c VARCHAR)`);
    const report = await drift('empty_rows', 'empty_rows', [
      { name: 'x', kind: 'numeric' },
      { name: 'c', kind: 'categorical' },
    ]);
    for (const feature of report.features) {
      expect([feature.n_ref, feature.n_cur, feature.missing_ref, feature.missing_cur]).toEqual([0, 0, 0, 0]);
      expect(feature.drift).toBe(false);
      expect(feature.score).toBe(0);
    }
    expect(report.features.find((f) => f.kind === 'categorical')?.metrics).toEqual({
      linf: null,
      js: null,
      psi: null,
      chi2: { statistic: null, dof: null, p_value: null },
    });
  });

  test('no features, no report entries', async () => {
    expect(await drift('train', 'train', [])).toEqual({ features: [], drifted: [] });
  });
});

describe('SQL safety and column types', () => {
  test('hostile feature names are quoted, never executed', async () => {
    const name = `x" FROM train; DROP TABLE train; --`;
    await createColumnTable(conn, 'hostile_ref', name, 'DOUBLE', [1, 2, 3, 4]);
    await createColumnTable(conn, 'hostile_cur', name, 'DOUBLE', [2, 3, 4, 5]);
    const report = await drift('hostile_ref', 'hostile_cur', [{ name, kind: 'numeric' }]);
    expect(report.features[0]?.name).toBe(name);
    expect((report.features[0] as NumericFeatureDrift).metrics.wasserstein).toBe(1);
    const tables = await conn.runAndReadAll(`SELECT count(*) AS n FROM train`);
    expect(Number(tables.getRowObjectsJS()[0]?.n)).toBe(5000);
  });

  test('a feature that is not a column fails loudly', async () => {
    await expect(drift('train', 'train', [{ name: 'no_such_column', kind: 'numeric' }])).rejects.toThrow();
  });

  test('DECIMAL, BIGINT, ENUM and BOOLEAN columns, with kinds inferred from their types', async () => {
    await conn.run(`CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy')`);
    await conn.run(`CREATE TABLE typed_ref AS SELECT (i % 7)::DECIMAL(10, 2) / 4 AS price, i::BIGINT AS big,
      (['sad', 'ok', 'happy'])[1 + i % 3]::mood AS mood, i % 2 = 0 AS flag, current_date AS day FROM range(300) t(i)`);
    await conn.run(`CREATE TABLE typed_cur AS SELECT (i % 5)::DECIMAL(10, 2) / 4 AS price, (i * 2)::BIGINT AS big,
      (['sad', 'happy', 'happy'])[1 + i % 3]::mood AS mood, i % 3 = 0 AS flag, current_date AS day FROM range(200) t(i)`);
    const features = await inferFeatureKinds(conn, tableRelation('typed_ref'));
    expect(features.map((f) => [f.name, f.kind])).toEqual([
      ['price', 'numeric'],
      ['big', 'numeric'],
      ['mood', 'categorical'],
      ['flag', 'categorical'],
    ]);
    const report = await drift('typed_ref', 'typed_cur', features);
    const byName = new Map(report.features.map((f) => [f.name, f]));
    expect((byName.get('price') as NumericFeatureDrift).metrics.wasserstein).toBeGreaterThan(0);
    expect((byName.get('mood') as CategoricalFeatureDrift).metrics.chi2.dof).toBe(2);
    expect((byName.get('flag') as CategoricalFeatureDrift).metrics.chi2.dof).toBe(1);
    expect(report.drifted).toContain('mood');

    const overridden = await inferFeatureKinds(conn, tableRelation('typed_ref'), {
      overrides: { big: 'categorical', day: 'categorical' },
      only: ['big', 'day'],
    });
    expect(overridden.map((f) => [f.name, f.kind])).toEqual([
      ['big', 'categorical'],
      ['day', 'categorical'],
    ]);
  });

  test('relations may be subqueries and qualified table names', async () => {
    const report = await computeDrift(conn, {
      reference: queryRelation(`SELECT amount FROM train WHERE items < 5`),
      current: tableRelation('main', 'train'),
      features: [{ name: 'amount', kind: 'numeric' }],
    });
    expect(report.features[0]?.n_ref).toBeLessThan(report.features[0]?.n_cur ?? 0);
    expect(quoteIdentifier('main')).toBe('"main"');
  });
});
