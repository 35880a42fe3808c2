/**
 * Failing slices: the slices whose loss is significantly worse than the rest (Welch's t-test,
 * Benjamini–Hochberg), as a sortable table — predicates, n, the loss, its 95 % interval (drawn
 * against the overall loss), effect size, adjusted p. Keyboard: headers sort (Enter/Space), rows
 * are one tab stop (↑/↓/Home/End), Enter/Space opens the slice's predictions in the explorer.
 * Sort, the feature filter and the focused row survive a reload.
 */
import '../shared/zod-jitless';
import '../shared/styles.css';
import type { FailingSlice, SlicesResult } from '../../protocol/slices';
import { DaemonEventNotification, OpenPredictionsCommand, SlicesArgs, SlicesReportRequest } from '../../protocol/webview';
import { h, replace, svg } from '../shared/dom';
import * as fmt from '../shared/format';
import { button, section, startPanel, type PageParts } from '../shared/page';
import { dataTable, type Column, type SortState } from '../shared/table';

interface Ui {
  sort?: SortState | null;
  /** Only slices with a predicate on this feature. */
  feature?: string;
  onlyFeature: boolean;
  focused?: number;
}

let ui: Ui = { onlyFeature: true, sort: { key: 'effect', dir: 'desc' } };
let args: { feature?: string } = {};
let result: SlicesResult | null = null;
const card = section('Failing slices', 'slices');

const parts = startPanel('slices', 'Failing slices', (p, init) => {
  const parsed = SlicesArgs.safeParse(init.args);
  args = parsed.success ? parsed.data : {};
  const saved = p.messenger.loadState();
  if (init.reason === 'load' && saved) ui = { ...ui, ...(saved.ui as Partial<Ui>) };
  if (init.reason === 'retarget' || !saved) {
    ui.feature = args.feature;
    ui.onlyFeature = Boolean(args.feature);
  }
  replace(p.body, card);
  void load(p);
});

parts.messenger.on(DaemonEventNotification, (e) => {
  if (e.event === 'label' || e.event === 'finding') parts.setStatus(`${statusText()} — new ${e.event}s arrived; Refresh to recompute.`);
});

function save(): void {
  parts.messenger.saveState(args, { ...ui });
}

function statusText(): string {
  if (!result) return '';
  const r = result.report;
  return `${result.model_name ?? 'all models'} · ${result.window} · ${fmt.count(r.n)} rows analysed · loss ${r.loss}${r.labels ? '' : ' (no labels)'} · overall ${fmt.num(r.metric_overall)} · ${r.significant} significant of ${fmt.count(r.candidates)} candidates (BH α = ${r.alpha})`;
}

async function load(p: PageParts): Promise<void> {
  p.clearError();
  p.setBusy(true);
  p.setStatus('Finding failing slices…');
  replace(p.toolbar, button('Refresh', () => void load(p), { secondary: true }));
  try {
    result = await p.messenger.request(SlicesReportRequest, { window: {} });
    p.setStatus(statusText());
    render(p);
  } catch (err) {
    p.showError(err, 'Failing slices');
  } finally {
    p.setBusy(false);
  }
}

