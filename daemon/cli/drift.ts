import { DuckDBInstance } from '@duckdb/node-api';
import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { computeDrift, inferFeatureKinds } from '../analysis';
import { DriftReport as DriftReportSchema, SightlineError, type DriftReport } from '../../protocol';
import type { DriftRunResult } from '../findings/drift-run';
import { replaceFindings } from '../findings/findings-store';
import { driftOnTrace } from '../findings/drift-run';
import { describe, fileRelation } from '../io/tabular';
import { table } from './models';
import { printJson, runCommand } from './output';
import { closeTrace, openTrace } from './trace-access';
import { windowOptions, type WindowOpts } from './window-options';

export function registerDrift(program: Command): void {
  const cmd = program
    .command('drift')
    .description('drift of current data against reference data, per feature (KS, Wasserstein, PSI, JS; L∞, JS, PSI, χ² for categories)')
    .option('--db <trace>', 'a trace file: current = its logged predictions (see --model/--since/--until/--last)')
    .option(
      '--baseline <name>',
      'with --db: a named baseline, `previous` or `week-ago`. previous: with --last N the N predictions before the newest N, with --since/--until ' +
        'the window of the same length before; week-ago: with --last N the time span of those N predictions 7 days earlier, with --since/--until ' +
        'both moved 7 days back (either needs --last or --since and --until). Against a named baseline the prediction is compared when the ' +
        'baseline has a column named as the model\'s output (outputs.probability or outputs.value) and the label when it has the label column; ' +
        'otherwise the JSON lists them under "skipped" with the reason',
    )
    .option('--reference <file>', 'plain files: reference data (CSV, Parquet, JSONL)')
    .option('--current <file>', 'plain files: current data')
    .option('--categorical <cols>', 'columns to treat as categorical whatever their type', '')
    .option('--features <cols>', 'only these features')
    .option('--thresholds <file>', 'JSON {feature: {wasserstein_norm?, psi?, js?}} overriding the default thresholds')
    .option('--save', 'with --db: store drifted features as findings (shown in the editor)', false)
    .option('--json', 'print the report as JSON (schema: `sightline schema DriftReport`)');
  windowOptions(cmd).action((opts) => runCommand(async () => {
    const thresholds = opts.thresholds ? parseThresholds(opts.thresholds) : undefined;
    const only = opts.features ? String(opts.features).split(',').filter(Boolean) : undefined;
    let report: DriftReport;
    let note = '';
    if (opts.reference || opts.current) {
      if (!opts.reference || !opts.current) throw new SightlineError('invalid_request', 'give both --reference FILE and --current FILE');
      if (opts.db) throw new SightlineError('invalid_request', 'give either --db TRACE or --reference/--current files, not both');
      report = await driftOnFiles(opts.reference, opts.current, String(opts.categorical).split(',').filter(Boolean), only, thresholds);
    } else {
      if (!opts.db || !opts.baseline) throw new SightlineError('invalid_request', 'give --db TRACE --baseline NAME, or --reference FILE --current FILE');
      const req = { baseline: String(opts.baseline), window: windowFrom(opts), ...(only ? { features: only } : {}), ...(thresholds ? { thresholds } : {}), save: Boolean(opts.save) };
      const access = await openTrace(opts.db, { write: Boolean(opts.save) });
      try {
        let result: DriftRunResult;
        if (access.kind === 'daemon') result = await access.client.request('POST', '/v1/drift', req);
        else {
          result = await driftOnTrace(access.store, req);
          if (req.save) await replaceFindings(access.store, { kind: 'drift', model_name: result.modelName, baseline: result.baseline }, result.findings);
        }
        report = result.report;
        note = `baseline ${result.baseline}; window ${result.window}${req.save ? `; ${result.findings.length} finding(s) saved` : ''}`;
      } finally {
        closeTrace(access);
      }
    }
    if (opts.json) return printJson(report);
    if (note) process.stdout.write(`${note}\n`);
    printDrift(report);
  }));
}

export async function driftOnFiles(reference: string, current: string, categorical: string[], only: string[] | undefined, thresholds?: Record<string, Record<string, number>>): Promise<DriftReport> {
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  // A second connection: two features' queries at once (computeDrift's lanes).
  const lane = await db.connect();
  try {
    const ref = fileRelation(reference);
    const cur = fileRelation(current);
    await describe(conn, ref, reference);
    const curCols = new Set((await describe(conn, cur, current)).map((c) => c.name));
    const overrides = Object.fromEntries(categorical.map((c) => [c, 'categorical' as const]));
    let features = (await inferFeatureKinds(conn, ref, { overrides })).filter((f) => curCols.has(f.name));
    if (only) {
      for (const f of only) if (!features.some((x) => x.name === f)) throw new SightlineError('invalid_request', `feature "${f}" is not a comparable column of both files`);
      features = features.filter((f) => only.includes(f.name));
    }
    if (features.length === 0) throw new SightlineError('invalid_request', 'the two files share no numeric or categorical column');
    const report = await computeDrift(conn, { reference: ref, current: cur, features: features.map((f) => ({ name: f.name, kind: f.kind, ...(thresholds?.[f.name] ? { thresholds: thresholds[f.name] } : {}) })) }, [lane]);
    return DriftReportSchema.parse(report);
  } finally {
    lane.closeSync();
    conn.closeSync();
    db.closeSync();
  }
}

function parseThresholds(file: string): Record<string, Record<string, number>> {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new SightlineError('bad_file', `--thresholds ${file}: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (!json || typeof json !== 'object') throw new SightlineError('bad_file', `--thresholds ${file} must be a JSON object`);
  return json as Record<string, Record<string, number>>;
}

function windowFrom(opts: WindowOpts) {
  return {
    ...(opts.model ? { model: String(opts.model) } : {}),
    ...(opts.since ? { since: String(opts.since) } : {}),
    ...(opts.until ? { until: String(opts.until) } : {}),
    ...(opts.last ? { last: Number(opts.last) } : {}),
    ...(opts.source ? { source: String(opts.source) } : {}),
  };
}

export function printDrift(report: DriftReport): void {
  const fmt = (x: number | null): string => (x === null ? '∞' : x < 0.001 && x > 0 ? x.toExponential(1) : x.toFixed(3));
  table(
    ['FEATURE', 'KIND', 'METHOD', 'SCORE', 'THRESHOLD', 'DRIFT', 'MISSING REF→CUR', 'N REF', 'N CUR'],
    report.features.map((f) => [f.name, f.kind, f.method, fmt(f.score), String(f.threshold), f.drift ? 'DRIFT' : '–', `${(f.missing_ref * 100).toFixed(1)}% → ${(f.missing_cur * 100).toFixed(1)}%`, String(f.n_ref), String(f.n_cur)]),
  );
  for (const s of report.skipped ?? []) process.stdout.write(`not compared: ${s.name}: ${s.reason}\n`);
  process.stdout.write(report.drifted.length ? `drifted: ${report.drifted.join(', ')}\n` : 'no drift\n');
}

