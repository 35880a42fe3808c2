import { Finding, FindingKind } from '../../protocol';

/**
 * A finding from wherever it came (a DuckDB row, a daemon response, an event payload), coerced to
 * the `Finding` contract or dropped. DuckDB hands JSON columns over as text, BIGINTs as strings
 * and timestamps as strings or Dates; a writer may add keys or leave some out. One bad row
 * must not hide the others, so nothing here throws.
 */
export function toFinding(raw: unknown): Finding | null {
  if (!raw || typeof raw !== 'object') return null;
  const r = raw as Record<string, unknown>;
  const kind = FindingKind.safeParse(typeof r.kind === 'string' ? r.kind.toLowerCase() : r.kind);
  if (!kind.success || r.id === undefined || r.id === null) return null;
  const candidate = {
    id: String(r.id),
    time: time(r.time),
    kind: kind.data,
    feature: text(r.feature),
    model_name: text(r.model_name ?? r.model),
    score: num(r.score),
    threshold: num(r.threshold),
    metric: text(r.metric),
    baseline: text(r.baseline),
    window_desc: text(r.window_desc ?? r.window),
    details: details(r.details),
  };
  const parsed = Finding.safeParse(candidate);
  return parsed.success ? parsed.data : null;
}

export function toFindings(rows: unknown): Finding[] {
  const list = Array.isArray(rows) ? rows : rows && typeof rows === 'object' && Array.isArray((rows as { findings?: unknown }).findings) ? (rows as { findings: unknown[] }).findings : [];
  return list.map(toFinding).filter((f): f is Finding => f !== null);
}

function text(v: unknown): string | null {
  return v === null || v === undefined || v === '' ? null : String(v);
}

function num(v: unknown): number | null {
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (typeof v === 'string' && v.trim() !== '') {
    const n = Number(v);
    return Number.isFinite(n) ? n : null;
  }
  return null;
}

function time(v: unknown): string {
  if (v instanceof Date) return v.toISOString();
  if (typeof v === 'string' && v !== '') {
    // DuckDB prints TIMESTAMPTZ as "2001-07-01 12:00:00+00"; make it ISO so every client can parse it.
    const d = new Date(v.replace(' ', 'T').replace(/([+-]\d\d)$/, '$1:00'));
    return Number.isNaN(d.getTime()) ? v : d.toISOString();
  }
  return new Date(0).toISOString();
}

function details(v: unknown): Record<string, unknown> {
  let d = v;
  if (typeof d === 'string') {
    try {
      d = JSON.parse(d);
    } catch {
      return {};
    }
  }
  return d && typeof d === 'object' && !Array.isArray(d) ? (d as Record<string, unknown>) : {};
}
