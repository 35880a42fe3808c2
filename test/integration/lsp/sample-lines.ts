import { readFileSync } from 'node:fs';
import path from 'node:path';
import { SAMPLE } from '../../helpers/daemon';

export const TRAINING = path.join(SAMPLE, 'features.py');
export const SERVING = path.join(SAMPLE, 'serving', 'features.ts');

/**
 * 0-based line and name column of a feature's function in the sample, found independently of the
 * server (by the literal `def name(` / `function name(`), so the tests survive edits of samples/.
 */
export function definitionAt(file: string, name: string): { line: number; character: number } {
  const needle = file.endsWith('.py') ? `def ${name}(` : `function ${name}(`;
  const lines = readFileSync(file, 'utf8').split('\n');
  const line = lines.findIndex((l) => l.includes(needle));
  if (line < 0) throw new Error(`${needle} not found in ${file}`);
  return { line, character: lines[line]!.indexOf(needle) + needle.indexOf(name) };
}
