/**
 * inferSchema and checkQuality on real DuckDB tables: a baseline, and a current batch with one
 * planted problem per check; the violations must be exactly the planted ones.
 */
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { inferSchema } from '../../../daemon/analysis/profile.js';
import { checkQuality } from '../../../daemon/analysis/quality.js';
import { DataSchemaSchema, QualityReportSchema, type DataSchema } from '../../../daemon/analysis/quality-schema.js';
import { tableRelation } from '../../../daemon/analysis/sql.js';

const FEATURES = ['age', 'income', 'country', 'plan', 'device', 'score', 'segment'];

let instance: DuckDBInstance;
let conn: DuckDBConnection;
let schema: DataSchema;

beforeAll(async () => {
  instance = await DuckDBInstance.create(':memory:');
  conn = await instance.connect();
  await conn.run(`CREATE TABLE baseline AS SELECT
      (18 + i % 63)::INTEGER AS age,
      CASE WHEN i % 20 = 0 THEN NULL ELSE 1000 + i * 10 END::DOUBLE AS income,
      (['DE', 'FR', 'US'])[1 + i % 3] AS country,
      (['free', 'pro'])[1 + i % 2] AS plan,
      'd' || (i % 200) AS device,
      i / 999 AS score,
      'seg' || (i % 4) AS segment
    FROM range(1000) AS t(i)`);
  await conn.run(`CREATE TABLE batch AS SELECT
      CASE WHEN i % 10 = 0 THEN 150 ELSE 18 + i % 63 END::BIGINT AS age,
      CAST(1000 + i * 10 AS VARCHAR) AS income,
      CASE WHEN i % 100 < 3 THEN 'BR' ELSE (['DE', 'FR', 'US'])[1 + i % 3] END AS country,
      'free' AS plan,
      'x' || i AS device,
      CASE WHEN i % 10 < 3 THEN NULL WHEN i = 5 THEN 1.5 ELSE (i % 100) / 100 END AS score
    FROM range(500) AS t(i)`);
  schema = DataSchemaSchema.parse(await inferSchema(conn, tableRelation('baseline'), FEATURES));
});

afterAll(() => {
  conn.closeSync();
  instance.closeSync();
});

describe('inferSchema', () => {
  test('profiles each feature', () => {
    expect(schema.row_count).toBe(1000);
    expect(schema.category_limit).toBe(50);
    const byName = new Map(schema.features.map((f) => [f.name, f]));
    expect(byName.get('age')).toEqual({
      name: 'age',
      type: 'INTEGER',
      kind: 'numeric',
      missing_rate: 0,
      cardinality: 63,
      min: 18,
      max: 80,
      categories: null,
    });
    expect(byName.get('income')).toMatchObject({ type: 'DOUBLE', missing_rate: 0.05, min: 1010, max: 10990 });
    expect(byName.get('country')).toEqual({
      name: 'country',
      type: 'VARCHAR',
      kind: 'categorical',
      missing_rate: 0,
      cardinality: 3,
      min: null,
      max: null,
      categories: ['DE', 'FR', 'US'],
    });
    // Too many categories to list: cardinality only.
    expect(byName.get('device')).toMatchObject({ cardinality: 200, categories: null });
    expect(byName.get('score')).toMatchObject({ min: 0, max: 1, cardinality: 1000 });
  });

  test('kinds can be given; unknown columns and kindless types are refused', async () => {
    const coded = await inferSchema(conn, tableRelation('baseline'), [{ name: 'age', kind: 'categorical' }]);
    expect(coded.features[0]).toMatchObject({ kind: 'categorical', cardinality: 63, categories: null });
    await expect(inferSchema(conn, tableRelation('baseline'), ['nope'])).rejects.toThrow(/no column/);
    await conn.run(`CREATE TABLE dated AS SELECT current_date AS day`);
    await expect(inferSchema(conn, tableRelation('dated'), ['day'])).rejects.toThrow(/kind/);
  });
});

