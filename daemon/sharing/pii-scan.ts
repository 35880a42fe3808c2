import type { PiiWarning } from '../../protocol';
import { ident, literal } from '../store/sql';
import type { TraceStore } from '../store/trace-store';
import { FREE_TEXT, VALUE_PATTERNS, nameReasons, piiMessage, valueReasons, type ValueStats } from './pii';
import { orderedFeatureColumns, type BaselineTable } from './source';

const SAMPLE_ROWS = 5000;

interface Candidate {
  name: string;
  where: PiiWarning['where'];
  /** SQL expression of the value (NULL when only the name is checked). */
  expr: string | null;
}

/** Per-value counts of every pattern over a two-column relation (name, v), one scan. */
function statsSql(relation: string): string {
  return `SELECT name, count(v)::BIGINT AS sampled,
      count(*) FILTER (WHERE regexp_full_match(v, ${literal(VALUE_PATTERNS.email)}))::BIGINT AS email,
      count(*) FILTER (WHERE regexp_full_match(v, ${literal(VALUE_PATTERNS.ipv4)}))::BIGINT AS ipv4,
      count(*) FILTER (WHERE regexp_full_match(v, ${literal(VALUE_PATTERNS.ipv6)}))::BIGINT AS ipv6,
      count(*) FILTER (WHERE regexp_matches(v, ${literal(VALUE_PATTERNS.user_agent)}))::BIGINT AS user_agent,
      count(*) FILTER (WHERE length(v) >= ${FREE_TEXT.minLength} AND len(regexp_split_to_array(trim(v), '\\s+')) >= ${FREE_TEXT.minWords})::BIGINT AS free_text
    FROM ${relation} WHERE v IS NOT NULL GROUP BY name`;
}

function toStats(r: Record<string, unknown>): ValueStats {
  return { sampled: Number(r.sampled), email: Number(r.email), ipv4: Number(r.ipv4), ipv6: Number(r.ipv6), user_agent: Number(r.user_agent), free_text: Number(r.free_text) };
}

/** Value counts of several columns of one relation, from a repeatable sample of its rows. */
async function sampleStats(store: TraceStore, from: string, where: string, cands: Candidate[]): Promise<Map<string, ValueStats>> {
  const withValues = cands.filter((c) => c.expr !== null);
  const out = new Map<string, ValueStats>();
  if (withValues.length === 0) return out;
  const select = withValues.map((c, i) => `CAST(${c.expr} AS VARCHAR) AS c${i}`).join(', ');
  const sample = `(SELECT * FROM (SELECT ${select} FROM ${from} WHERE ${where}) USING SAMPLE reservoir(${SAMPLE_ROWS} ROWS) REPEATABLE (42))`;
  const rows = await store.query<Record<string, unknown>>(statsSql(`(UNPIVOT ${sample} ON COLUMNS(*) INTO NAME name VALUE v)`));
  for (const r of rows) {
    const i = Number(String(r.name).slice(1));
    out.set(withValues[i]!.name + '\u0000' + withValues[i]!.where, toStats(r));
  }
  return out;
}

/**
 * Columns of the selected predictions (features, attributes, join_key/request_id, raw JSON keys)
 * and, when they are exported, of baseline tables, that look personal and are not redacted.
 */
export async function scanForPii(
  store: TraceStore,
  opts: { where: string; rawKeys: string[]; baselines: BaselineTable[]; redacted: Set<string> },
): Promise<PiiWarning[]> {
  const found = new Map<string, PiiWarning>();
  const consider = (c: Candidate, stats: ValueStats | undefined): void => {
    if (opts.redacted.has(c.name)) return;
    const reasons = [...nameReasons(c.name), ...(stats ? valueReasons(stats) : [])];
    if (reasons.length === 0) return;
    const prev = found.get(c.name);
    if (prev) {
      for (const r of reasons) if (!prev.reasons.includes(r)) prev.reasons.push(r);
      prev.sampled = Math.max(prev.sampled, stats?.sampled ?? 0);
      Object.assign(prev, piiMessage(c.name, prev.where, prev.reasons));
      return;
    }
    found.set(c.name, { column: c.name, where: c.where, reasons, sampled: stats?.sampled ?? 0, ...piiMessage(c.name, c.where, reasons) });
  };

  const predCands: Candidate[] = [
    { name: 'join_key', where: 'column', expr: 'p.join_key' },
    { name: 'request_id', where: 'column', expr: 'p.request_id' },
    ...orderedFeatureColumns(store).map((fc): Candidate => ({
      name: fc.feature, where: fc.kind === 'attribute' ? 'attribute' : 'feature', expr: fc.sqlType === 'VARCHAR' ? `p.${ident(fc.column)}` : null,
    })),
  ];
  const predStats = await sampleStats(store, 'predictions p', opts.where, predCands);
  for (const c of predCands) consider(c, predStats.get(c.name + '\u0000' + c.where));

  if (opts.rawKeys.length > 0) {
    const sample = `(SELECT * FROM (SELECT p.raw FROM predictions p WHERE ${opts.where} AND p.raw IS NOT NULL AND json_type(p.raw) = 'OBJECT') USING SAMPLE reservoir(${SAMPLE_ROWS} ROWS) REPEATABLE (42))`;
    const rows = await store.query<Record<string, unknown>>(statsSql(`(SELECT k AS name, raw ->> k AS v FROM (SELECT raw, unnest(json_keys(raw)) AS k FROM ${sample}))`));
    const stats = new Map(rows.map((r) => [String(r.name), toStats(r)]));
    for (const k of opts.rawKeys) consider({ name: k, where: 'raw', expr: null }, stats.get(k));
  }

  for (const b of opts.baselines) {
    const cands = b.columns.map((c): Candidate => ({ name: c.name, where: 'baseline', expr: c.type === 'VARCHAR' ? `b.${ident(c.name)}` : null }));
    const stats = await sampleStats(store, `${ident(b.table)} b`, 'true', cands);
    for (const c of cands) consider(c, stats.get(c.name + '\u0000' + c.where));
  }
  return [...found.values()];
}
