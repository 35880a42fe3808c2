import path from 'node:path';
import type { Command } from 'commander';
import { SightlineError } from '../../protocol';
import { addBaseline, listBaselines, type BaselineInfo } from '../baselines/baseline-store';
import { closeTrace, openTrace } from './trace-access';
import { table } from './models';
import { printJson, runCommand } from './output';

export function registerBaseline(program: Command): void {
  const cmd = program.command('baseline').description('named reference data (usually the training feature table) stored in a trace');
  cmd
    .command('add <name> [file]')
    .description('copy FILE (CSV, Parquet, JSONL) or the rows of --query into the trace as baseline NAME and profile it once')
    .requiredOption('--trace <file>', 'trace file')
    .option('--query <sql>', 'instead of FILE: one SELECT run in DuckDB, e.g. "SELECT * FROM \'train.parquet\' WHERE month <= 2" (relative paths from the current folder)')
    .option('--categorical <cols>', 'comma-separated columns to treat as categorical', '')
    .option('--replace', 'overwrite an existing baseline of that name', false)
    .option('--json', 'print the baseline (with its profile) as JSON')
    .action((name: string, file: string | undefined, opts) => runCommand(async () => {
      const query = opts.query === undefined ? undefined : String(opts.query);
      if ((file === undefined) === (query === undefined)) {
        throw new SightlineError('invalid_request', file === undefined
          ? 'baseline add needs the rows: a FILE (CSV, Parquet, JSONL) or --query "SELECT …"'
          : `baseline add takes a FILE or --query, not both (got ${file} and a query)`);
      }
      const access = await openTrace(opts.trace, { write: true });
      try {
        const source = query !== undefined ? { query, cwd: process.cwd() } : { file: path.resolve(file!) };
        const req = { name, ...source, categorical: String(opts.categorical).split(',').filter(Boolean), replace: Boolean(opts.replace) };
        const info: BaselineInfo = access.kind === 'daemon' ? await access.client.request('POST', '/v1/baselines', req) : await addBaseline(access.store, req);
        if (opts.json) return printJson(info);
        process.stdout.write(`baseline ${info.name}: ${info.rows} rows, ${info.profile.features.length} columns profiled (${info.profile.features.map((f) => `${f.name}:${f.kind}`).join(', ')})\n`);
      } finally {
        closeTrace(access);
      }
    }));
  cmd
    .command('list')
    .description('the baselines stored in a trace')
    .requiredOption('--trace <file>', 'trace file')
    .option('--json', 'print as JSON')
    .action((opts) => runCommand(async () => {
      const access = await openTrace(opts.trace, { write: false });
      try {
        const list = access.kind === 'daemon' ? (await access.client.request<{ baselines: Awaited<ReturnType<typeof listBaselines>> }>('GET', '/v1/baselines')).baselines : await listBaselines(access.store);
        if (opts.json) return printJson({ baselines: list });
        table(['NAME', 'ROWS', 'CREATED', 'SOURCE'], list.map((b) => [b.name, String(b.rows), b.created, b.source]));
      } finally {
        closeTrace(access);
      }
    }));
}
