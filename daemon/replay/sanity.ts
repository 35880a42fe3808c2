/**
 * Label sanity, checked before any metric is trusted (metrics on half-arrived labels lie):
 * coverage (labelled share of the scored rows) and, for classification, the positive rate
 * against a reference — the `--baseline-positive-rate` given, else the label column of the
 * workspace's training baseline (sightline.json `baseline.path`), else the previous run of the
 * same kind on the same traffic in this trace.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { EvaluationTask, LabelSanity } from '../../protocol';
import { readRow, readRows, toNullableNumber, toNumber } from '../analysis/rows';
import { doubleLiteral } from '../analysis/sql';
import { fileRelation } from '../io/tabular';
import { ident, literal } from '../store/sql';
import { ROWS_VIEW } from './analysis';

export interface Reference {
  rate: number;
  source: string;
}

export async function referencePositiveRate(
  conn: DuckDBConnection,
  opts: { given?: number | undefined; baselineFile?: string | null; baselineName?: string | undefined; label?: string | undefined; positive: number; kind: string; traffic: string },
): Promise<Reference | null> {
  if (opts.given !== undefined) return { rate: opts.given, source: 'given (--baseline-positive-rate)' };
  if (opts.baselineFile && opts.label && existsSync(opts.baselineFile)) {
    try {
      const rel = fileRelation(opts.baselineFile);
      const cols = await readRows(conn, `DESCRIBE SELECT * FROM ${rel} AS b`);
      if (cols.some((c) => String(c.column_name) === opts.label)) {
        const row = await readRow(conn, `SELECT count(v) AS n, count(*) FILTER (WHERE v = ${doubleLiteral(opts.positive)}) AS pos FROM (SELECT TRY_CAST(${ident(opts.label)} AS DOUBLE) AS v FROM ${rel} AS b)`);
        const n = toNumber(row.n);
        if (n > 0) return { rate: toNumber(row.pos) / n, source: `training baseline ${opts.baselineName ?? path.basename(opts.baselineFile)} (${n} rows)` };
      }
    } catch {
      /* an unreadable baseline is not this run's failure: fall through */
    }
  }
  try {
    const prev = await readRows(conn, `SELECT id, results->'label_sanity'->>'positive_rate' AS rate FROM runs
      WHERE kind = ${literal(opts.kind)} AND status IN ('ok', 'failed') AND results->'traffic'->>'source' = ${literal(opts.traffic)}
      ORDER BY started DESC LIMIT 1`);
    const r = prev[0];
    const rate = r ? toNullableNumber(r.rate === null || r.rate === undefined ? null : Number(r.rate)) : null;
    if (r && rate !== null && Number.isFinite(rate)) return { rate, source: `previous run ${String(r.id)}` };
  } catch {
    /* no runs table readable */
  }
  return null;
}

export async function labelSanity(
  conn: DuckDBConnection,
  opts: { task: EvaluationTask; positive: number; reference: Reference | null; minCoverage: number; maxRateRatio: number; labelColumn: string | null },
): Promise<LabelSanity> {
  const row = await readRow(conn, `SELECT count(*) AS n, count(__label) AS labelled, count(*) FILTER (WHERE __label = ${doubleLiteral(opts.positive)}) AS pos FROM ${ROWS_VIEW}`);
  const rows = toNumber(row.n);
  const labelled = toNumber(row.labelled);
  const coverage = rows > 0 ? labelled / rows : 0;
  const classification = opts.task === 'binary_classification';
  const rate = classification && labelled > 0 ? toNumber(row.pos) / labelled : null;
  const warnings: string[] = [];
  if (labelled === 0) warnings.push(opts.labelColumn ? `no row has a label (${opts.labelColumn}): no metric can be computed` : 'no labels: give --label COL (or --labels FILE --key COL); metrics need labels');
  else if (coverage < opts.minCoverage) warnings.push(`only ${pct(coverage)} of the rows have a label (${labelled} of ${rows}; expected ≥ ${pct(opts.minCoverage)}): labels may still be arriving, and metrics on them may be biased`);
  const ref = opts.reference;
  if (classification && rate !== null && ref) {
    const ratio = ref.rate > 0 ? rate / ref.rate : rate > 0 ? Infinity : 1;
    if (ratio > opts.maxRateRatio || ratio < 1 / opts.maxRateRatio) {
      warnings.push(`the positive rate of the labels is ${pct(rate)} against ${pct(ref.rate)} in the reference (${ref.source}): off by more than ×${opts.maxRateRatio}; labels may be incomplete (positives or negatives arriving late) or mislabelled`);
    }
  }
  return {
    rows,
    labelled,
    coverage,
    positive_rate: rate,
    baseline_positive_rate: classification && ref ? ref.rate : null,
    baseline_source: classification && ref ? ref.source : null,
    ok: warnings.length === 0,
    warnings,
  };
}

function pct(x: number): string {
  return `${(100 * x).toFixed(1)} %`;
}
