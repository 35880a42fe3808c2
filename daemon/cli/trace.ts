import type { Command } from 'commander';
import { SightlineError, type TraceQuery } from '../../protocol';
import { formatTrace } from '../lineage/tree';
import { withLineage } from './lineage-access';
import { printJson, runCommand } from './output';

export function registerTrace(program: Command): void {
  program
    .command('trace <target>')
    .description('where a prediction, model, run or artifact came from: model → training run (commit, params) → upstream runs → raw data, with content hashes and staleness')
    .option('--trace <file>', 'a trace file: through the daemon that holds it, else opened read-only in-process (default: the running daemon)')
    .option('--as <kind>', 'how to read <target>: prediction | run | artifact (default: guess from its shape)')
    .option('--max-age-days <n>', 'a run is stale when an input was older than this when it ran', '30')
    .option('--json', 'print the graph as JSON (schema: `sightline schema TraceResult`)')
    .action((target: string, opts) => runCommand(async () => {
      const maxAge = Number(opts.maxAgeDays);
      if (!(maxAge > 0)) throw new SightlineError('invalid_request', `--max-age-days must be a positive number, got ${opts.maxAgeDays}`);
      const as = opts.as === undefined ? 'target' : String(opts.as);
      if (!['target', 'prediction', 'run', 'artifact'].includes(as)) throw new SightlineError('invalid_request', `--as must be prediction, run or artifact, got ${as}`);
      const query: TraceQuery = { [as]: target, max_age_days: maxAge };
      const result = await withLineage(opts.trace, { write: false }, (api) => api.trace(query));
      if (opts.json) return printJson(result);
      process.stdout.write(formatTrace(result) + '\n');
    }));
}
