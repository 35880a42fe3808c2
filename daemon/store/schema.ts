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
     raw JSON,                          -- the raw input record, when configured
     chaos VARCHAR                      -- faults \`serve --chaos\` injected into this row (e.g. flip;latency=50ms), else NULL
   )`,
  // Additive change (no version bump: a nullable column that readers which do not know it never
  // select): files created before `serve --chaos` existed gain the column on their next writable
  // open. Feature columns are appended after it; the writer looks columns up by name.
  `ALTER TABLE predictions ADD COLUMN IF NOT EXISTS chaos VARCHAR`,
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
     source VARCHAR,                    -- the file or query it was copied from
     table_name VARCHAR NOT NULL,       -- its rows, copied into this trace (analyses never rescan the source)
     rows BIGINT,
     created TIMESTAMPTZ DEFAULT now(),
     profile JSON                       -- the inferred data schema (kinds, ranges, categories, missing rates)
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
  // ── lineage (daemon/lineage/): components, their runs, the artifacts they read and wrote ──
  `CREATE TABLE IF NOT EXISTS components (
     name VARCHAR PRIMARY KEY,
     owner VARCHAR,
     tags JSON,
     description VARCHAR
   )`,
  `CREATE TABLE IF NOT EXISTS component_runs (
     id VARCHAR PRIMARY KEY,            -- client-chosen (SDKs send a UUID) so retries store it once
     component VARCHAR NOT NULL,
     "start" TIMESTAMPTZ NOT NULL,
     "end" TIMESTAMPTZ,
     status VARCHAR NOT NULL,           -- ok | failed
     git_commit VARCHAR,
     git_dirty BOOLEAN,
     code_file VARCHAR,
     code_line INTEGER,
     params JSON,
     metrics JSON,
     notes VARCHAR
   )`,
  `CREATE TABLE IF NOT EXISTS artifacts (
     id VARCHAR PRIMARY KEY,            -- derived from (name, uri, content_hash); random when no hash
     name VARCHAR NOT NULL,
     kind VARCHAR NOT NULL,             -- data | features | model | labels | report
     uri VARCHAR,
     content_hash VARCHAR,              -- sha256 hex of the content; equals the model id for .onnx files
     size BIGINT,
     created TIMESTAMPTZ NOT NULL       -- first known to exist (its producer's end, or its first reader's start)
   )`,
  `CREATE TABLE IF NOT EXISTS run_io (
     run_id VARCHAR NOT NULL,
     artifact_id VARCHAR NOT NULL,
     direction VARCHAR NOT NULL,        -- input | output
     PRIMARY KEY (run_id, artifact_id, direction)
   )`,
  `CREATE TABLE IF NOT EXISTS flags (
     target_kind VARCHAR NOT NULL,      -- prediction | artifact | run
     target_id VARCHAR NOT NULL,
     reason VARCHAR,
     time TIMESTAMPTZ NOT NULL,
     source VARCHAR
   )`,
];

export { TRACE_SCHEMA_VERSION };
