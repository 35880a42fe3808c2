import { DuckDBInstance } from '@duckdb/node-api';
import type { Command } from 'commander';
import { inferFeatureKinds } from '../analysis';
import { describeSlice, findSlices, SLICE_DEFAULTS, type SliceAttributeSpec } from '../analysis/slices';
import { readRow, toNullableNumber } from '../analysis/rows';
import { quoteIdentifier } from '../analysis/sql';
import { SightlineError, SliceLoss, SliceReport, SlicesRequest, type SlicesResult } from '../../protocol';
import { replaceFindings } from '../findings/findings-store';
import { SLICE_BASELINE, slicesOnTrace } from '../findings/slice-run';
import { describe, fileRelation } from '../io/tabular';
import { table } from './models';
import { printJson, runCommand } from './output';
import { closeTrace, openTrace } from './trace-access';
import { windowOptions, type WindowOpts } from './window-options';

/**
 * `sightline slices`: failing slices of a trace's logged predictions (`--db`) or of a file with
 * prediction and label columns (`--data`). JSON: `SliceReport` (`sightline schema SliceReport`).
 */
export function registerSlices(program: Command): void {
  const cmd = program
    .command('slices')
    .description('failing slices: conjunctions of attribute values whose loss is significantly worse than the rest (Welch t-test, Benjamini–Hochberg)')
    .option('--db <trace>', 'a trace file: its logged predictions with their labels (see --model/--since/--until/--last)')
    .option('--data <file>', 'a file (CSV, Parquet, JSONL) with a prediction column, a label column and attributes')
    .option('--prediction <col>', 'with --data: the prediction column (score / probability / value)')
    .option('--label <col>', 'with --data: the label column (leave out for a no-labels analysis)')
    .option('--attributes <cols>', 'slice attributes (default: the model card\'s slice_attributes; with --data every other numeric or text column)')
    .option('--categorical <cols>', 'with --data: attributes to treat as categorical whatever their type', '')
    .option('--loss <name>', `per-row loss: ${SliceLoss.options.join(' | ')} (default: zero_one for classification, abs_error for regression; score_shift without labels)`)
    .option('--no-labels', 'judge slices without labels (shift of predictions, or --loss low_confidence)')
    .option('--threshold <p>', 'decision threshold of the score (default: the model card\'s, else 0.5)')
    .option('--degree <n>', 'predicates per slice at most', String(SLICE_DEFAULTS.degree))
    .option('--min-support <n>', 'rows a slice needs at least', String(SLICE_DEFAULTS.minSupport))
    .option('--min-fraction <share>', 'share of rows a slice needs at least', String(SLICE_DEFAULTS.minFraction))
    .option('--alpha <q>', 'false-discovery rate of Benjamini–Hochberg', String(SLICE_DEFAULTS.alpha))
    .option('--top <n>', 'at most this many slices', String(SLICE_DEFAULTS.top))
    .option('--save', 'with --db: store the slices as findings of kind slice (shown in the editor)', false)
    .option('--json', 'print the report as JSON (schema: `sightline schema SliceReport`)');
  windowOptions(cmd).action((opts) => runCommand(async () => {
    const attributes = opts.attributes ? String(opts.attributes).split(',').map((s) => s.trim()).filter(Boolean) : undefined;
    const parsed = SlicesRequest.safeParse({
      window: windowFrom(opts),
      ...(attributes ? { attributes } : {}),
      ...(opts.loss ? { loss: String(opts.loss) } : {}),
      no_labels: opts.labels === false,
      degree: int(opts.degree, '--degree'),
      min_support: int(opts.minSupport, '--min-support'),
      min_fraction: num(opts.minFraction, '--min-fraction'),
      alpha: num(opts.alpha, '--alpha'),
      top: int(opts.top, '--top'),
      ...(opts.threshold !== undefined ? { threshold: num(opts.threshold, '--threshold') } : {}),
      save: Boolean(opts.save),
    });
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new SightlineError('invalid_request', `${issue?.path.join('.') || 'options'}: ${issue?.message ?? 'invalid'}`);
    }
    const req = parsed.data;
    let report: SliceReport;
    let note = '';
    if (opts.data) {
      if (opts.db) throw new SightlineError('invalid_request', 'give either --db TRACE or --data FILE, not both');
      if (req.save) throw new SightlineError('invalid_request', '--save needs --db TRACE (findings live in a trace)');
      if (!opts.prediction) throw new SightlineError('invalid_request', '--data needs --prediction COL (and --label COL unless --no-labels)');
      report = await slicesOnFile(String(opts.data), {
        prediction: String(opts.prediction),
        label: opts.label && opts.labels !== false ? String(opts.label) : null,
        categorical: String(opts.categorical).split(',').map((s) => s.trim()).filter(Boolean),
        attributes,
        req,
      });
    } else {
      if (!opts.db) throw new SightlineError('invalid_request', 'give --db TRACE, or --data FILE --prediction COL --label COL');
      const access = await openTrace(String(opts.db), { write: req.save });
      try {
        let result: SlicesResult;
        if (access.kind === 'daemon') result = await access.client.request<SlicesResult>('POST', '/v1/slices', req);
        else {
          const run = await slicesOnTrace(access.store, req);
          let saved: number | null = null;
          if (req.save) saved = (await replaceFindings(access.store, { kind: 'slice', model_name: run.modelName, baseline: SLICE_BASELINE }, run.findings)).length;
          result = { report: run.report, window: run.window, model_name: run.modelName, saved };
        }
        report = result.report;
        note = `window ${result.window}${result.saved !== null ? `; ${result.saved} finding(s) saved` : ''}`;
      } finally {
        closeTrace(access);
      }
    }
    if (opts.json) return printJson(SliceReport.parse(report));
    if (note) process.stdout.write(`${note}\n`);
    printSlices(report);
  }));
}

