/**
 * The rows of a run, in one temporary DuckDB table `sl_input` of the run's connection:
 *
 *   __row BIGINT      the row's position (stable: insertion order of the source, or time order of a trace)
 *   <feature> …       every model input, typed for the tensor (VARCHAR for string inputs, else DOUBLE)
 *   <attribute> …     slice attributes that are not features, as read
 *   __label DOUBLE    the true label (NULL when none arrived)
 *   __key VARCHAR     the join key (flight_id), when known
 *   __time TIMESTAMPTZ the original time (trace traffic), else NULL
 *   __source_id VARCHAR the logged prediction replayed (trace traffic), else NULL
 *   __ok BOOLEAN      every feature has a usable value (rows without are counted and left out)
 *
 * Sources: a data file holding the features as columns; a data file of raw records piped through
 * a transform command (JSON lines in, feature JSON lines out, like skew's replay); or a trace's
 * logged predictions (features from their columns, labels from the labels table).
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SightlineError, type AnalysisWindow, type FeatureKind, type RunTransform } from '../../protocol';
import { describeRelation, kindOfSqlType } from '../analysis/feature-kind';
import { readRow, readRows, toNumber } from '../analysis/rows';
import { rawLinesFromRelationSql } from '../analysis/skew/replay-sql';
import { fileRelation, formatOf } from '../io/tabular';
import { DEFAULT_TRANSFORM_TIMEOUT_S, runTransform } from '../findings/skew-run';
import type { LoadedModel } from '../runtime/registry';
import { ident, literal } from '../store/sql';

export const INPUT_TABLE = 'sl_input';

export interface InputColumn {
  name: string;
  /** How the tensor wants it. */
  sqlType: 'DOUBLE' | 'VARCHAR';
  /** For slices and drift. */
  kind: FeatureKind;
}

export interface InputSpec {
  source: { kind: 'file'; path: string } | { kind: 'trace'; path: string; catalog: string | null; window: AnalysisWindow };
  transform?: RunTransform | undefined;
  /** Used when the data lacks model features and no transform was given (sightline.json `transform`). */
  defaultTransform?: RunTransform | undefined;
  /** Default working directory of the transform. */
  transformCwd?: string | undefined;
  label?: string | undefined;
  /** Label name to look for when `label` is not given (the card's). */
  defaultLabel?: string | undefined;
  labels?: { file: string; key: string; column?: string | undefined } | undefined;
  /** Labels to join when the data has no label column and none were given (sightline.json `labels` + `joinKey`). */
  defaultLabels?: { file: string; key: string } | undefined;
  key?: string | undefined;
  defaultKey?: string | undefined;
  limit?: number | undefined;
  /** Slice attributes asked for (features or other columns). */
  attributes: string[];
  /** True when the attributes were asked for explicitly (a missing one is then an error, else a warning). */
  attributesExplicit: boolean;
  models: LoadedModel[];
}

export interface PreparedInput {
  rows: number;
  scorable: number;
  features: InputColumn[];
  attributes: InputColumn[];
  labelColumn: string | null;
  keyColumn: string | null;
  description: string;
  window: string | null;
  transform: { command: string; rows_in: number; rows_out: number; seconds: number } | null;
  warnings: string[];
  cleanup: () => void;
}

