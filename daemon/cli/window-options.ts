import type { Command } from 'commander';

export interface WindowOpts {
  model?: string;
  since?: string;
  until?: string;
  last?: string;
  source?: string;
}

/** The options that choose which logged predictions an analysis reads. */
export function windowOptions(cmd: Command): Command {
  return cmd
    .option('--model <ref>', 'only this model (name or name@version)')
    .option('--since <time>', 'predictions at or after this ISO date/time')
    .option('--until <time>', 'predictions before this ISO date/time')
    .option('--last <n>', 'only the newest N predictions')
    .option('--source <name>', 'served (default), shadow, imported, replay:<run>, or any');
}
