import type { DiffReport, FindingDiffEntry } from '../../protocol';
import type { TraceStore } from '../store/trace-store';
import { hasTables } from './source';

/** Everything `diff` compares, read from one trace. */
export interface TraceFacts {
  path: string;
  schemaVersion: number | null;
  models: { id: string; name: string; version: string }[];
  predictions: { model: string; source: string; n: number }[];
  findings: { kind: string; model_name: string | null; feature: string | null; metric: string | null; baseline: string | null; score: number | null }[];
  runs: { id: string; kind: string; started: string | null; label: string; passed: boolean | null; metrics: Record<string, number> }[];
}

export async function readFacts(store: TraceStore, displayPath: string): Promise<TraceFacts> {
  const models = (await store.query<Record<string, unknown>>('SELECT id, name, version FROM models ORDER BY name, version, id'))
    .map((m) => ({ id: String(m.id), name: String(m.name), version: String(m.version) }));
  const predictions = (await store.query<Record<string, unknown>>(
    `SELECT model_name || '@' || model_version AS model, source, count(*)::BIGINT AS n FROM predictions GROUP BY ALL ORDER BY model, source`,
  )).map((r) => ({ model: String(r.model), source: String(r.source), n: Number(r.n) }));
  const findings = (await store.query<Record<string, unknown>>('SELECT kind, model_name, feature, metric, baseline, score FROM findings ORDER BY kind, model_name, feature, metric, score DESC'))
    .map((f) => ({ kind: String(f.kind), model_name: str(f.model_name), feature: str(f.feature), metric: str(f.metric), baseline: str(f.baseline), score: f.score === null || f.score === undefined ? null : Number(f.score) }));
  const runs = (await hasTables(store, ['runs']))
    ? (await store.query<Record<string, unknown>>('SELECT id, kind, started::VARCHAR AS started, results::VARCHAR AS results FROM runs ORDER BY started, id')).map((r) => runFacts(r))
    : [];
  return { path: displayPath, schemaVersion: await store.schemaVersion(), models, predictions, findings, runs };
}

/** Metrics of a replay/eval run: the candidate's overall metrics (and the baseline's as `baseline.*`). */
export function runFacts(r: Record<string, unknown>): TraceFacts['runs'][number] {
  let results: Record<string, unknown> = {};
  try {
    const parsed: unknown = typeof r.results === 'string' ? JSON.parse(r.results) : r.results;
    if (parsed && typeof parsed === 'object') results = parsed as Record<string, unknown>;
  } catch {
    /* unreadable results: no metrics */
  }
  const metrics: Record<string, number> = {};
  const overall = (results.overall ?? {}) as Record<string, unknown>;
  const take = (set: unknown, prefix: string): void => {
    const m = (set as { metrics?: Record<string, unknown> } | null)?.metrics;
    if (m && typeof m === 'object') for (const [k, v] of Object.entries(m)) if (typeof v === 'number' && Number.isFinite(v)) metrics[prefix + k] = v;
  };
  take(overall.candidate, '');
  take(overall.baseline, 'baseline.');
  const latency = Array.isArray(results.latency) ? (results.latency as Record<string, unknown>[]) : [];
  for (const l of latency) {
    const who = typeof l.role === 'string' ? l.role : typeof l.model === 'string' ? l.model : null;
    for (const q of ['p50_ms', 'p95_ms', 'p99_ms']) if (who && typeof l[q] === 'number') metrics[`latency.${who}.${q}`] = l[q] as number;
  }
  const model = (x: unknown): string | null => {
    const o = x as { name?: unknown; version?: unknown } | null;
    return o && typeof o.name === 'string' ? `${o.name}${typeof o.version === 'string' ? `@${o.version}` : ''}` : null;
  };
  const cand = model(results.candidate);
  const base = model(results.baseline);
  const label = cand ? (base ? `${base} → ${cand}` : cand) : String(r.id);
  return { id: String(r.id), kind: String(r.kind), started: str(r.started), label, passed: typeof results.passed === 'boolean' ? results.passed : null, metrics };
}

const findingKey = (f: TraceFacts['findings'][number]): string => [f.kind, f.model_name, f.feature, f.metric, f.baseline].map((x) => x ?? '').join('\u0000');