/** Creates `sl_input` on `conn` (a connection of the run's own; the table is temporary). */
export async function prepareInput(conn: DuckDBConnection, specIn: InputSpec): Promise<PreparedInput> {
  let spec = specIn;
  const warnings: string[] = [];
  const features = featureColumns(spec.models);
  let dir: string | null = null;
  const cleanup = (): void => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = null;
  };
  try {
    let relation: string;
    let description: string;
    let window: string | null = null;
    let transform: PreparedInput['transform'] = null;
    let traceColumns: { label: string; key: string; time: string; id: string } | null = null;
    if (spec.source.kind === 'file') {
      const file = spec.source.path;
      formatOf(file);
      relation = fileRelation(file);
      description = file;
      if (spec.transform) {
        dir = mkdtempSync(path.join(os.tmpdir(), 'sightline-run-'));
        const lines = `${rawLinesFromRelationSql(relation)}${spec.limit ? ` LIMIT ${spec.limit}` : ''}`;
        const run = await runTransform(conn, lines, spec.transform.command, {
          dir, cwd: spec.transform.cwd ?? spec.transformCwd, timeoutMs: 1000 * (spec.transform.timeout_s ?? DEFAULT_TRANSFORM_TIMEOUT_S),
        });
        relation = `read_json(${literal(run.file)}, format = 'newline_delimited', sample_size = -1)`;
        let rowsOut: number;
        try {
          rowsOut = toNumber((await readRow(conn, `SELECT count(*) AS n FROM ${relation} AS transformed`)).n);
        } catch (err) {
          throw new SightlineError('bad_value', `the output of \`${spec.transform.command}\` is not JSON lines of objects: ${firstLine(err)}`);
        }
        if (rowsOut === 0) throw new SightlineError('bad_value', `\`${spec.transform.command}\` printed no records for ${run.rowsIn} raw record(s)`);
        transform = { command: spec.transform.command, rows_in: run.rowsIn, rows_out: rowsOut, seconds: run.seconds };
        description = `${file} | ${spec.transform.command}`;
        if (rowsOut !== run.rowsIn) warnings.push(`the transform printed ${rowsOut} records for ${run.rowsIn} raw records`);
      }
    } else {
      const built = await traceRelation(conn, spec.source.catalog, features, spec.attributes, spec.source.window, spec.models);
      relation = built.relation;
      description = spec.source.path;
      window = built.window;
      traceColumns = { label: '__label', key: '__key', time: '__time', id: '__source_id' };
    }

    // 1. The source rows in a fixed order (a temp table keeps insertion order; its rowid numbers them).
    await conn.run(`CREATE OR REPLACE TEMP TABLE sl_source AS SELECT * FROM ${relation} AS source_rows${spec.limit && !transform ? ` LIMIT ${spec.limit}` : ''}`);
    const columns = await describeRelation(conn, 'sl_source');
    const names = new Set(columns.map((c) => c.name));
    const missing = features.filter((f) => !names.has(f.name));
    if (missing.length > 0 && spec.source.kind === 'file' && !spec.transform && spec.defaultTransform) {
      cleanup();
      await conn.run('DROP TABLE IF EXISTS sl_source');
      const again = await prepareInput(conn, { ...spec, transform: spec.defaultTransform, defaultTransform: undefined });
      again.warnings.unshift(`the data has no model features: raw records went through the workspace's transform \`${spec.defaultTransform.command}\` (sightline.json "transform")`);
      return again;
    }
    if (missing.length > 0) {
      const hint = spec.source.kind === 'trace'
        ? 'the trace holds no logged values for them (were the predictions logged by another model?)'
        : spec.transform ? `the transform must print every model feature` : 'give the model features as columns, or raw records with --transform CMD';
      throw new SightlineError('invalid_request', `${description} has no column ${missing.map((m) => `"${m.name}"`).join(', ')} (${missing.length === 1 ? 'a feature' : 'features'} of ${spec.models.map((m) => m.ref).join(' / ')}); columns: ${[...names].slice(0, 40).join(', ')}; ${hint}`);
    }

    // 2. Label, key, attributes.
    let labelExpr = 'NULL::DOUBLE';
    let labelColumn: string | null = null;
    let keyExpr = 'NULL::VARCHAR';
    let keyColumn: string | null = null;
    if (traceColumns) {
      labelExpr = `s.${ident(traceColumns.label)}`;
      labelColumn = 'labels table';
      keyExpr = `s.${ident(traceColumns.key)}`;
      keyColumn = 'join_key';
    } else {
      const key = spec.key ?? (spec.defaultKey && names.has(spec.defaultKey) ? spec.defaultKey : undefined);
      if (key !== undefined) {
        if (!names.has(key)) throw new SightlineError('invalid_request', `--key ${key}: no such column in ${description}`);
        keyExpr = `CAST(s.${ident(key)} AS VARCHAR)`;
        keyColumn = key;
      }
      if (!spec.labels) {
        const label = spec.label ?? (spec.defaultLabel && names.has(spec.defaultLabel) ? spec.defaultLabel : undefined);
        if (label !== undefined) {
          if (!names.has(label)) throw new SightlineError('invalid_request', `--label ${label}: no such column in ${description} (columns: ${[...names].slice(0, 40).join(', ')})`);
          labelExpr = `TRY_CAST(s.${ident(label)} AS DOUBLE)`;
          labelColumn = label;
        }
      }
    }
    let join = '';
    const fallback = spec.defaultLabels;
    if (!spec.labels && labelColumn === null && !traceColumns && spec.label === undefined && fallback && names.has(fallback.key)) {
      spec = { ...spec, labels: fallback };
      warnings.push(`labels from the workspace's ${path.basename(fallback.file)}, joined on ${fallback.key} (sightline.json "labels"/"joinKey")`);
    }
    if (spec.labels) {
      const lrel = fileRelation(spec.labels.file);
      const lcols = new Set((await describeRelation(conn, lrel)).map((c) => c.name));
      const lkey = spec.labels.key;
      const lcol = spec.labels.column ?? spec.label ?? spec.defaultLabel;
      if (!lcols.has(lkey)) throw new SightlineError('invalid_request', `--labels ${spec.labels.file}: no key column "${lkey}" (columns: ${[...lcols].join(', ')})`);
      if (!lcol || !lcols.has(lcol)) throw new SightlineError('invalid_request', `--labels ${spec.labels.file}: no label column${lcol ? ` "${lcol}"` : ''} (give --label COL; columns: ${[...lcols].join(', ')})`);
      const rowKey = traceColumns ? `s.${ident(traceColumns.key)}` : names.has(lkey) ? `CAST(s.${ident(lkey)} AS VARCHAR)` : keyColumn ? keyExpr : null;
      if (!rowKey) throw new SightlineError('invalid_request', `--labels: the traffic has no "${lkey}" column to join on (give --key COL)`);
      join = `LEFT JOIN (SELECT CAST(${ident(lkey)} AS VARCHAR) AS k, any_value(TRY_CAST(${ident(lcol)} AS DOUBLE)) AS v FROM ${lrel} AS label_rows GROUP BY 1) AS joined_labels ON joined_labels.k = ${rowKey}`;
      labelExpr = traceColumns ? `coalesce(joined_labels.v, ${labelExpr})` : 'joined_labels.v';
      labelColumn = `${path.basename(spec.labels.file)}:${lcol}`;
      if (!keyColumn) {
        keyExpr = rowKey;
        keyColumn = lkey;
      }
    }
    const featureNames = new Set(features.map((f) => f.name));
    const attributes: InputColumn[] = [];
    for (const a of spec.attributes) {
      const f = features.find((x) => x.name === a);
      if (f) {
        attributes.push({ ...f, kind: kindOfFeature(spec.models, a) ?? f.kind });
        continue;
      }
      const col = columns.find((c) => c.name === a);
      const kind = col ? kindOfSqlType(col.type) : undefined;
      if (!col || !kind) {
        const why = !col ? `not a column of ${description}` : `of type ${col.type}, neither numeric nor text`;
        if (spec.attributesExplicit) throw new SightlineError('invalid_request', `slice attribute "${a}" is ${why}`);
        warnings.push(`slice attribute "${a}" is ${why}; left out`);
        continue;
      }
      attributes.push({ name: a, kind, sqlType: kind === 'numeric' ? 'DOUBLE' : 'VARCHAR' });
    }

    // 3. The typed input table.
    const select: string[] = ['s.rowid AS __row'];
    for (const f of features) select.push(`${valueSql(`s.${ident(f.name)}`, f.sqlType)} AS ${ident(f.name)}`);
    for (const a of attributes) if (!featureNames.has(a.name)) select.push(`${valueSql(`s.${ident(a.name)}`, a.sqlType)} AS ${ident(a.name)}`);
    select.push(`${labelExpr} AS __label`, `${keyExpr} AS __key`);
    select.push(traceColumns ? `s.__time AS __time` : 'NULL::TIMESTAMPTZ AS __time');
    select.push(traceColumns ? `s.__source_id AS __source_id` : 'NULL::VARCHAR AS __source_id');
    // __ok in the same statement (an ALTER TABLE + UPDATE pass over every row cost more than the copy).
    const ok = features.map((f) => `${ident(f.name)} IS NOT NULL${integerCheck(spec.models, f.name)}`).join(' AND ') || 'true';
    await conn.run(`CREATE OR REPLACE TEMP TABLE ${INPUT_TABLE} AS SELECT *, coalesce(${ok}, false) AS __ok FROM (SELECT ${select.join(', ')} FROM sl_source AS s ${join}) AS typed ORDER BY __row`);
    await conn.run('DROP TABLE IF EXISTS sl_source');
    const counts = await readRow(conn, `SELECT count(*) AS n, count(*) FILTER (WHERE __ok) AS ok FROM ${INPUT_TABLE}`);
    const rows = toNumber(counts.n);
    const scorable = toNumber(counts.ok);
    if (rows === 0) throw new SightlineError('invalid_request', `${description} holds no rows${window ? ` in the window ${window}` : ''}`);
    if (scorable === 0) throw new SightlineError('invalid_request', `none of the ${rows} rows of ${description} has a usable value for every feature`);
    if (scorable < rows) warnings.push(`${rows - scorable} of ${rows} rows lack a usable value for some feature (missing, not a number, or not an integer for an integer input) and were left out`);
    return { rows, scorable, features, attributes, labelColumn, keyColumn, description, window, transform, warnings, cleanup };
  } catch (err) {
    cleanup();
    throw err;
  }
}

