/**
 * Lineage graph: the upstream DAG of a prediction, model, run or artifact (the `trace` query),
 * laid out in layers from left (raw data, code) to right (the target) with dagre. Each node shows
 * its kind, name, short content hash, commit and stale/flag marks. Keyboard: the graph is one tab
 * stop; ←/→ follow edges upstream/downstream, ↑/↓ move within a layer, Enter/Space selects a node
 * and opens its code location (runs) or file (artifacts, models) in the editor (double-click too).
 */
import '../shared/zod-jitless';
import '../shared/styles.css';
import dagre from '@dagrejs/dagre';
import type { TraceNode, TraceResult } from '../../protocol/lineage';
import { ArgsChangedCommand, LineageArgs, LineageTraceRequest, OpenFileCommand, OpenPredictionsCommand } from '../../protocol/webview';
import { h, replace, svg } from '../shared/dom';
import * as fmt from '../shared/format';
import { button, facts, field, input, section, startPanel, type PageParts } from '../shared/page';

interface Ui {
  selected?: string;
}

const NODE_W = 176;
const LINE_H = 15;
const PAD = 8;

let ui: Ui = {};
let target = '';
let trace: TraceResult | null = null;
let nodeEls = new Map<string, SVGGElement>();
const graphCard = section('Graph', 'graph');
const detailCard = section('Node', 'node');

const parts = startPanel('lineage', 'Lineage', (p, init) => {
  const parsed = LineageArgs.safeParse(init.args);
  if (!parsed.success) {
    p.showError('no target to trace', 'Lineage');
    return;
  }
  const saved = p.messenger.loadState();
  ui = init.reason === 'load' && saved ? { ...(saved.ui as Ui) } : {};
  target = parsed.data.target;
  renderToolbar(p);
  replace(p.body, graphCard, detailCard);
  void load(p);
});

function save(): void {
  parts.messenger.saveState({ target }, { ...ui });
}

function renderToolbar(p: PageParts): void {
  const box = input('text', target, { size: '44', spellcheck: 'false', 'aria-label': 'Prediction id, run id, artifact or content hash' });
  const go = (): void => {
    const t = box.value.trim();
    if (!t) return;
    target = t;
    ui = {};
    save();
    p.messenger.command(ArgsChangedCommand, { args: { target } });
    void load(p);
  };
  box.addEventListener('keydown', (e) => { if (e.key === 'Enter') go(); });
  replace(p.toolbar, field('Trace', box), button('Trace', go));
}

async function load(p: PageParts): Promise<void> {
  p.clearError();
  p.setBusy(true);
  p.setStatus(`Tracing ${target}…`);
  try {
    trace = await p.messenger.request(LineageTraceRequest, { target });
    const stale = trace.stale_runs.length;
    p.setStatus(`${trace.nodes.length} nodes, ${trace.edges.length} edges upstream of ${describe(trace.nodes.find((n) => n.key === trace!.root))}${stale ? ` · ${stale} stale run${stale === 1 ? '' : 's'} (inputs older than ${trace.max_age_days} days)` : ''}`);
    if (!ui.selected || !trace.nodes.some((n) => n.key === ui.selected)) ui.selected = trace.root;
    save();
    render(p);
  } catch (err) {
    p.showError(err, 'Trace');
    replace(graphCard, h('h2', { id: 'graph-title' }, 'Graph'), h('p', { className: 'muted' }, 'Nothing traced.'));
    replace(detailCard);
  } finally {
    p.setBusy(false);
  }
}

interface Placed {
  node: TraceNode;
  x: number;
  y: number;
  w: number;
  h: number;
  lines: Array<{ text: string; cls: string }>;
}

