/**
 * Prediction explorer: logged predictions one server-side page at a time (never all rows),
 * filtered by model, source, time range, label arrival, score range and slice predicates, sorted
 * by time or score. A row opens the prediction: inputs, outputs, label and its lineage trace.
 * Filters, sort, page, page size and the open prediction survive a reload.
 */
import '../shared/zod-jitless';
import '../shared/styles.css';
import type { PredictionDetail, PredictionFilters, PredictionRow, PredictionsPage, PredictionsSort } from '../../protocol/queries';
import type { SliceCondition } from '../../protocol/slices';
import {
  DaemonEventNotification, OpenLineageCommand, PredictionDetailRequest, PredictionsArgs, PredictionsPageRequest,
} from '../../protocol/webview';
import { h, replace } from '../shared/dom';
import * as fmt from '../shared/format';
import { button, facts, field, input, section, select, startPanel, type PageParts } from '../shared/page';
import { dataTable, type Column } from '../shared/table';

interface Ui {
  filters: PredictionFilters;
  page: number;
  pageSize: number;
  sort: PredictionsSort;
  selected?: string;
  focused?: number;
}

const DEFAULT_UI: Ui = { filters: {}, page: 0, pageSize: 50, sort: 'time_desc' };
let ui: Ui = { ...DEFAULT_UI };
let args: { filter?: PredictionFilters } = {};
let current: PredictionsPage | null = null;
let generation = 0;
const tableCard = section('Predictions', 'predictions');
const detailCard = section('Prediction', 'prediction');

const parts = startPanel('predictions', 'Predictions', (p, init) => {
  const parsed = PredictionsArgs.safeParse(init.args);
  args = parsed.success ? parsed.data : {};
  const saved = p.messenger.loadState();
  if (init.reason === 'load' && saved) ui = { ...DEFAULT_UI, ...(saved.ui as Partial<Ui>) };
  else ui = { ...DEFAULT_UI, filters: { ...(args.filter ?? {}) } };
  replace(p.body, h('div', { className: 'columns explorer' }, tableCard, detailCard));
  detailCard.hidden = !ui.selected;
  renderToolbar(p);
  void loadPage(p);
  if (ui.selected) void loadDetail(p, ui.selected);
});

parts.messenger.on(DaemonEventNotification, (e) => {
  if (e.event === 'prediction' && current) parts.setStatus(`${statusText()} — new predictions arrived; Apply to refresh.`);
});

function save(): void {
  parts.messenger.saveState(args, { ...ui });
}

function statusText(): string {
  if (!current) return '';
  const pages = Math.max(1, Math.ceil(current.total / current.page_size));
  return `${fmt.count(current.total)} predictions match · page ${current.page + 1} of ${fmt.count(pages)}`;
}