export interface FileSliceOptions {
  prediction: string;
  label: string | null;
  categorical: string[];
  attributes: string[] | undefined;
  req: SlicesRequest;
}

/**
 * Slices of a plain file. Attribute kinds come from the column types (`--categorical`
 * overrides); without --loss the task is binary classification when every label is 0 or 1 and
 * every prediction lies in [0, 1], else regression.
 */
export async function slicesOnFile(file: string, o: FileSliceOptions): Promise<SliceReport> {
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  try {
    const relation = fileRelation(file);
    const columns = new Set((await describe(conn, relation, file)).map((c) => c.name));
    for (const [flag, col] of [['--prediction', o.prediction], ['--label', o.label]] as const) {
      if (col !== null && !columns.has(col)) throw new SightlineError('invalid_request', `${flag} ${col}: no such column in ${file} (columns: ${[...columns].join(', ')})`);
    }
    const reserved = new Set([o.prediction, ...(o.label ? [o.label] : [])]);
    for (const a of o.attributes ?? []) {
      if (!columns.has(a)) throw new SightlineError('invalid_request', `--attributes: no column "${a}" in ${file}`);
      if (reserved.has(a)) throw new SightlineError('invalid_request', `--attributes: "${a}" is the prediction or label column`);
    }
    const overrides = Object.fromEntries(o.categorical.map((c) => [c, 'categorical' as const]));
    const inferred = await inferFeatureKinds(conn, relation, { overrides, ...(o.attributes ? { only: o.attributes } : {}) });
    const attributes: SliceAttributeSpec[] = inferred.filter((f) => !reserved.has(f.name)).map((f) => ({ name: f.name, kind: f.kind }));
    if (o.attributes) {
      const missing = o.attributes.filter((a) => !attributes.some((x) => x.name === a));
      if (missing.length) throw new SightlineError('invalid_request', `--attributes: ${missing.join(', ')} is neither numeric nor text (use --categorical)`);
    }
    if (attributes.length === 0) throw new SightlineError('invalid_request', `${file} has no numeric or text column besides the prediction and the label: nothing to slice by`);
    const task = o.req.loss ? (o.req.loss === 'abs_error' ? 'regression' : 'binary_classification') : await inferTask(conn, relation, o.prediction, o.label);
    try {
      return await findSlices(conn, {
        relation,
        score: o.prediction,
        label: o.label,
        attributes,
        task,
        threshold: o.req.threshold ?? 0.5,
        noLabels: o.req.no_labels || o.label === null,
        degree: o.req.degree,
        minSupport: o.req.min_support,
        minFraction: o.req.min_fraction,
        alpha: o.req.alpha,
        top: o.req.top,
        ...(o.req.loss ? { loss: o.req.loss } : {}),
      });
    } catch (err) {
      if (err instanceof SightlineError) throw err;
      throw new SightlineError('invalid_request', err instanceof Error ? err.message : String(err));
    }
  } finally {
    conn.closeSync();
    db.closeSync();
  }
}

