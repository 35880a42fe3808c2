import { DuckDBInstance } from '@duckdb/node-api';
import type { Command } from 'commander';
import { checkQuality, inferFeatureKinds, inferSchema } from '../analysis';
import { QualityReport as QualityReportSchema, SightlineError, type QualityReport } from '../../protocol';
import { replaceFindings } from '../findings/findings-store';
import { qualityOnTrace, type QualityRunResult } from '../findings/quality-run';
import { describe, fileRelation } from '../io/tabular';
import { table } from './models';
import { printJson, runCommand } from './output';
import { closeTrace, openTrace } from './trace-access';
import { windowOptions } from './window-options';

export function registerQuality(program: Command): void {
  const cmd = program
    .command('quality')
    .description('data-quality violations of current data against the schema of reference data (types, ranges, categories, missing rates, cardinality, volume, constant columns)')
    .option('--db <trace>', 'a trace file: current = its logged predictions')
    .option('--baseline <name>', 'with --db: the named baseline whose profile is the schema, or `previous` / `week-ago` (a schema inferred from that window, chosen as for drift)')
    .option('--reference <file>', 'plain files: reference data')
    .option('--current <file>', 'plain files: current data')
    .option('--categorical <cols>', 'columns to treat as categorical', '')
    .option('--expected-rows <n>', 'expected row count (the volume check); default with --baseline previous|week-ago: the reference window\'s row count, else no volume check')
    .option('--save', 'with --db: store violations as findings', false)
    .option('--json', 'print as JSON (schema: `sightline schema QualityReport`)');
  windowOptions(cmd).action((opts) => runCommand(async () => {
    const expectedRows = opts.expectedRows !== undefined ? Number(opts.expectedRows) : undefined;
    if (expectedRows !== undefined && !(Number.isInteger(expectedRows) && expectedRows > 0)) throw new SightlineError('invalid_request', `--expected-rows must be a positive whole number, got ${JSON.stringify(opts.expectedRows)}`);
    let report: QualityReport;
    if (opts.reference || opts.current) {
      if (!opts.reference || !opts.current) throw new SightlineError('invalid_request', 'give both --reference FILE and --current FILE');
      report = await qualityOnFiles(opts.reference, opts.current, String(opts.categorical).split(',').filter(Boolean), expectedRows);
    } else {
      if (!opts.db || !opts.baseline) throw new SightlineError('invalid_request', 'give --db TRACE --baseline NAME, or --reference FILE --current FILE');
      const window = { ...(opts.model ? { model: opts.model } : {}), ...(opts.since ? { since: opts.since } : {}), ...(opts.until ? { until: opts.until } : {}), ...(opts.last ? { last: Number(opts.last) } : {}), ...(opts.source ? { source: opts.source } : {}) };
      const access = await openTrace(opts.db, { write: Boolean(opts.save) });
      try {
        const req = { baseline: String(opts.baseline), window, ...(expectedRows ? { expectedRows } : {}), save: Boolean(opts.save) };
        let result: QualityRunResult;
        if (access.kind === 'daemon') result = await access.client.request('POST', '/v1/quality', req);
        else {
          result = await qualityOnTrace(access.store, req);
          if (req.save) await replaceFindings(access.store, { kind: 'quality', model_name: result.modelName, baseline: result.baseline }, result.findings);
        }
        report = result.report;
      } finally {
        closeTrace(access);
      }
    }
    if (opts.json) return printJson(report);
    if (report.violations.length === 0) return void process.stdout.write('no data-quality violations\n');
    table(['FEATURE', 'CHECK', 'SEVERITY', 'OBSERVED', 'EXPECTED'], report.violations.map((v) => [v.feature ?? '(table)', v.check, v.severity, JSON.stringify(v.observed), JSON.stringify(v.expected)]));
  }));
}

export async function qualityOnFiles(reference: string, current: string, categorical: string[], expectedRows?: number): Promise<QualityReport> {
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  try {
    const ref = fileRelation(reference);
    const cur = fileRelation(current);
    await describe(conn, ref, reference);
    await describe(conn, cur, current);
    const overrides = Object.fromEntries(categorical.map((c) => [c, 'categorical' as const]));
    const kinds = await inferFeatureKinds(conn, ref, { overrides });
    const schema = await inferSchema(conn, ref, kinds.map((k) => ({ name: k.name, kind: k.kind })));
    return QualityReportSchema.parse(await checkQuality(conn, schema, cur, expectedRows ? { expectedRows } : {}));
  } finally {
    conn.closeSync();
    db.closeSync();
  }
}