function renderToolbar(p: PageParts): void {
  const f = ui.filters;
  const models = current?.models ?? [];
  const modelOptions = [{ value: '', label: 'any model' }];
  for (const name of [...new Set(models.map((m) => m.name))]) {
    modelOptions.push({ value: name, label: name });
    for (const m of models.filter((x) => x.name === name)) modelOptions.push({ value: `${m.name}@${m.version}`, label: `  ${m.name}@${m.version} (${fmt.count(m.n)})` });
  }
  if (f.model && !modelOptions.some((o) => o.value === f.model)) modelOptions.push({ value: f.model, label: f.model });
  const model = select(modelOptions, f.model ?? '');
  const source = select([{ value: '', label: 'any source' }, { value: 'served', label: 'served' }, { value: 'shadow', label: 'shadow' }, { value: 'imported', label: 'imported' }], f.source ?? '');
  const since = input('date', f.since?.slice(0, 10), { 'aria-label': 'From (inclusive)' });
  const until = input('date', f.until?.slice(0, 10), { 'aria-label': 'Until (exclusive)' });
  const labelled = select([{ value: '', label: 'any' }, { value: 'yes', label: 'labelled' }, { value: 'no', label: 'not labelled yet' }], f.labelled === undefined ? '' : f.labelled ? 'yes' : 'no');
  const min = input('number', f.score_min?.toString(), { step: '0.01', min: '0', 'aria-label': 'Minimum score' });
  const max = input('number', f.score_max?.toString(), { step: '0.01', 'aria-label': 'Maximum score' });
  const sort = select([
    { value: 'time_desc', label: 'newest first' }, { value: 'time_asc', label: 'oldest first' },
    { value: 'score_desc', label: 'highest score' }, { value: 'score_asc', label: 'lowest score' },
  ], ui.sort);
  const apply = (): void => {
    const num = (el: HTMLInputElement): number | undefined => (el.value === '' || !Number.isFinite(Number(el.value)) ? undefined : Number(el.value));
    ui.filters = {
      ...(model.value ? { model: model.value } : {}),
      ...(source.value ? { source: source.value } : {}),
      ...(since.value ? { since: since.value } : {}),
      ...(until.value ? { until: until.value } : {}),
      ...(labelled.value ? { labelled: labelled.value === 'yes' } : {}),
      ...(num(min) !== undefined ? { score_min: num(min) } : {}),
      ...(num(max) !== undefined ? { score_max: num(max) } : {}),
      ...(ui.filters.predicates?.length ? { predicates: ui.filters.predicates } : {}),
    };
    ui.sort = sort.value as PredictionsSort;
    ui.page = 0;
    ui.focused = 0;
    save();
    void loadPage(p);
  };
  for (const el of [since, until, min, max]) el.addEventListener('keydown', (e) => { if (e.key === 'Enter') apply(); });
  replace(p.toolbar,
    field('Model', model), field('Source', source), field('From', since), field('Until', until), field('Label', labelled),
    field('Score ≥', min), field('Score ≤', max), field('Order', sort),
    button('Apply', apply),
    button('Reset', () => { ui = { ...DEFAULT_UI }; save(); renderToolbar(p); void loadPage(p); }, { secondary: true }),
    predicateEditor(p),
  );
}

function predicateEditor(p: PageParts): HTMLElement {
  const predicates = ui.filters.predicates ?? [];
  const chips = predicates.map((q, i) => h('span', { className: 'chip' }, fmt.predicate(q),
    h('button', {
      type: 'button', 'aria-label': `Remove condition ${fmt.predicate(q)}`, title: 'Remove',
      onclick: () => {
        const next = predicates.filter((_, j) => j !== i);
        ui.filters = { ...ui.filters, ...(next.length ? { predicates: next } : { predicates: undefined }) };
        if (!next.length) delete ui.filters.predicates;
        ui.page = 0;
        save();
        renderToolbar(p);
        void loadPage(p);
      },
    }, '×')));
  const feature = input('text', '', { size: '12', list: 'feature-names', placeholder: 'feature', 'aria-label': 'Condition feature' });
  const op = select([{ value: '==', label: '=' }, { value: '<=', label: '≤' }, { value: '>', label: '>' }, { value: 'is_null', label: 'is missing' }], '==');
  op.setAttribute('aria-label', 'Condition operator');
  const value = input('text', '', { size: '8', placeholder: 'value', 'aria-label': 'Condition value' });
  const add = (): void => {
    const name = feature.value.trim();
    if (!name) return;
    let q: SliceCondition;
    if (op.value === 'is_null') q = { feature: name, op: 'is_null', value: null };
    else if (op.value === '==') q = { feature: name, op: '==', value: value.value };
    else {
      const v = Number(value.value);
      if (!Number.isFinite(v)) { p.showError(`“${value.value}” is not a number`, 'Condition'); return; }
      q = { feature: name, op: op.value as '<=' | '>', value: v };
    }
    ui.filters = { ...ui.filters, predicates: [...predicates, q] };
    ui.page = 0;
    save();
    renderToolbar(p);
    void loadPage(p);
  };
  value.addEventListener('keydown', (e) => { if (e.key === 'Enter') add(); });
  const names = h('datalist', { id: 'feature-names' }, (current?.features ?? []).map((n) => h('option', { value: n })));
  return h('div', { className: 'field', role: 'group', 'aria-label': 'Slice conditions' },
    h('label', {}, 'Slice'),
    h('div', {}, chips.length ? chips : h('span', { className: 'muted' }, 'all rows '), feature, op, value, button('Add', add, { secondary: true }), names));
}