/** The union of the models' inputs, typed for their tensors (string inputs as VARCHAR, others DOUBLE). */
export function featureColumns(models: LoadedModel[]): InputColumn[] {
  const out = new Map<string, InputColumn>();
  for (const m of models) {
    m.layout.features.forEach((f, i) => {
      const slot = m.layout.mode === 'packed' ? m.layout.slots[0]! : m.layout.slots[i]!;
      const sqlType = slot.type === 'string' ? 'VARCHAR' : 'DOUBLE';
      const prev = out.get(f.name);
      if (prev && prev.sqlType !== sqlType) {
        throw new SightlineError('unsupported', `feature "${f.name}" is ${prev.sqlType === 'VARCHAR' ? 'a string' : 'a number'} for one model and ${sqlType === 'VARCHAR' ? 'a string' : 'a number'} for another; the models cannot be replayed on the same rows`);
      }
      if (!prev) out.set(f.name, { name: f.name, sqlType, kind: f.kind });
    });
  }
  return [...out.values()];
}

function kindOfFeature(models: LoadedModel[], name: string): FeatureKind | undefined {
  for (const m of models) {
    const f = m.card.features.find((x) => x.name === name);
    if (f) return f.kind;
  }
  return undefined;
}

function valueSql(column: string, sqlType: 'DOUBLE' | 'VARCHAR'): string {
  if (sqlType === 'VARCHAR') return `CAST(${column} AS VARCHAR)`;
  const n = `TRY_CAST(${column} AS DOUBLE)`;
  return `CASE WHEN isfinite(${n}) THEN ${n} END`;
}