function render(p: PageParts): void {
  if (!trace) return;
  const t = trace;
  const g = new dagre.graphlib.Graph();
  g.setGraph({ rankdir: 'LR', nodesep: 18, ranksep: 30, marginx: 12, marginy: 12 });
  g.setDefaultEdgeLabel(() => ({}));
  const placed = new Map<string, Placed>();
  for (const n of t.nodes) {
    const lines = nodeLines(n);
    const height = PAD * 2 + lines.length * LINE_H;
    placed.set(n.key, { node: n, x: 0, y: 0, w: NODE_W, h: height, lines });
    g.setNode(n.key, { width: NODE_W, height });
  }
  // Edges point upstream (from a node to what it came from); drawn in the direction data flows.
  for (const e of t.edges) g.setEdge(e.to, e.from);
  dagre.layout(g);
  for (const [key, pl] of placed) {
    const n = g.node(key);
    pl.x = n.x - pl.w / 2;
    pl.y = n.y - pl.h / 2;
  }
  const graph = g.graph();
  const width = Math.ceil(graph.width ?? 600);
  const height = Math.ceil(graph.height ?? 300);

  const edges = t.edges.map((e) => {
    const pts = g.edge(e.to, e.from)?.points ?? [];
    const d = pts.map((pt: { x: number; y: number }, i: number) => `${i === 0 ? 'M' : 'L'}${pt.x.toFixed(1)},${pt.y.toFixed(1)}`).join(' ');
    return svg('path', { className: `edge${e.match === 'name' ? ' name-match' : ''}`, d, 'marker-end': 'url(#arrow)' },
      svg('title', {}, `${e.relation}${e.match ? ` (matched by ${e.match})` : ''}`));
  });
  nodeEls = new Map();
  const nodes = [...placed.values()].map((pl) => {
    const n = pl.node;
    const openable = location(n) !== null;
    const el = svg('g', {
      className: `node ${n.type}${isStale(n) ? ' stale' : ''}${openable ? ' openable' : ''}${n.key === ui.selected ? ' selected' : ''}`,
      transform: `translate(${pl.x.toFixed(1)},${pl.y.toFixed(1)})`,
      tabindex: n.key === ui.selected ? 0 : -1,
      role: 'button',
      'aria-label': ariaLabel(n),
      'data-key': n.key,
    },
      svg('rect', { className: 'box', width: pl.w, height: pl.h, rx: 5 }),
      pl.lines.map((line, i) => svg('text', { className: line.cls, x: PAD, y: PAD + (i + 1) * LINE_H - 4 }, line.text)),
    );
    el.addEventListener('click', () => { select(n.key); el.focus(); });
    el.addEventListener('dblclick', () => activate(p, n.key));
    el.addEventListener('keydown', (ev) => onKey(p, ev, n.key, placed, t));
    el.addEventListener('focus', () => select(n.key));
    nodeEls.set(n.key, el);
    return el;
  });
  const graphSvg = svg('svg', { className: 'graph', width, height, viewBox: `0 0 ${width} ${height}`, role: 'group', 'aria-label': `Lineage graph of ${target}` },
    svg('defs', {}, svg('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' }, svg('path', { d: 'M0,0 L10,5 L0,10 z' }))),
    edges, nodes);
  const legend = h('div', { className: 'legend', 'aria-hidden': 'true' },
    ...(['artifact', 'run', 'model', 'prediction'] as const).map((k) => h('span', {}, h('span', { className: `swatch ${k}` }), k)),
    h('span', {}, h('span', { className: 'swatch stale' }), 'stale run'),
    h('span', {}, 'dashed yellow edge: matched by name only'),
  );
  replace(graphCard,
    h('h2', { id: 'graph-title' }, 'Graph'),
    h('div', { className: 'graph-wrap' }, graphSvg),
    legend,
    t.warnings.length ? h('ul', { className: 'warnings' }, t.warnings.map((w) => h('li', { className: 'bad-text' }, w))) : null,
    h('p', { className: 'hint' }, 'Tab to the graph; ←/→ follow the lineage, ↑/↓ move within a layer, Enter opens the code or file of a node.'),
  );
  renderDetail(p);
}

function select(key: string): void {
  if (ui.selected === key) return;
  const prev = ui.selected ? nodeEls.get(ui.selected) : undefined;
  prev?.classList.remove('selected');
  prev?.setAttribute('tabindex', '-1');
  ui.selected = key;
  const el = nodeEls.get(key);
  el?.classList.add('selected');
  el?.setAttribute('tabindex', '0');
  el?.scrollIntoView({ block: 'nearest', inline: 'nearest' });
  save();
  renderDetail(parts);
}

/** Selects a node and opens its code or file, if it has one. */
function activate(p: PageParts, key: string): void {
  select(key);
  nodeEls.get(key)?.focus();
  const n = trace?.nodes.find((x) => x.key === key);
  const loc = n ? location(n) : null;
  if (loc) p.messenger.command(OpenFileCommand, loc);
}