async function loadPage(p: PageParts): Promise<void> {
  const g = ++generation;
  p.clearError();
  p.setBusy(true);
  try {
    const page = await p.messenger.request(PredictionsPageRequest, { page: ui.page, page_size: ui.pageSize, filters: ui.filters, sort: ui.sort });
    if (g !== generation) return;
    const hadModels = (current?.models.length ?? 0) > 0;
    current = page;
    p.setStatus(statusText());
    if (!hadModels) renderToolbar(p); // the model list arrives with the first page
    renderTable(p);
  } catch (err) {
    if (g === generation) p.showError(err, 'Predictions');
  } finally {
    if (g === generation) p.setBusy(false);
  }
}

function renderTable(p: PageParts): void {
  if (!current) return;
  const page = current;
  const columns: Column<PredictionRow>[] = [
    { key: 'time', label: 'Time (UTC)', render: (r) => fmt.time(r.time) },
    { key: 'model', label: 'Model', render: (r) => `${r.model}@${r.version}` },
    { key: 'source', label: 'Source', render: (r) => sourceCell(r.source) },
    { key: 'score', label: 'Score', numeric: true, render: (r) => fmt.num(r.score, 3) },
    { key: 'pred', label: 'Predicted', numeric: true, render: (r) => r.label_pred ?? '–' },
    { key: 'label', label: 'Label', numeric: true, render: (r) => (r.label === null ? h('span', { className: 'muted' }, 'pending') : h('span', { className: r.label_pred !== null && String(r.label) !== r.label_pred ? 'bad-text' : null }, String(r.label))) },
    ...page.features.map((name): Column<PredictionRow> => ({ key: `f:${name}`, label: name, numeric: typeof page.rows[0]?.features[name] === 'number', render: (r) => fmtValue(r.features[name]) })),
  ];
  const table = dataTable({
    caption: 'Predictions of this page; Enter opens one',
    columns,
    rows: page.rows,
    onActivate: (r, i) => {
      ui.selected = r.id;
      ui.focused = i;
      save();
      renderTable(p);
      void loadDetail(p, r.id);
    },
    rowLabel: (r) => `${fmt.time(r.time)}, ${r.model}@${r.version}, score ${fmt.num(r.score)}, predicted ${r.label_pred ?? 'none'}, label ${r.label ?? 'pending'}`,
    isSelected: (r) => r.id === ui.selected,
    activeIndex: ui.focused ?? 0,
    empty: 'No prediction matches these filters.',
  });
  const pages = Math.max(1, Math.ceil(page.total / page.page_size));
  const go = (n: number): void => {
    ui.page = Math.min(Math.max(n, 0), pages - 1);
    ui.focused = 0;
    save();
    void loadPage(p);
  };
  const size = select([25, 50, 100, 200].map((n) => ({ value: String(n), label: `${n} per page` })), String(ui.pageSize), (v) => {
    ui.pageSize = Number(v);
    ui.page = 0;
    save();
    void loadPage(p);
  });
  size.setAttribute('aria-label', 'Page size');
  const first = page.page === 0;
  const last = page.page >= pages - 1;
  replace(tableCard,
    h('h2', { id: 'predictions-title' }, `Predictions (${fmt.count(page.total)})`),
    table.element,
    h('nav', { className: 'pager', 'aria-label': 'Pages' },
      button('« First', () => go(0), { secondary: true, disabled: first }),
      button('‹ Previous', () => go(page.page - 1), { secondary: true, disabled: first }),
      h('span', { 'aria-live': 'polite' }, `Page ${page.page + 1} of ${fmt.count(pages)}`),
      button('Next ›', () => go(page.page + 1), { secondary: true, disabled: last }),
      button('Last »', () => go(pages - 1), { secondary: true, disabled: last }),
      size),
  );
}

async function loadDetail(p: PageParts, id: string): Promise<void> {
  detailCard.hidden = false;
  replace(detailCard, h('h2', { id: 'prediction-title' }, 'Prediction'), h('p', { className: 'muted' }, 'Loading…'));
  try {
    const d = await p.messenger.request(PredictionDetailRequest, { id });
    if (ui.selected !== id) return;
    renderDetail(p, d);
  } catch (err) {
    replace(detailCard, h('h2', { id: 'prediction-title' }, 'Prediction'), h('p', { className: 'bad-text' }, (err as Error).message));
  }
}