/** A − B comparison: models by content hash and name@version, prediction counts, findings, run metrics. Pure. */
export function diffFacts(a: TraceFacts, b: TraceFacts): DiffReport {
  // models
  const aIds = new Set(a.models.map((m) => m.id));
  const bIds = new Set(b.models.map((m) => m.id));
  const ref = (m: { name: string; version: string }): string => `${m.name}@${m.version}`;
  const changed: DiffReport['models']['changed'] = [];
  const added = b.models.filter((m) => !aIds.has(m.id));
  const removed = a.models.filter((m) => !bIds.has(m.id));
  for (const m of [...added]) {
    const old = removed.find((r) => ref(r) === ref(m));
    if (!old) continue;
    changed.push({ name: m.name, version: m.version, id_a: old.id, id_b: m.id });
    added.splice(added.indexOf(m), 1);
    removed.splice(removed.indexOf(old), 1);
  }
  const unchanged = a.models.filter((m) => bIds.has(m.id));

  // predictions per model and source
  const keys = new Map<string, { model: string; source: string }>();
  for (const p of [...a.predictions, ...b.predictions]) keys.set(`${p.model}\u0000${p.source}`, { model: p.model, source: p.source });
  const count = (list: TraceFacts['predictions'], k: { model: string; source: string }): number => list.find((p) => p.model === k.model && p.source === k.source)?.n ?? 0;
  const predictions = [...keys.values()]
    .sort((x, y) => x.model.localeCompare(y.model) || x.source.localeCompare(y.source))
    .map((k) => ({ ...k, a: count(a.predictions, k), b: count(b.predictions, k), delta: count(b.predictions, k) - count(a.predictions, k) }));

  // findings: matched on (kind, model, feature, metric, baseline); duplicates pair up by score order
  const group = (list: TraceFacts['findings']): Map<string, TraceFacts['findings']> => {
    const m = new Map<string, TraceFacts['findings']>();
    for (const f of list) m.set(findingKey(f), [...(m.get(findingKey(f)) ?? []), f]);
    return m;
  };
  const ga = group(a.findings);
  const gb = group(b.findings);
  const entry = (f: TraceFacts['findings'][number], sa: number | null, sb: number | null): FindingDiffEntry => ({
    kind: f.kind, model_name: f.model_name, feature: f.feature, metric: f.metric, baseline: f.baseline,
    score_a: sa, score_b: sb, delta: sa === null || sb === null ? null : sb - sa,
  });
  const findings: DiffReport['findings'] = { added: [], removed: [], changed: [], unchanged: 0 };
  for (const key of new Set([...ga.keys(), ...gb.keys()])) {
    const la = ga.get(key) ?? [];
    const lb = gb.get(key) ?? [];
    for (let i = 0; i < Math.max(la.length, lb.length); i++) {
      const fa = la[i];
      const fb = lb[i];
      if (fa && !fb) findings.removed.push(entry(fa, fa.score, null));
      else if (!fa && fb) findings.added.push(entry(fb, null, fb.score));
      else if (fa && fb) {
        if (sameScore(fa.score, fb.score)) findings.unchanged++;
        else findings.changed.push(entry(fa, fa.score, fb.score));
      }
    }
  }

  // replay/eval runs: same id, else the same kind and models (latest of each side)
  const runs: DiffReport['runs'] = { only_a: [], only_b: [], compared: [] };
  const usedB = new Set<string>();
  const pairOf = new Map<string, TraceFacts['runs'][number]>();
  for (const ra of a.runs) {
    const rb = b.runs.find((r) => r.id === ra.id);
    if (rb) { pairOf.set(ra.id, rb); usedB.add(rb.id); }
  }
  for (const ra of a.runs) {
    if (pairOf.has(ra.id)) continue;
    const rb = b.runs.find((r) => !usedB.has(r.id) && r.kind === ra.kind && r.label === ra.label);
    if (rb) { pairOf.set(ra.id, rb); usedB.add(rb.id); }
  }
  const pairs: [TraceFacts['runs'][number], TraceFacts['runs'][number]][] = [];
  for (const ra of a.runs) {
    const rb = pairOf.get(ra.id);
    if (rb) pairs.push([ra, rb]);
    else runs.only_a.push({ id: ra.id, kind: ra.kind, label: ra.label });
  }
  for (const rb of b.runs) if (!usedB.has(rb.id)) runs.only_b.push({ id: rb.id, kind: rb.kind, label: rb.label });
  for (const [ra, rb] of pairs) {
    const names = [...new Set([...Object.keys(ra.metrics), ...Object.keys(rb.metrics)])].sort();
    runs.compared.push({
      id_a: ra.id, id_b: rb.id, kind: ra.kind, label: ra.label, passed_a: ra.passed, passed_b: rb.passed,
      metrics: names.map((n) => {
        const x = ra.metrics[n] ?? null;
        const y = rb.metrics[n] ?? null;
        return { metric: n, a: x, b: y, delta: x === null || y === null ? null : y - x };
      }),
    });
  }

  const total = (f: TraceFacts): number => f.predictions.reduce((s, p) => s + p.n, 0);
  return {
    a: { path: a.path, schema_version: a.schemaVersion, predictions: total(a) },
    b: { path: b.path, schema_version: b.schemaVersion, predictions: total(b) },
    models: { added, removed, changed, unchanged },
    predictions,
    findings,
    runs,
  };
}

