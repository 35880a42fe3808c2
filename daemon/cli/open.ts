import type { Command } from 'commander';
import { summarizeTrace, formatSummary } from '../report/summary';
import { TraceStore } from '../store/trace-store';
import { printJson, runCommand } from './output';

export function registerOpen(program: Command): void {
  program
    .command('open <trace>')
    .description("open a trace file read-only (safe for someone else's file) and summarise what it holds")
    .option('--json', 'print the summary as JSON')
    .action((trace: string, opts) => runCommand(async () => {
      const store = await TraceStore.open(trace, { readOnly: true });
      try {
        const summary = await summarizeTrace(store);
        if (opts.json) printJson(summary);
        else process.stdout.write(formatSummary(summary) + '\n');
      } finally {
        store.close();
      }
    }));
}
