import type { Command } from 'commander';
import { SightlineError, type RetentionResult } from '../../protocol';
import { forgetKeys } from '../sharing/retention';
import { formatRetention } from '../sharing/retention-format';
import { printJson, runCommand } from './output';
import { compacted } from './prune';
import { closeTrace, openTrace } from './trace-access';

export function registerForget(program: Command): void {
  program
    .command('forget <trace>')
    .description("erase a subject (GDPR-style): their predictions by join key, their labels, flags on them and findings whose examples mention them; the file is rewritten so nothing stays on disk")
    .option('--key <key...>', 'the subject\'s join key(s)', [])
    .option('--baseline-column <col>', 'also delete baseline rows whose column COL equals a key')
    .option('--no-compact', 'skip rewriting the file (deleted bytes may stay in freed blocks)')
    .option('--dry-run', 'count what would be deleted, delete nothing', false)
    .option('--json', 'print the result as JSON (schema: `sightline schema RetentionResult`)')
    .action((trace: string, opts) => runCommand(async () => {
      const keys = (opts.key as string[]).filter((k) => k.length > 0);
      if (keys.length === 0) throw new SightlineError('invalid_request', 'give the subject\'s join key(s): --key K [K …]');
      const req = { keys, ...(opts.baselineColumn ? { baseline_column: String(opts.baselineColumn) } : {}), dry_run: Boolean(opts.dryRun) };
      const access = await openTrace(trace, { write: true });
      let result: RetentionResult;
      try {
        result = access.kind === 'daemon' ? await access.client.request<RetentionResult>('POST', '/v1/forget', req) : await forgetKeys(access.store, req);
      } finally {
        closeTrace(access);
      }
      if (access.kind === 'file' && opts.compact !== false && !result.dry_run) result = await compacted(trace, result);
      if (opts.json) printJson(result);
      else process.stdout.write(formatRetention(result) + '\n');
    }));
}