function onKey(p: PageParts, ev: KeyboardEvent, key: string, placed: Map<string, Placed>, t: TraceResult): void {
  const k = ev.key;
  if (k === 'Enter' || k === ' ') {
    ev.preventDefault();
    activate(p, key);
    return;
  }
  let next: string | undefined;
  const here = placed.get(key)!;
  const centre = (pl: Placed): { x: number; y: number } => ({ x: pl.x + pl.w / 2, y: pl.y + pl.h / 2 });
  const nearest = (keys: string[]): string | undefined =>
    keys.map((k2) => placed.get(k2)!).sort((a, b) => Math.abs(centre(a).y - centre(here).y) - Math.abs(centre(b).y - centre(here).y))[0]?.node.key;
  if (k === 'ArrowLeft') next = nearest(t.edges.filter((e) => e.from === key).map((e) => e.to));
  else if (k === 'ArrowRight') next = nearest(t.edges.filter((e) => e.to === key).map((e) => e.from));
  else if (k === 'ArrowUp' || k === 'ArrowDown') {
    const sameLayer = [...placed.values()].filter((pl) => Math.abs(centre(pl).x - centre(here).x) < 1 && pl.node.key !== key);
    const dir = k === 'ArrowUp' ? -1 : 1;
    next = sameLayer.filter((pl) => (centre(pl).y - centre(here).y) * dir > 0)
      .sort((a, b) => Math.abs(centre(a).y - centre(here).y) - Math.abs(centre(b).y - centre(here).y))[0]?.node.key;
  } else if (k === 'Home') next = trace?.root;
  else return;
  ev.preventDefault();
  if (next) {
    select(next);
    nodeEls.get(next)?.focus();
  }
}

function renderDetail(p: PageParts): void {
  const n = trace?.nodes.find((x) => x.key === ui.selected);
  if (!n) {
    replace(detailCard);
    return;
  }
  const loc = location(n);
  const rows: Array<[string, string | Node | (string | Node)[]]> = [];
  switch (n.type) {
    case 'prediction':
      rows.push(['prediction', h('span', { className: 'mono' }, n.id)], ['time', fmt.time(n.time)], ['model', `${n.model}@${n.version}`],
        ['score', fmt.num(n.score, 4)], ['label', n.label ?? '–'], ['source', n.source]);
      break;
    case 'model':
      rows.push(['model', `${n.name}@${n.version}`], ['sha256', h('span', { className: 'mono' }, n.id)], ['path', n.path ?? '–'],
        ['first seen', fmt.time(n.first_seen)], ['training run', n.training_run_id ?? 'not logged']);
      break;
    case 'run':
      rows.push(['component', n.component], ['run', h('span', { className: 'mono' }, n.id)], ['status', n.status],
        ['ran', `${fmt.time(n.start)} → ${fmt.time(n.end)}`],
        ['commit', n.git_commit ? `${n.git_commit}${n.git_dirty ? ' (uncommitted changes)' : ''}` : 'unknown'],
        ['code', n.code_file ? `${n.code_file}${n.code_line ? `:${n.code_line}` : ''}` : 'unknown'],
        ['params', h('pre', { className: 'json' }, JSON.stringify(n.params, null, 1))],
        ['metrics', Object.keys(n.metrics).length ? Object.entries(n.metrics).map(([k, v]) => `${k} ${fmt.num(v, 4)}`).join(', ') : '–']);
      if (n.stale) rows.push(['stale', h('span', { className: 'bad-text' }, n.stale_reasons.join('; '))]);
      if (n.notes) rows.push(['notes', n.notes]);
      break;
    case 'artifact':
      rows.push(['artifact', n.name], ['kind', n.kind], ['uri', n.uri ?? '–'], ['sha256', h('span', { className: 'mono' }, n.content_hash ?? 'none (matched by name)')],
        ['size', n.size === null ? '–' : `${fmt.count(n.size)} bytes`], ['created', fmt.time(n.created)]);
      break;
  }
  if (n.flags.length) rows.push(['flags', h('span', { className: 'bad-text' }, n.flags.map((f) => `${f.reason ?? 'flagged'} (${f.source ?? '?'}, ${fmt.time(f.time)})`).join('; '))]);
  replace(detailCard,
    h('h2', { id: 'node-title' }, n.type === 'prediction' ? describe(n) : `${n.type}: ${describe(n)}`),
    facts(rows),
    h('p', {},
      loc ? button(`Open ${shortPath(loc.path)}${loc.line ? `:${loc.line}` : ''}`, () => p.messenger.command(OpenFileCommand, loc)) : null,
      n.type === 'model' ? button('Predictions of this model', () => p.messenger.command(OpenPredictionsCommand, { filter: { model: `${n.name}@${n.version}` } }), { secondary: true }) : null),
  );
}

