import type { Command } from 'commander';
import { summarizeTrace, formatSummary } from '../report/summary';
import { onDiskBytes, openTraceOrFolder } from '../sharing/open-folder';
import { printJson, runCommand } from './output';

export function registerOpen(program: Command): void {
  program
    .command('open <trace>')
    .description("open a trace file read-only (safe for someone else's file), or a Parquet export folder, and summarise what it holds")
    .option('--json', 'print the summary as JSON')
    .action((trace: string, opts) => runCommand(async () => {
      // A file opens read-only with external access and extension loading off; a folder is read
      // into memory and then locked the same way (daemon/sharing/open-folder.ts).
      const store = await openTraceOrFolder(trace);
      try {
        const summary = { ...(await summarizeTrace(store)), path: trace, bytes: onDiskBytes(trace) };
        if (opts.json) printJson(summary);
        else process.stdout.write(formatSummary(summary) + '\n');
      } finally {
        store.close();
      }
    }));
}
