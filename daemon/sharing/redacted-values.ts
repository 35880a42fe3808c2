import type { RedactAction } from '../../protocol';
import { ident, literal } from '../store/sql';
import type { TraceStore } from '../store/trace-store';
import { hmacHex } from './hash-key';
import type { RedactionPlan } from './redaction';
import { REDACTED } from './scrub';
import type { BaselineTable } from './source';

/**
 * Which of `strings` (the string leaves of findings and profiles) are values of a redacted
 * column anywhere in the source trace, and what replaces each: its HMAC, or `[redacted]` when a
 * dropped column holds it (drop wins). Matching runs in SQL; only the matches come back.
 */
export async function replacementsFor(
  store: TraceStore,
  plan: RedactionPlan,
  strings: ReadonlySet<string>,
  key: Buffer | null,
  baselines: readonly BaselineTable[],
): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  if (strings.size === 0 || plan.specs.length === 0) return out;
  const candidates = `(SELECT unnest([${[...strings].map(literal).join(', ')}]::VARCHAR[]) AS v)`;
  const sources: { action: RedactAction; values: string }[] = [];
  for (const [column, action] of plan.features) sources.push({ action, values: `SELECT CAST(${ident(column)} AS VARCHAR) FROM predictions` });
  for (const [column, action] of plan.fixed) {
    sources.push({ action, values: `SELECT ${ident(column)} FROM predictions` });
    if (column === 'join_key') sources.push({ action, values: `SELECT join_key FROM labels` });
  }
  for (const [k, action] of plan.raw) sources.push({ action, values: `SELECT raw ->> ${literal(k)} FROM predictions WHERE raw IS NOT NULL` });
  for (const [column, action] of plan.baseline) {
    for (const b of baselines) if (b.columns.some((c) => c.name === column)) sources.push({ action, values: `SELECT CAST(${ident(column)} AS VARCHAR) FROM ${ident(b.table)}` });
  }
  for (const s of sources) {
    const rows = await store.query<{ v: string }>(`SELECT DISTINCT v FROM ${candidates} WHERE v IN (${s.values})`);
    for (const { v } of rows) {
      if (s.action === 'drop') out.set(v, REDACTED);
      else if (out.get(v) !== REDACTED) out.set(v, hmacHex(key!, v));
    }
  }
  return out;
}
