import type { Command } from 'commander';
import { migrateFile } from '../sharing/migrate-file';
import { printJson, runCommand } from './output';

export function registerMigrate(program: Command): void {
  program
    .command('migrate <trace>')
    .description('upgrade an older trace file to this Sightline\'s schema version, in one transaction (keeps FILE.v<N>.bak)')
    .option('--no-backup', 'do not keep a copy of the file before upgrading')
    .option('--dry-run', 'list the steps, change nothing', false)
    .option('--json', 'print the result as JSON (schema: `sightline schema MigrateResult`)')
    .action((trace: string, opts) => runCommand(async () => {
      const r = await migrateFile(trace, { backup: opts.backup !== false, dryRun: Boolean(opts.dryRun) });
      if (opts.json) return printJson(r);
      if (r.steps.length === 0) return void process.stdout.write(`${trace} is at trace schema version ${r.to}: nothing to do\n`);
      const lines = [`${trace}: trace schema v${r.from} → v${r.to}${r.migrated ? '' : ' (dry run: nothing changed)'}`];
      for (const s of r.steps) lines.push(`  v${s.from} → v${s.to}: ${s.description}`);
      if (r.backup) lines.push(`  backup: ${r.backup}`);
      process.stdout.write(lines.join('\n') + '\n');
    }));
}