function nodeLines(n: TraceNode): Array<{ text: string; cls: string }> {
  const lines: Array<{ text: string; cls: string }> = [];
  const flag = n.flags.length ? `  ⚑ ${n.flags.length}` : '';
  switch (n.type) {
    case 'prediction':
      lines.push({ text: `PREDICTION${flag}`, cls: 'kind' }, { text: clip(`${n.model}@${n.version}`), cls: 'title' },
        { text: `id ${fmt.shortHash(n.id, 13)}`, cls: 'meta' }, { text: `score ${fmt.num(n.score)} · label ${n.label ?? '–'}`, cls: 'meta' });
      break;
    case 'model':
      lines.push({ text: `MODEL${flag}`, cls: 'kind' }, { text: clip(`${n.name}@${n.version}`), cls: 'title' },
        { text: `sha256 ${fmt.shortHash(n.id)}`, cls: 'meta' }, { text: n.training_run_id ? 'training run linked' : 'no training run logged', cls: 'meta' });
      break;
    case 'run':
      lines.push({ text: `RUN · ${n.status.toUpperCase()}${flag}`, cls: 'kind' }, { text: clip(n.component), cls: 'title' },
        { text: `commit ${n.git_commit ? n.git_commit.slice(0, 7) : '?'}${n.git_dirty ? '*' : ''}`, cls: 'meta' },
        { text: n.code_file ? clip(`${shortPath(n.code_file)}:${n.code_line ?? '?'}`, 26) : 'no code location', cls: n.code_file ? 'open' : 'meta' });
      if (n.stale) lines.push({ text: 'STALE', cls: 'flag' });
      break;
    case 'artifact':
      lines.push({ text: `${n.kind.toUpperCase()}${flag}`, cls: 'kind' }, { text: clip(shortPath(n.name)), cls: 'title' },
        { text: `sha256 ${fmt.shortHash(n.content_hash)}`, cls: 'meta' }, { text: n.size === null ? fmt.time(n.created) : `${fmt.count(n.size)} B · ${fmt.day(n.created)}`, cls: 'meta' });
      break;
  }
  return lines;
}

function location(n: TraceNode): { path: string; line?: number } | null {
  if (n.type === 'run' && n.code_file) return { path: n.code_file, ...(n.code_line ? { line: n.code_line } : {}) };
  // A file: URI goes as it is (the host decodes it and finds the file in the workspace).
  if (n.type === 'artifact' && n.uri && (n.uri.startsWith('/') || n.uri.startsWith('file:'))) return { path: n.uri };
  if (n.type === 'model' && n.path) return { path: n.path };
  return null;
}

function isStale(n: TraceNode): boolean {
  return n.type === 'run' && n.stale;
}

function describe(n: TraceNode | undefined): string {
  if (!n) return target;
  switch (n.type) {
    case 'prediction': return `prediction ${fmt.shortHash(n.id, 13)}`;
    case 'model': return `${n.name}@${n.version}`;
    case 'run': return `${n.component} run`;
    case 'artifact': return n.name;
  }
}

function ariaLabel(n: TraceNode): string {
  const base = `${n.type} ${describe(n)}`;
  const extra: string[] = [];
  if (n.type === 'run') {
    extra.push(n.git_commit ? `commit ${n.git_commit.slice(0, 7)}` : 'no commit');
    if (n.stale) extra.push('stale');
    if (n.code_file) extra.push(`Enter opens ${n.code_file}${n.code_line ? ` line ${n.code_line}` : ''}`);
  }
  if (n.type === 'artifact' && n.content_hash) extra.push(`sha256 ${n.content_hash.slice(0, 8)}`);
  if (n.flags.length) extra.push(`${n.flags.length} flag${n.flags.length === 1 ? '' : 's'}`);
  return [base, ...extra].join(', ');
}

function shortPath(p: string): string {
  const parts = p.split(/[\\/]/);
  return parts.length > 2 ? parts.slice(-2).join('/') : p;
}

function clip(text: string, max = 24): string {
  return text.length > max ? `…${text.slice(text.length - max + 1)}` : text;
}
