import type { Command } from 'commander';
import { diffFacts, formatDiff, readFacts } from '../sharing/diff';
import { openTraceOrFolder } from '../sharing/open-folder';
import { printJson, runCommand } from './output';

export function registerDiff(program: Command): void {
  program
    .command('diff <a> <b>')
    .description('compare two traces (files or Parquet export folders, both opened read-only): models by hash and name@version, prediction counts, findings, replay/eval metrics')
    .option('--json', 'print the comparison as JSON (schema: `sightline schema DiffReport`)')
    .action((a: string, b: string, opts) => runCommand(async () => {
      const sa = await openTraceOrFolder(a);
      try {
        const sb = await openTraceOrFolder(b);
        try {
          const report = diffFacts(await readFacts(sa, a), await readFacts(sb, b));
          if (opts.json) printJson(report);
          else process.stdout.write(formatDiff(report) + '\n');
        } finally {
          sb.close();
        }
      } finally {
        sa.close();
      }
    }));
}