function sameScore(x: number | null, y: number | null): boolean {
  if (x === null || y === null) return x === y;
  return Math.abs(x - y) <= 1e-12 * Math.max(1, Math.abs(x), Math.abs(y));
}

function str(v: unknown): string | null {
  return v === null || v === undefined ? null : String(v);
}

export function formatDiff(d: DiffReport): string {
  const lines: string[] = [];
  const f3 = (x: number | null): string => (x === null ? '–' : Math.abs(x) >= 100 ? x.toFixed(0) : x.toFixed(3));
  const signed = (x: number | null): string => (x === null ? '' : ` (${x >= 0 ? '+' : ''}${f3(x)})`);
  lines.push(`A: ${d.a.path} (schema v${d.a.schema_version ?? '?'}, ${d.a.predictions} predictions)`);
  lines.push(`B: ${d.b.path} (schema v${d.b.schema_version ?? '?'}, ${d.b.predictions} predictions)`);
  lines.push('models:');
  for (const m of d.models.unchanged) lines.push(`  = ${m.name}@${m.version} ${m.id.slice(0, 12)}`);
  for (const m of d.models.changed) lines.push(`  ~ ${m.name}@${m.version} ${m.id_a.slice(0, 12)} → ${m.id_b.slice(0, 12)} (same version, different file)`);
  for (const m of d.models.added) lines.push(`  + ${m.name}@${m.version} ${m.id.slice(0, 12)}`);
  for (const m of d.models.removed) lines.push(`  - ${m.name}@${m.version} ${m.id.slice(0, 12)}`);
  lines.push('predictions:');
  for (const p of d.predictions) lines.push(`  ${p.model} [${p.source}] ${p.a} → ${p.b} (${p.delta >= 0 ? '+' : ''}${p.delta})`);
  const name = (f: FindingDiffEntry): string => `${f.kind} ${f.feature ?? '(all)'}${f.metric ? ` ${f.metric}` : ''}${f.model_name ? ` [${f.model_name}]` : ''}${f.baseline ? ` vs ${f.baseline}` : ''}`;
  lines.push(`findings: ${d.findings.added.length} added, ${d.findings.removed.length} removed, ${d.findings.changed.length} changed, ${d.findings.unchanged} unchanged`);
  for (const f of d.findings.added) lines.push(`  + ${name(f)} score ${f3(f.score_b)}`);
  for (const f of d.findings.removed) lines.push(`  - ${name(f)} score ${f3(f.score_a)}`);
  for (const f of d.findings.changed) lines.push(`  ~ ${name(f)} score ${f3(f.score_a)} → ${f3(f.score_b)}${signed(f.delta)}`);
  if (d.runs.compared.length || d.runs.only_a.length || d.runs.only_b.length) {
    lines.push('replay/eval runs:');
    for (const r of d.runs.compared) {
      lines.push(`  ${r.kind} ${r.label}: ${r.id_a} vs ${r.id_b}${r.passed_a !== r.passed_b ? ` (gates ${r.passed_a ? 'passed' : 'failed'} → ${r.passed_b ? 'passed' : 'failed'})` : ''}`);
      for (const m of r.metrics) if (m.delta !== 0) lines.push(`    ${m.metric} ${f3(m.a)} → ${f3(m.b)}${signed(m.delta)}`);
    }
    for (const r of d.runs.only_a) lines.push(`  - ${r.kind} ${r.label} (${r.id}) only in A`);
    for (const r of d.runs.only_b) lines.push(`  + ${r.kind} ${r.label} (${r.id}) only in B`);
  }
  return lines.join('\n');
}
