import { TRACE_SCHEMA_VERSION } from '../../protocol';

/**
 * The trace-file schema. Feature values are stored columnar: each feature gets its own typed
 * column in `predictions` (`f_<n>` DOUBLE for numeric, VARCHAR for categorical), added when a
 * model that uses it is first seen, so per-feature scans (drift, skew) read one column only.
 * `feature_columns` maps (feature name, kind) → column, because names may be anything.
 */
export const SCHEMA_V1: string[] = [
  `CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR)`,
  `CREATE TABLE IF NOT EXISTS models (
     id VARCHAR PRIMARY KEY,            -- sha256 of the .onnx file
     name VARCHAR NOT NULL,
     version VARCHAR NOT NULL,
     path VARCHAR,
     inputs JSON,
     outputs JSON,
     card JSON,
     training_run_id VARCHAR,
     first_seen TIMESTAMPTZ DEFAULT now()
   )`,
  `CREATE TABLE IF NOT EXISTS feature_columns (
     feature VARCHAR NOT NULL,
     kind VARCHAR NOT NULL,             -- numeric | categorical | attribute
     column_name VARCHAR NOT NULL UNIQUE,
     PRIMARY KEY (feature, kind)
   )`,
  `CREATE TABLE IF NOT EXISTS predictions (
     id UUID NOT NULL,
     time TIMESTAMPTZ NOT NULL,
     model_id VARCHAR NOT NULL,
     model_name VARCHAR NOT NULL,
     model_version VARCHAR NOT NULL,
     request_id VARCHAR,
     join_key VARCHAR,
     source VARCHAR NOT NULL,           -- served | shadow | imported | replay:<run>
     execution_provider VARCHAR,
     latency_ms FLOAT,
     score DOUBLE,                      -- the primary scalar output (probability / value)
     label_pred VARCHAR,                -- the predicted class, when the model outputs one
     outputs JSON,                      -- every output of this row
     raw JSON                           -- the raw input record, when configured
   )`,
  `CREATE TABLE IF NOT EXISTS labels (
     prediction_id UUID,
     join_key VARCHAR,
     value DOUBLE,
     value_text VARCHAR,
     time TIMESTAMPTZ NOT NULL,
     source VARCHAR
   )`,
  `CREATE TABLE IF NOT EXISTS baselines (
     name VARCHAR PRIMARY KEY,
     source VARCHAR,
     rows BIGINT,
     created TIMESTAMPTZ DEFAULT now(),
     profile JSON
   )`,
  `CREATE TABLE IF NOT EXISTS runs (
     id VARCHAR PRIMARY KEY,
     kind VARCHAR NOT NULL,             -- replay | eval | compare
     started TIMESTAMPTZ,
     ended TIMESTAMPTZ,
     status VARCHAR,
     settings JSON,
     results JSON,
     gates JSON
   )`,
  `CREATE TABLE IF NOT EXISTS findings (
     id VARCHAR PRIMARY KEY,
     time TIMESTAMPTZ DEFAULT now(),
     kind VARCHAR NOT NULL,             -- drift | skew | quality | slice
     feature VARCHAR,
     model_name VARCHAR,
     score DOUBLE,
     threshold DOUBLE,
     metric VARCHAR,
     baseline VARCHAR,
     window_desc VARCHAR,
     details JSON
   )`,
];

export { TRACE_SCHEMA_VERSION };