async function inferTask(conn: Awaited<ReturnType<DuckDBInstance['connect']>>, relation: string, prediction: string, label: string | null): Promise<'binary_classification' | 'regression'> {
  const p = `TRY_CAST(${quoteIdentifier(prediction)} AS DOUBLE)`;
  const y = label ? `TRY_CAST(${quoteIdentifier(label)} AS DOUBLE)` : 'NULL::DOUBLE';
  const row = await readRow(conn, `SELECT min(${p}) AS p_min, max(${p}) AS p_max, count(${y}) FILTER (WHERE ${y} NOT IN (0, 1)) AS non_binary FROM ${relation} AS rows_to_check`);
  const pMin = toNullableNumber(row.p_min);
  const pMax = toNullableNumber(row.p_max);
  const binary = Number(row.non_binary) === 0 && (pMin === null || pMin >= 0) && (pMax === null || pMax <= 1);
  return binary ? 'binary_classification' : 'regression';
}

export function printSlices(report: SliceReport): void {
  const f = (x: number): string => (Math.abs(x) >= 100 ? x.toFixed(0) : x.toFixed(3));
  const p = (x: number): string => (x < 0.001 ? x.toExponential(1) : x.toFixed(3));
  process.stdout.write(`${report.n} rows, loss ${report.loss}${report.labels ? '' : ' (no labels)'}, overall ${report.metric_overall === null ? '–' : f(report.metric_overall)}; ${report.candidates} candidates tested (≥ ${report.min_rows} rows, degree ≤ ${report.degree}), ${report.significant} significant at FDR ${report.alpha}${report.note ? `; ${report.note}` : ''}\n`);
  if (report.slices.length === 0) return void process.stdout.write('no failing slice\n');
  table(
    ['SLICE', 'N', report.loss.toUpperCase(), '95% CI', 'REST', 'EFFECT', 'P ADJ'],
    report.slices.map((s) => [describeSlice(s.predicates), String(s.n), f(s.metric), `[${f(s.ci[0])}, ${f(s.ci[1])}]`, f(s.metric_rest), s.effect_size === null ? '∞' : f(s.effect_size), p(s.p_adjusted)]),
  );
}

function windowFrom(opts: WindowOpts) {
  return {
    ...(opts.model ? { model: String(opts.model) } : {}),
    ...(opts.since ? { since: String(opts.since) } : {}),
    ...(opts.until ? { until: String(opts.until) } : {}),
    ...(opts.last ? { last: int(opts.last, '--last') } : {}),
    ...(opts.source ? { source: String(opts.source) } : {}),
  };
}

function num(value: unknown, flag: string): number {
  const x = Number(value);
  if (value === undefined || value === '' || !Number.isFinite(x)) throw new SightlineError('invalid_request', `${flag} needs a number, got ${JSON.stringify(value)}`);
  return x;
}

function int(value: unknown, flag: string): number {
  const x = num(value, flag);
  if (!Number.isInteger(x)) throw new SightlineError('invalid_request', `${flag} needs a whole number, got ${JSON.stringify(value)}`);
  return x;
}