describe('checkQuality', () => {
  test('the baseline against itself is clean', async () => {
    const report = await checkQuality(conn, schema, tableRelation('baseline'), { expectedRows: 1000 });
    expect(report).toEqual({ violations: [] });
  });

  test('finds exactly the planted problems, errors first', async () => {
    const report = QualityReportSchema.parse(
      await checkQuality(conn, schema, tableRelation('batch'), { expectedRows: 1000 }),
    );
    expect(report.violations).toEqual([
      { feature: 'age', check: 'out_of_range', severity: 'error', observed: { share: 0.1, min: 18, max: 150 }, expected: { min: 18, max: 80 } },
      { feature: 'income', check: 'type_change', severity: 'error', observed: 'VARCHAR', expected: 'DOUBLE' },
      { feature: 'score', check: 'missing_rate_jump', severity: 'error', observed: 0.3, expected: 0 },
      { feature: 'segment', check: 'missing_column', severity: 'error', observed: null, expected: 'VARCHAR' },
      { feature: null, check: 'volume_drop', severity: 'warning', observed: 500, expected: 1000 },
      { feature: 'country', check: 'unseen_categories', severity: 'warning', observed: { share: 0.03, examples: ['BR'] }, expected: ['DE', 'FR', 'US'] },
      { feature: 'plan', check: 'constant_column', severity: 'warning', observed: 'free', expected: 2 },
      { feature: 'device', check: 'cardinality_jump', severity: 'warning', observed: 500, expected: 200 },
      { feature: 'score', check: 'out_of_range', severity: 'info', observed: { share: 1 / 350, min: 0.03, max: 1.5 }, expected: { min: 0, max: 1 } },
    ]);
  });

  test('tolerances are configurable: a range margin and looser share thresholds', async () => {
    const report = await checkQuality(conn, schema, tableRelation('batch'), {
      rangeMargin: 0.5,
      outOfRange: { warning: 0.5, error: 0.9 },
      missingRateJump: { warning: 0.4, error: 0.6 },
    });
    const checks = report.violations.map((v) => `${v.feature}:${v.check}:${v.severity}`);
    // age: 150 is still outside [18 − 31, 80 + 31], but 10 % is now only an info; score's 1.5
    // is inside [−0.5, 1.5]; a 0.3 missing-rate jump is tolerated; no volume check.
    expect(checks).toEqual([
      'income:type_change:error',
      'segment:missing_column:error',
      'country:unseen_categories:warning',
      'plan:constant_column:warning',
      'device:cardinality_jump:warning',
      'age:out_of_range:info',
    ]);
  });

  test('category text with quotes is matched exactly, hostile column names are quoted', async () => {
    const name = `c"; DROP TABLE baseline; --`;
    await conn.run(`CREATE TABLE awkward_ref AS SELECT (['O''Reilly', 'say "hi"', ''])[1 + i % 3] AS "c""; DROP TABLE baseline; --" FROM range(30) t(i)`);
    await conn.run(`CREATE TABLE awkward_cur AS SELECT (['O''Reilly', '', 'new'])[1 + i % 3] AS "c""; DROP TABLE baseline; --" FROM range(30) t(i)`);
    const awkward = await inferSchema(conn, tableRelation('awkward_ref'), [name]);
    expect(awkward.features[0]?.categories).toEqual(['', "O'Reilly", 'say "hi"']);
    const report = await checkQuality(conn, awkward, tableRelation('awkward_cur'));
    expect(report.violations).toEqual([
      {
        feature: name,
        check: 'unseen_categories',
        severity: 'error',
        observed: { share: 1 / 3, examples: ['new'] },
        expected: ['', "O'Reilly", 'say "hi"'],
      },
    ]);
    const rows = await conn.runAndReadAll('SELECT count(*) AS n FROM baseline');
    expect(Number(rows.getRowObjectsJS()[0]?.n)).toBe(1000);
  });
});

describe('inferSchema options and name lookup', () => {
  test('categoryLimit bounds the listed categories', async () => {
    const narrow = await inferSchema(conn, tableRelation('baseline'), ['country', 'plan'], { categoryLimit: 2 });
    expect(narrow.category_limit).toBe(2);
    expect(narrow.features.map((f) => f.categories)).toEqual([null, ['free', 'pro']]);
  });

  test('column names resolve case-insensitively, as DuckDB does', async () => {
    await conn.run(`CREATE TABLE shouting AS SELECT "plan" AS "PLAN" FROM baseline`);
    const planOnly = await inferSchema(conn, tableRelation('baseline'), ['plan']);
    expect(await checkQuality(conn, planOnly, tableRelation('shouting'))).toEqual({ violations: [] });
  });
});
