import type { Command } from 'commander';
import { z } from 'zod';
import * as protocol from '../../protocol';
import { printJson, runCommand } from './output';

/** Every zod schema exported by protocol/, for clients in other languages. */
export function protocolJsonSchemas(): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(protocol)) {
    if (value instanceof z.ZodType) {
      try {
        out[name] = z.toJSONSchema(value, { unrepresentable: 'any', io: 'input' });
      } catch {
        /* schemas with transforms are not exportable; none of the wire ones have them */
      }
    }
  }
  return out;
}

export function registerSchema(program: Command): void {
  program
    .command('schema [name]')
    .description('print the JSON Schema of wire messages and --json outputs (all, or one by name)')
    .action((name: string | undefined) => runCommand(async () => {
      const all = protocolJsonSchemas();
      if (!name) return printJson(all);
      if (!(name in all)) throw new protocol.SightlineError('not_found', `no schema "${name}"; known: ${Object.keys(all).join(', ')}`);
      printJson(all[name]);
    }));
}
