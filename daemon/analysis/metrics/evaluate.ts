/**
 * Evaluation metrics of scored, labelled rows, overall and per slice, in one DuckDB query.
 *
 * The relation is read once: each row is stacked once per group it belongs to — group 0 is
 * every row, group i the rows matching slice i's predicates (slices may overlap) — in one scan
 * (`stackedSql`), or the caller hands over rows already stacked (`grouped`); every metric of
 * every group comes from grouped aggregates and window sums over distinct scores
 * (classification.ts, regression.ts). JavaScript loops over groups only.
 *
 * Rows: the score is TRY_CAST(score AS DOUBLE) and must be finite; the label is
 * TRY_CAST(label AS DOUBLE) (booleans read as 1/0); rows missing either are left out of every
 * metric (`rows` still counts them). Classification: a label is positive when it equals
 * `positive` (default 1), every other value is negative; a row is predicted positive when its
 * score ≥ `threshold` (default 0.5).
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import type { EvaluationReport, EvaluationTask, MetricSet, SliceCondition } from '../../../protocol';
import { readRows, toNumber, type Row } from '../rows.js';
import { doubleLiteral, quoteIdentifier } from '../sql.js';
import type { FeatureKind } from '../verdict.js';
import { conjunctionSql } from '../slices/predicates.js';
import { classificationFromRow, classificationSql } from './classification.js';
import { regressionFromRow, regressionSql } from './regression.js';

export interface EvaluationRequest {
  /** Trusted SQL that may stand after FROM (a quoted table, a parenthesised SELECT, read_parquet(…)). */
  relation: string;
  /** Column names (any text; quoted). */
  score: string;
  label: string;
  task?: EvaluationTask;
  threshold?: number;
  positive?: number;
  /** Per-slice metrics: each entry a conjunction of predicates. */
  slices?: SliceCondition[][];
  /** Kinds of the attributes the slices use (needed only for `is_null` on numeric attributes). */
  kinds?: ReadonlyMap<string, FeatureKind>;
  /**
   * The relation is already stacked (`stackedSql`): this column holds each row's group (0 = every
   * row, i = slice i); `slices` then only names the groups and their predicates are not applied.
   */
  grouped?: string;
}

export const METRIC_NAMES: Record<EvaluationTask, string[]> = {
  binary_classification: ['accuracy', 'precision', 'recall', 'f1', 'roc_auc', 'pr_auc', 'log_loss', 'brier', 'ece', 'bias'],
  regression: ['mae', 'rmse', 'bias'],
};

export const INTERVAL_METHODS: Record<string, string> = {
  accuracy: 'Wilson score',
  precision: 'Wilson score',
  recall: 'Wilson score',
  f1: 'delta method (normal)',
  roc_auc: 'DeLong',
  pr_auc: 'logit (Boyd et al. 2013)',
  log_loss: 'normal (mean ± z·s/√n)',
  brier: 'normal (mean ± z·s/√n)',
  ece: 'none',
  mae: 'normal (mean ± z·s/√n)',
  rmse: '√ of the normal interval of the MSE',
  bias: 'normal (mean ± z·s/√n)',
};

export async function evaluate(conn: DuckDBConnection, req: EvaluationRequest): Promise<EvaluationReport> {
  const task = req.task ?? 'binary_classification';
  const threshold = req.threshold ?? 0.5;
  const slices = req.slices ?? [];
  const rows = await readRows(conn, evaluationSql(req));
  const byGroup = new Map<number, Row>(rows.map((r) => [toNumber(r.g), r]));
  let inputRows = rows.length > 0 ? toNumber(rows[0]!.input_rows) : null;
  if (inputRows === null) inputRows = toNumber((await readRows(conn, `SELECT count(*) AS n FROM ${req.relation} AS evaluated_rows`))[0]!.n);
  const set = (g: number): MetricSet => metricSet(task, byGroup.get(g));
  return {
    task,
    threshold: task === 'binary_classification' ? threshold : null,
    rows: inputRows,
    overall: set(0),
    slices: slices.map((predicates, i) => ({ predicates, metrics: set(i + 1) })),
    confidence: 0.95,
    intervals: Object.fromEntries(METRIC_NAMES[task].map((name) => [name, INTERVAL_METHODS[name] ?? 'none'])),
  };
}

/** The one query behind `evaluate` (exported for tests and EXPLAIN). */
export function evaluationSql(req: EvaluationRequest): string {
  const task = req.task ?? 'binary_classification';
  const score = `TRY_CAST(${quoteIdentifier(req.score)} AS DOUBLE)`;
  const label = `TRY_CAST(${quoteIdentifier(req.label)} AS DOUBLE)`;
  const y = task === 'binary_classification' ? `CASE WHEN __y = ${doubleLiteral(req.positive ?? 1)} THEN 1.0 ELSE 0.0 END` : '__y';
  const stacked = req.grouped
    ? `SELECT ${quoteIdentifier(req.grouped)} AS g, __p, __y FROM input`
    : stackedSql('input', req.slices ?? [], ['__p', '__y'], req.kinds);
  const ctes = [
    `input AS (SELECT *, CASE WHEN isfinite(${score}) THEN ${score} END AS __p, ${label} AS __y FROM ${req.relation} AS evaluated_rows)`,
    `stacked AS MATERIALIZED (${stacked})`,
    `scored AS (SELECT g, __p AS p, ${y} AS y FROM stacked WHERE __p IS NOT NULL AND __y IS NOT NULL)`,
  ];
  const extra = { ctes, columns: ['(SELECT count(*) FROM stacked WHERE g = 0) AS input_rows'] };
  return task === 'binary_classification' ? classificationSql('scored', req.threshold ?? 0.5, extra) : regressionSql('scored', extra);
}

/**
 * SQL: each row of `relation` once per group it belongs to, as (g, …columns): group 0 (every
 * row) and group i when the row matches `slices[i − 1]`. One scan: the row's groups are the list
 * [0, CASE WHEN slice₁ THEN 1 END, …, CASE WHEN slice_k THEN k END] less its NULLs, unnested
 * (a predicate that is NULL on the row leaves it out, as in WHERE).
 */
export function stackedSql(relation: string, slices: readonly SliceCondition[][], columns: readonly string[], kinds?: ReadonlyMap<string, FeatureKind>): string {
  const cols = columns.map((c) => `, ${quoteIdentifier(c)}`).join('');
  if (slices.length === 0) return `SELECT 0 AS g${cols} FROM ${relation} AS stacked_rows`;
  const members = slices.map((predicates, i) => `CASE WHEN ${conjunctionSql(predicates, kinds)} THEN ${i + 1} END`);
  return `SELECT unnest(list_filter([0, ${members.join(', ')}], x -> x IS NOT NULL)) AS g${cols} FROM ${relation} AS stacked_rows`;
}

/** A group's metrics; a group without rows gets n = 0 and null metrics. */
function metricSet(task: EvaluationTask, row: Row | undefined): MetricSet {
  const empty = { n: 0n, n1: 0n, pp: 0n, tp: 0n };
  if (task === 'regression') {
    const { n, metrics } = regressionFromRow(row ?? empty);
    return { task, n, metrics };
  }
  const { counts, metrics } = classificationFromRow(row ?? empty);
  return { task, n: counts.n, positives: counts.positives, predicted_positives: counts.predicted_positives, metrics };
}
