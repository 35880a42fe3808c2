/**
 * A trace file as the first daemon release wrote it — trace schema version 0 here: `baselines`
 * had no `table_name` (rows were not copied into the trace) and there were no lineage tables.
 * Written with that release's DDL, filled with 500 predictions of three features, their labels,
 * a model, a baseline registration, findings and a replay run.
 */
import { DuckDBInstance } from '@duckdb/node-api';

export const V0_DDL = [
  `CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR)`,
  `CREATE TABLE models (id VARCHAR PRIMARY KEY, name VARCHAR NOT NULL, version VARCHAR NOT NULL, path VARCHAR, inputs JSON, outputs JSON, card JSON, training_run_id VARCHAR, first_seen TIMESTAMPTZ DEFAULT now())`,
  `CREATE TABLE feature_columns (feature VARCHAR NOT NULL, kind VARCHAR NOT NULL, column_name VARCHAR NOT NULL UNIQUE, PRIMARY KEY (feature, kind))`,
  `CREATE TABLE predictions (id UUID NOT NULL, time TIMESTAMPTZ NOT NULL, model_id VARCHAR NOT NULL, model_name VARCHAR NOT NULL, model_version VARCHAR NOT NULL,
     request_id VARCHAR, join_key VARCHAR, source VARCHAR NOT NULL, execution_provider VARCHAR, latency_ms FLOAT, score DOUBLE, label_pred VARCHAR, outputs JSON, raw JSON)`,
  `CREATE TABLE labels (prediction_id UUID, join_key VARCHAR, value DOUBLE, value_text VARCHAR, time TIMESTAMPTZ NOT NULL, source VARCHAR)`,
  `CREATE TABLE baselines (name VARCHAR PRIMARY KEY, source VARCHAR, rows BIGINT, created TIMESTAMPTZ DEFAULT now(), profile JSON)`,
  `CREATE TABLE runs (id VARCHAR PRIMARY KEY, kind VARCHAR NOT NULL, started TIMESTAMPTZ, ended TIMESTAMPTZ, status VARCHAR, settings JSON, results JSON, gates JSON)`,
  `CREATE TABLE findings (id VARCHAR PRIMARY KEY, time TIMESTAMPTZ DEFAULT now(), kind VARCHAR NOT NULL, feature VARCHAR, model_name VARCHAR, score DOUBLE, threshold DOUBLE, metric VARCHAR, baseline VARCHAR, window_desc VARCHAR, details JSON)`,
];

const DATA = [
  `INSERT INTO meta VALUES ('schema_version', '0'), ('created', '2025-01-15T10:00:00Z')`,
  `INSERT INTO models (id, name, version, path, inputs, outputs, card) VALUES ('${'a'.repeat(64)}', 'flights-delay', 'v0', '/models/v0.onnx', '[]', '[]', '{"name":"flights-delay","version":"v0","features":[]}')`,
  `INSERT INTO feature_columns VALUES ('dep_hour', 'numeric', 'f_1'), ('origin', 'categorical', 'f_2'), ('fare_class', 'attribute', 'a_3')`,
  `ALTER TABLE predictions ADD COLUMN f_1 DOUBLE`,
  `ALTER TABLE predictions ADD COLUMN f_2 VARCHAR`,
  `ALTER TABLE predictions ADD COLUMN a_3 VARCHAR`,
  `INSERT INTO predictions SELECT uuid(), TIMESTAMPTZ '2001-04-01 00:00:00+00' + INTERVAL (i * 37) MINUTE, '${'a'.repeat(64)}', 'flights-delay', 'v0', 'req-' || (i // 10), 'F' || (1000 + i),
     'served', 'cpu', 1.5, (i % 100) / 100.0, CASE WHEN i % 3 = 0 THEN '1' ELSE '0' END, '{"probability":0.5}', NULL,
     i % 24, ['ORD', 'ATL', 'LAX', 'DFW'][1 + i % 4], ['economy', 'business'][1 + i % 2] FROM range(500) r(i)`,
  `INSERT INTO labels SELECT NULL, 'F' || (1000 + i), (i % 3 = 0)::INT, NULL, TIMESTAMPTZ '2001-07-01 00:00:00+00', 'ops' FROM range(500) r(i)`,
  `INSERT INTO baselines (name, source, rows, profile) VALUES ('train-v0', 'train.parquet', 1000, '{"row_count":1000,"features":[]}')`,
  `INSERT INTO findings (id, kind, feature, model_name, score, threshold, metric, baseline, window_desc, details) VALUES ('f1', 'drift', 'dep_hour', 'flights-delay', 0.31, 0.2, 'psi', 'train-v0', 'all models', '{"histogram":{"edges":[6,12,18]}}')`,
  `INSERT INTO runs (id, kind, status, results) VALUES ('replay-0', 'replay', 'done', '{"passed":true}')`,
];

export async function writeV0Trace(file: string): Promise<void> {
  const db = await DuckDBInstance.create(file);
  const c = await db.connect();
  try {
    for (const sql of [...V0_DDL, ...DATA]) await c.run(sql);
    await c.run('CHECKPOINT');
  } finally {
    c.closeSync();
    db.closeSync();
  }
}

/**
 * A fingerprint of every row of the data tables, to show a migration changed no data (over the
 * v0 columns: later additive columns, NULL in old rows, may appear on a writable open).
 */
export const DATA_FINGERPRINT = `SELECT
  (SELECT md5(string_agg(concat_ws(',', id, time, model_id, model_name, model_version, request_id, join_key, source, execution_provider, latency_ms, score, label_pred, outputs, raw, f_1, f_2, a_3), '|' ORDER BY id)) FROM predictions) AS predictions,
  (SELECT md5(string_agg(l::VARCHAR, '|' ORDER BY join_key)) FROM labels l) AS labels,
  (SELECT md5(string_agg(m::VARCHAR, '|' ORDER BY id)) FROM models m) AS models,
  (SELECT md5(string_agg(f::VARCHAR, '|' ORDER BY feature)) FROM feature_columns f) AS feature_columns,
  (SELECT md5(string_agg(x::VARCHAR, '|' ORDER BY id)) FROM findings x) AS findings,
  (SELECT md5(string_agg(r::VARCHAR, '|' ORDER BY id)) FROM runs r) AS runs,
  (SELECT string_agg(name || ':' || source || ':' || rows, '|' ORDER BY name) FROM baselines) AS baselines`;
