/**
 * A trace as a tree on a terminal: each node on one line (short hashes, commits, code location),
 * params/metrics/staleness/flags on the lines under it; a node reached twice is printed once and
 * then referred to. The model's file artifact is folded into the model's line. Pure.
 */
import type { ArtifactNode, ModelNode, PredictionNode, RunNode, TraceEdge, TraceNode, TraceResult } from '../../protocol';
import { runLabel, shortHash } from './snapshot';

export function formatTrace(trace: TraceResult): string {
  const nodes = new Map(trace.nodes.map((n) => [n.key, n]));
  const children = new Map<string, TraceEdge[]>();
  for (const e of trace.edges) {
    const list = children.get(e.from);
    if (list) list.push(e);
    else children.set(e.from, [e]);
  }
  const printed = new Set<string>();
  const lines: string[] = [];

  /** Edges under a node; a model shows its file's producers directly. */
  const below = (node: TraceNode): { edge: TraceEdge; node: TraceNode }[] => {
    const out: { edge: TraceEdge; node: TraceNode }[] = [];
    for (const e of children.get(node.key) ?? []) {
      const child = nodes.get(e.to);
      if (!child) continue;
      if (node.type === 'model' && e.relation === 'same_content') {
        for (const e2 of children.get(child.key) ?? []) {
          const grand = nodes.get(e2.to);
          if (grand) out.push({ edge: e2, node: grand });
        }
      } else out.push({ edge: e, node: child });
    }
    return out;
  };

  const visit = (node: TraceNode, edge: TraceEdge | null, prefix: string, last: boolean, isRoot: boolean): void => {
    const branch = isRoot ? '' : last ? '└─ ' : '├─ ';
    const cont = isRoot ? '' : last ? '   ' : '│  ';
    const seen = printed.has(node.key);
    const via = edge?.match === 'name' ? ' [matched by name only]' : '';
    lines.push(`${prefix}${branch}${headline(node, nodes, children)}${via}${seen ? '  (shown above)' : ''}`);
    if (seen) return;
    printed.add(node.key);
    const kids = below(node);
    const detailPrefix = `${prefix}${cont}${kids.length > 0 ? '│  ' : '   '}`;
    for (const d of details(node)) lines.push(`${detailPrefix}${d}`);
    kids.forEach((k, i) => visit(k.node, k.edge, `${prefix}${cont}`, i === kids.length - 1, false));
  };

  const root = nodes.get(trace.root);
  if (root) visit(root, null, '', true, true);
  if (trace.stale_runs.length > 0) lines.push('', `stale: ${trace.stale_runs.length} run(s) (inputs newer or older than ${trace.max_age_days} days), marked STALE above`);
  if (trace.warnings.length > 0) {
    lines.push('', 'warnings:');
    for (const w of trace.warnings) lines.push(`  ! ${w}`);
  }
  return lines.join('\n');
}

function headline(node: TraceNode, nodes: Map<string, TraceNode>, children: Map<string, TraceEdge[]>): string {
  switch (node.type) {
    case 'prediction': return predictionLine(node);
    case 'model': {
      const file = (children.get(node.key) ?? []).map((e) => nodes.get(e.to)).find((n): n is ArtifactNode => n?.type === 'artifact');
      return modelLine(node, file);
    }
    case 'run': return runLine(node);
    case 'artifact': return artifactLine(node, (children.get(node.key) ?? []).length === 0);
  }
}

function predictionLine(p: PredictionNode): string {
  const parts = [`prediction ${p.id}`, `${p.model}@${p.version}`];
  if (p.score !== null) parts.push(`score ${round(p.score)}`);
  if (p.label !== null) parts.push(`label ${p.label}`);
  parts.push(p.time, p.source);
  return parts.join('  ');
}

function modelLine(m: ModelNode, file: ArtifactNode | undefined): string {
  const parts = [`model ${m.name}@${m.version}`, /^[0-9a-f]{64}$/.test(m.id) ? `sha256 ${shortHash(m.id)}` : m.id];
  if (file) parts.push(`file ${file.name}`);
  else if (!m.training_run_id) parts.push('(no logged run wrote this model)');
  return parts.join('  ');
}

function runLine(r: RunNode): string {
  const parts = [`run ${runLabel(r)}`, r.status];
  if (r.git_commit) parts.push(`commit ${r.git_commit.slice(0, 7)}${r.git_dirty ? ' (dirty)' : ''}`);
  else parts.push('no commit');
  if (r.code_file) parts.push(`${r.code_file}${r.code_line ? `:${r.code_line}` : ''}`);
  parts.push(r.start.replace('T', ' ').replace(/\.\d+Z$/, 'Z'));
  if (r.end) {
    const secs = (Date.parse(r.end) - Date.parse(r.start)) / 1000;
    if (secs > 0) parts.push(secs < 1 ? `${Math.max(1, Math.round(secs * 1000))} ms` : `${secs < 10 ? secs.toFixed(1) : Math.round(secs)} s`);
  }
  if (r.stale) parts.push('STALE');
  return parts.join('  ');
}

function artifactLine(a: ArtifactNode, source: boolean): string {
  const parts = [`${a.kind} ${a.name}`, a.content_hash ? `sha256 ${shortHash(a.content_hash)}` : 'no hash'];
  if (a.size !== null) parts.push(bytes(a.size));
  if (source) parts.push('(source: no logged run wrote it)');
  return parts.join('  ');
}

function details(node: TraceNode): string[] {
  const out: string[] = [];
  if (node.type === 'run') {
    if (Object.keys(node.params).length > 0) out.push(`params ${kv(node.params)}`);
    if (Object.keys(node.metrics).length > 0) out.push(`metrics ${kv(node.metrics)}`);
    for (const r of node.stale_reasons) out.push(`STALE: ${r}`);
    if (node.notes) out.push(`notes ${node.notes.length > 120 ? `${node.notes.slice(0, 117)}…` : node.notes}`);
  }
  for (const f of node.flags) out.push(`FLAGGED${f.reason ? `: ${f.reason}` : ''} (${f.source ?? 'unknown'}, ${f.time})`);
  return out;
}

function kv(obj: Record<string, unknown>): string {
  const text = Object.entries(obj).map(([k, v]) => `${k}=${typeof v === 'number' ? round(v) : typeof v === 'string' ? v : JSON.stringify(v)}`).join(', ');
  return text.length > 160 ? `${text.slice(0, 157)}…` : text;
}

function round(v: number): string {
  return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(4)));
}

function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v.toFixed(1)} ${units[u]}`;
}