/** Integer inputs need whole numbers (the tensor cannot hold 2.5). */
function integerCheck(models: LoadedModel[], feature: string): string {
  for (const m of models) {
    const i = m.layout.features.findIndex((f) => f.name === feature);
    if (i < 0) continue;
    const slot = m.layout.mode === 'packed' ? m.layout.slots[0]! : m.layout.slots[i]!;
    if (slot.type === 'int32' || slot.type === 'int64' || slot.type === 'bool') return ` AND ${ident(feature)} = floor(${ident(feature)})`;
  }
  return '';
}

/**
 * Logged predictions of a trace as a relation: feature values from their generated columns,
 * the label (by prediction id, else join key), join key, time and id. `catalog` is the
 * attached traffic trace (null: the run's own trace).
 */
async function traceRelation(
  conn: DuckDBConnection,
  catalog: string | null,
  features: InputColumn[],
  attributes: string[],
  window: AnalysisWindow,
  models: LoadedModel[],
): Promise<{ relation: string; window: string }> {
  const q = (table: string): string => (catalog ? `${ident(catalog)}.${ident(table)}` : ident(table));
  const mapped = await readRows(conn, `SELECT feature, kind, column_name FROM ${q('feature_columns')}`);
  const columnOf = (name: string, kinds: string[]): string | undefined => {
    for (const k of kinds) {
      const r = mapped.find((m) => String(m.feature) === name && String(m.kind) === k);
      if (r) return String(r.column_name);
    }
    return undefined;
  };
  const select: string[] = [];
  const seen = new Set<string>();
  for (const f of features) {
    const col = columnOf(f.name, f.sqlType === 'VARCHAR' ? ['categorical', 'attribute', 'numeric'] : ['numeric', 'categorical', 'attribute']);
    select.push(col ? `p.${ident(col)} AS ${ident(f.name)}` : `NULL::${f.sqlType} AS ${ident(f.name)}`);
    seen.add(f.name);
  }
  for (const a of attributes) {
    if (seen.has(a)) continue;
    const col = columnOf(a, ['attribute', 'categorical', 'numeric']);
    if (col) select.push(`p.${ident(col)} AS ${ident(a)}`);
    seen.add(a);
  }
  const where: string[] = [];
  const model = window.model ?? models[models.length - 1]?.name;
  if (model) {
    const at = model.lastIndexOf('@');
    if (at > 0) where.push(`p.model_name = ${literal(model.slice(0, at))} AND p.model_version = ${literal(model.slice(at + 1))}`);
    else where.push(`p.model_name = ${literal(model)}`);
  }
  if (window.since) where.push(`p.time >= ${timestamp(window.since)}`);
  if (window.until) where.push(`p.time < ${timestamp(window.until)}`);
  const source = window.source ?? 'served';
  if (source !== 'any') where.push(`p.source = ${literal(source)}`);
  const parts = [window.since || window.until ? `${window.since ?? '…'}..${window.until ?? '…'}` : null, window.last ? `last ${window.last}` : null, model ?? 'all models', source !== 'served' ? `source ${source}` : null].filter(Boolean);
  const relation = `(SELECT * FROM (SELECT ${select.join(', ')},
      coalesce(l1.value, l2.value) AS __label, p.join_key AS __key, p.time AS __time, p.id::VARCHAR AS __source_id
    FROM ${q('predictions')} p
    LEFT JOIN (SELECT prediction_id, any_value(value) AS value FROM ${q('labels')} WHERE prediction_id IS NOT NULL GROUP BY 1) l1 ON l1.prediction_id = p.id
    LEFT JOIN (SELECT join_key, any_value(value) AS value FROM ${q('labels')} WHERE join_key IS NOT NULL GROUP BY 1) l2 ON l2.join_key = p.join_key
    WHERE ${where.length ? where.join(' AND ') : 'true'}
    ORDER BY p.time ${window.last ? 'DESC' : ''}, p.id ${window.last ? `DESC LIMIT ${Math.floor(window.last)}` : ''}) AS windowed ORDER BY __time, __source_id)`;
  return { relation, window: parts.join(', ') };
}

function timestamp(iso: string): string {
  const hasZone = /(Z|[+-]\d{2}:?\d{2})$/i.test(iso);
  const ms = Date.parse(hasZone ? iso : `${iso}${iso.length <= 10 ? 'T00:00:00' : ''}Z`);
  if (!Number.isFinite(ms)) throw new SightlineError('invalid_request', `${JSON.stringify(iso)} is not an ISO date or time`);
  return `${literal(new Date(ms).toISOString())}::TIMESTAMPTZ`;
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? '';
}
