import type { Command } from 'commander';
import { statSync } from 'node:fs';
import type { RetentionResult } from '../../protocol';
import { compactTraceFile } from '../sharing/compact';
import { pruneTrace } from '../sharing/retention';
import { formatRetention } from '../sharing/retention-format';
import { printJson, runCommand } from './output';
import { closeTrace, openTrace } from './trace-access';

export function registerPrune(program: Command): void {
  program
    .command('prune <trace>')
    .description('retention: delete predictions and labels older than a cutoff, and findings whose window lies entirely before it (through the daemon when it holds the file)')
    .option('--older-than <duration>', 'cutoff relative to now: 30d, 12h, 2w')
    .option('--before <time>', 'cutoff as an ISO date/time')
    .option('--compact', 'rewrite the file afterwards so deleted rows leave the disk and it shrinks (not through a daemon)', false)
    .option('--dry-run', 'count what would be deleted, delete nothing', false)
    .option('--json', 'print the result as JSON (schema: `sightline schema RetentionResult`)')
    .action((trace: string, opts) => runCommand(async () => {
      const req = { ...(opts.olderThan ? { older_than: String(opts.olderThan) } : {}), ...(opts.before ? { before: String(opts.before) } : {}), dry_run: Boolean(opts.dryRun) };
      const access = await openTrace(trace, { write: true });
      let result: RetentionResult;
      try {
        result = access.kind === 'daemon' ? await access.client.request<RetentionResult>('POST', '/v1/prune', req) : await pruneTrace(access.store, req);
      } finally {
        closeTrace(access);
      }
      if (access.kind === 'file' && opts.compact && !result.dry_run) result = await compacted(trace, result);
      if (opts.json) printJson(result);
      else process.stdout.write(formatRetention(result) + '\n');
    }));
}

/** Rewrites the file after a deletion and reports its new size. */
export async function compacted(trace: string, result: RetentionResult): Promise<RetentionResult> {
  await compactTraceFile(trace);
  return { ...result, compacted: true, bytes_after: statSync(trace).size };
}
