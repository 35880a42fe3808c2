import type { Command } from 'commander';
import { requireDaemon } from './connect';
import { printJson, runCommand } from './output';

export function registerModels(program: Command): void {
  program
    .command('models')
    .description('list the models the running daemon serves, with the execution provider that actually runs each')
    .option('--json', 'print as JSON (schema: ModelsResponse)')
    .action((opts) => runCommand(async () => {
      const { client } = await requireDaemon();
      const res = await client.models();
      if (opts.json) return printJson(res);
      if (res.models.length === 0) return void process.stdout.write('no models loaded\n');
      const rows = res.models.map((m) => [
        `${m.name}@${m.version}${m.is_default ? ' *' : ''}${m.shadow_of ? ` (shadow of ${m.shadow_of})` : ''}`,
        m.id.slice(0, 12),
        m.execution_provider + (m.requested_provider !== m.execution_provider ? ` (asked ${m.requested_provider})` : ''),
        String(m.card.features.length),
        String(m.predictions ?? 0),
      ]);
      table(['MODEL', 'HASH', 'PROVIDER', 'FEATURES', 'PREDICTIONS'], rows);
      for (const m of res.models) if (m.fallback_reason) process.stdout.write(`  ${m.name}@${m.version}: ${m.fallback_reason}\n`);
    }));
}

export function table(header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  process.stdout.write([line(header), ...rows.map(line)].join('\n') + '\n');
}