function render(p: PageParts, focus = false): void {
  if (!result) return;
  const report = result.report;
  const all = report.slices;
  const rows = ui.onlyFeature && ui.feature ? all.filter((s) => s.predicates.some((q) => q.feature === ui.feature)) : all;
  const scale = intervalScale(all, report.metric_overall);
  const columns: Column<FailingSlice>[] = [
    { key: 'slice', label: 'Slice', value: (s) => fmt.slice(s.predicates), render: (s) => h('span', { className: 'mono' }, fmt.slice(s.predicates)) },
    { key: 'n', label: 'n', numeric: true, value: (s) => s.n, render: (s) => fmt.count(s.n), title: 'Rows in the slice' },
    { key: 'metric', label: lossName(report.loss), numeric: true, value: (s) => s.metric, render: (s) => h('span', { className: 'bad-text' }, fmt.num(s.metric)), title: `Mean ${report.loss} loss in the slice` },
    { key: 'rest', label: 'Rest', numeric: true, value: (s) => s.metric_rest, render: (s) => fmt.num(s.metric_rest), title: 'Mean loss of every other row' },
    { key: 'ci', label: '95 % CI', value: (s) => s.ci[0], render: (s) => h('span', { className: 'ci-cell' }, intervalBar(s, scale, report.metric_overall), h('span', { className: 'mono' }, fmt.ci(s.ci))), title: 'Wilson interval (0/1 loss) or normal interval of the slice loss; dashed line: overall' },
    { key: 'effect', label: 'Effect size', numeric: true, value: (s) => s.effect_size ?? Number.MAX_VALUE, render: (s) => (s.effect_size === null ? '∞' : fmt.num(s.effect_size)), title: '(slice − rest) / pooled std' },
    { key: 'p', label: 'Adjusted p', numeric: true, value: (s) => s.p_adjusted, render: (s) => fmt.pValue(s.p_adjusted), title: 'Welch t-test, Benjamini–Hochberg adjusted' },
  ];
  const table = dataTable({
    caption: 'Failing slices; Enter opens the slice\u2019s predictions',
    columns,
    rows,
    sort: ui.sort ?? null,
    onSort: (sort) => {
      ui.sort = sort;
      save();
      render(p);
      (card.querySelectorAll('th button')[columns.findIndex((c) => c.key === sort.key)] as HTMLElement | undefined)?.focus();
    },
    onActivate: (s, i) => {
      ui.focused = i;
      save();
      p.messenger.command(OpenPredictionsCommand, { filter: { predicates: s.predicates } });
    },
    rowLabel: (s) => `${fmt.slice(s.predicates)}: ${fmt.count(s.n)} rows, ${report.loss} ${fmt.num(s.metric)} (95 % CI ${fmt.ci(s.ci)}), effect ${s.effect_size === null ? 'infinite' : fmt.num(s.effect_size)}, adjusted p ${fmt.pValue(s.p_adjusted)}. Enter opens its predictions.`,
    activeIndex: ui.focused ?? 0,
    className: 'slices',
    empty: all.length === 0 ? 'No significantly failing slice: every candidate is within noise of the rest.' : `No failing slice involves ${ui.feature}.`,
  });
  const filter = ui.feature
    ? h('label', { className: 'hint' },
        h('input', {
          type: 'checkbox', checked: ui.onlyFeature,
          onchange: (e: Event) => { ui.onlyFeature = (e.target as HTMLInputElement).checked; save(); render(p); },
        }),
        ` only slices on ${ui.feature} (${all.filter((s) => s.predicates.some((q) => q.feature === ui.feature)).length} of ${all.length})`)
    : null;
  replace(card,
    h('h2', { id: 'slices-title' }, `Failing slices (${rows.length})`),
    filter,
    table.element,
    h('p', { className: 'hint' }, 'Sort with the column headers. ↑/↓ move between slices; Enter or Space opens a slice\u2019s predictions. ',
      report.note ? h('span', {}, report.note) : null),
  );
  if (focus) table.focusRow(ui.focused ?? 0);
  // Keep the focused row in the state as the user moves.
  card.querySelector('tbody')?.addEventListener('focusin', (e) => {
    const i = Number((e.target as HTMLElement).dataset.index);
    if (Number.isFinite(i) && ui.focused !== i) { ui.focused = i; save(); }
  });
}

function lossName(loss: string): string {
  return { zero_one: 'Error rate', log_loss: 'Log loss', abs_error: 'Abs. error', score_shift: 'Mean score', low_confidence: 'Low confidence' }[loss] ?? loss;
}

interface Scale { lo: number; hi: number }

function intervalScale(slices: FailingSlice[], overall: number | null): Scale {
  const values = slices.flatMap((s) => [s.ci[0], s.ci[1]]).concat(overall === null ? [] : [overall]);
  const lo = Math.min(0, ...values);
  const hi = Math.max(...values, lo + 1e-9);
  return { lo, hi };
}

/** The slice's interval and point on a shared axis, with the overall loss as a dashed line. */
function intervalBar(s: FailingSlice, scale: Scale, overall: number | null): SVGElement {
  const W = 120;
  const H = 14;
  const x = (v: number): number => 2 + ((v - scale.lo) / (scale.hi - scale.lo)) * (W - 4);
  return svg('svg', { className: 'interval', width: W, height: H, viewBox: `0 0 ${W} ${H}`, 'aria-hidden': 'true' },
    svg('line', { className: 'axis', x1: 0, x2: W, y1: H / 2, y2: H / 2 }),
    svg('rect', { className: 'range', x: x(s.ci[0]), y: 3, width: Math.max(1, x(s.ci[1]) - x(s.ci[0])), height: H - 6, rx: 2 }),
    svg('circle', { className: 'point', cx: x(s.metric), cy: H / 2, r: 3 }),
    overall === null ? null : svg('line', { className: 'overall', x1: x(overall), x2: x(overall), y1: 0, y2: H }),
  );
}