function renderDetail(p: PageParts, d: PredictionDetail): void {
  const inputs = Object.entries(d.inputs);
  const attributes = Object.entries(d.attributes);
  const kv = (rows: [string, unknown][], caption: string): HTMLElement => dataTable({
    caption,
    columns: [
      { key: 'k', label: 'Name', render: (r) => h('span', { className: 'mono' }, r[0]) },
      { key: 'v', label: 'Value', numeric: true, render: (r) => fmtValue(r[1]) },
    ],
    rows,
    rowLabel: (r) => `${r[0]}: ${String(r[1])}`,
  }).element;
  const label = d.label
    ? `${d.label.value ?? d.label.text ?? '–'} (arrived ${fmt.time(d.label.time)}${d.label.source ? ` from ${d.label.source}` : ''})`
    : 'not arrived yet';
  replace(detailCard,
    h('h2', { id: 'prediction-title' }, `Prediction ${d.id.slice(0, 13)}…`),
    facts([
      ['id', h('span', { className: 'mono' }, d.id)],
      ['time', fmt.time(d.time)],
      ['model', `${d.model.name}@${d.model.version} (sha256 ${fmt.shortHash(d.model.id)})`],
      ['source', d.source],
      ['execution provider', d.execution_provider ?? '–'],
      ['latency', fmt.ms(d.latency_ms)],
      ['join key', d.join_key ?? '–'],
      ['score', fmt.num(d.score, 4)],
      ['predicted', d.label_pred ?? '–'],
      ['label', label],
      ...(d.flags.length ? [['flags', d.flags.map((f) => f.reason ?? 'flagged').join('; ')] as [string, string]] : []),
    ]),
    h('h3', {}, 'Inputs'),
    kv(inputs, 'Model inputs'),
    attributes.length ? [h('h3', {}, 'Attributes'), kv(attributes, 'Slice attributes')] : null,
    h('h3', {}, 'Outputs'),
    h('pre', { className: 'json' }, JSON.stringify(d.outputs, null, 1)),
    h('h3', {}, 'Trace'),
    traceSummary(d),
    button('Open lineage graph', () => p.messenger.command(OpenLineageCommand, { target: d.id })),
  );
}

function traceSummary(d: PredictionDetail): HTMLElement {
  const t = d.trace;
  if (!t) return h('p', { className: 'muted' }, d.trace_error ?? 'No lineage recorded.');
  // Breadth-first from the prediction: what it came from, step by step.
  const order: string[] = [t.root];
  for (let i = 0; i < order.length; i++) for (const e of t.edges) if (e.from === order[i] && !order.includes(e.to)) order.push(e.to);
  return h('ol', { className: 'chain' }, order.map((key, i) => {
    const n = t.nodes.find((x) => x.key === key);
    if (!n) return null;
    const text = n.type === 'prediction' ? `prediction of ${n.model}@${n.version}`
      : n.type === 'model' ? `model ${n.name}@${n.version} · sha256 ${fmt.shortHash(n.id)}`
      : n.type === 'run' ? `run ${n.component} · commit ${n.git_commit?.slice(0, 7) ?? '?'}${n.stale ? ' · STALE' : ''}`
      : `${n.kind} ${n.name} · sha256 ${fmt.shortHash(n.content_hash)}`;
    return h('li', {}, h('span', { className: 'arrow', 'aria-hidden': 'true' }, i === 0 ? '●' : '↖'), text);
  }));
}

function fmtValue(v: unknown): string {
  if (v === null || v === undefined) return '–';
  if (typeof v === 'number') return fmt.num(v, 4);
  return String(v);
}

/** `replay:<run id>` is long; the table shows the run's short id, the tooltip the whole source. */
function sourceCell(source: string): HTMLElement | string {
  const m = /^replay:(?:replay-)?(.+)$/.exec(source);
  return m ? h('span', { title: source }, `replay ${m[1]!.slice(-8)}`) : source;
}
