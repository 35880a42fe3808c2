import type { Command } from 'commander';
import { FlagTargetKind, SightlineError } from '../../protocol';
import { withLineage } from './lineage-access';
import { printJson, runCommand } from './output';

export function registerFlag(program: Command): void {
  program
    .command('flag <ids...>')
    .description('mark predictions (or runs, artifacts) as wrong; `sightline review` ranks what flagged outputs have in common')
    .option('--reason <text>', 'why it is wrong')
    .option('--kind <kind>', 'what the ids are: prediction | run | artifact', 'prediction')
    .option('--source <name>', 'who flagged it', 'cli')
    .option('--trace <file>', 'a trace file: through the daemon that holds it, else written in-process (default: the running daemon)')
    .option('--json', 'print the result as JSON (schema: FlagResponse)')
    .action((ids: string[], opts) => runCommand(async () => {
      const kind = FlagTargetKind.safeParse(opts.kind);
      if (!kind.success) throw new SightlineError('invalid_request', `--kind must be prediction, run or artifact, got ${opts.kind}`);
      const res = await withLineage(opts.trace, { write: true }, (api) => api.flag({
        target_kind: kind.data, ids, source: String(opts.source), ...(opts.reason ? { reason: String(opts.reason) } : {}),
      }));
      if (opts.json) return printJson(res);
      process.stdout.write(`flagged ${res.flagged} ${res.target_kind}${res.flagged === 1 ? '' : 's'}\n`);
    }));
}
