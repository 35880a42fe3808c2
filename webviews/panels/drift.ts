/**
 * Drift diff: every feature of a drift report (verdict, deciding metric, score, threshold); for the
 * selected feature its reference vs current distribution overlaid, all of its metrics, and its
 * drift score per day or week. Baseline (named, previous window, week ago) and window are picked
 * in the toolbar; selection, baseline, window, bucket and sort survive a reload (setState).
 */
import '../shared/zod-jitless';
import '../shared/styles.css';
import {
  DaemonEventNotification, DriftArgs, DriftBaselinesRequest, DriftDistributionRequest, DriftReportRequest, DriftSaveRequest,
  DriftTimelineRequest, OpenSlicesCommand,
} from '../../protocol/webview';
import type { AnalysisWindow } from '../../protocol/slices';
import type { DriftDistribution, DriftFeatureResult, DriftQueryResult, DriftTimeline } from '../../protocol/queries';
import { ChartSlot, overlaidBars, scoreLine } from '../shared/charts';
import { h, replace } from '../shared/dom';
import * as fmt from '../shared/format';
import { button, field, input, section, select, startPanel, verdictBadge, type PageParts } from '../shared/page';
import { dataTable, type Column, type SortState } from '../shared/table';

interface Ui {
  baseline?: string;
  since?: string;
  until?: string;
  bucket: 'day' | 'week';
  feature?: string;
  sort?: SortState | null;
}

let ui: Ui = { bucket: 'week' };
let args: { feature?: string; baseline?: string } = {};
let readOnly = true;
let report: DriftQueryResult | null = null;
let generation = 0;

const distributionChart = new ChartSlot('Reference and current distribution', overlaidBars([], [], [], { ref: 'reference', cur: 'current' }, ''));
const timelineChart = new ChartSlot('Drift score over time', scoreLine([], [], [], [], 'score'), 'chart small');

const featuresCard = section('Features', 'features');
const distributionCard = section('Distribution', 'distribution');
const metricsCard = section('Metrics', 'metrics');
const timelineCard = section('Drift over time', 'timeline');

const parts = startPanel('drift', 'Drift', (p, init) => {
  const parsed = DriftArgs.safeParse(init.args);
  args = parsed.success ? parsed.data : {};
  readOnly = init.readOnly;
  const saved = p.messenger.loadState();
  if (init.reason === 'load' && saved) ui = { ...ui, ...(saved.ui as Partial<Ui>) };
  if (init.reason === 'retarget' || !saved) {
    if (args.feature) ui.feature = args.feature;
    if (args.baseline) ui.baseline = args.baseline;
  }
  void start(p);
});

parts.messenger.on(DaemonEventNotification, (e) => {
  if (e.event !== 'finding') return;
  parts.setStatus(`${statusText()} — new findings arrived; press Apply to refresh.`);
});

function save(): void {
  parts.messenger.saveState(args, { ...ui });
}

function windowSpec(): AnalysisWindow {
  return { ...(ui.since ? { since: ui.since } : {}), ...(ui.until ? { until: ui.until } : {}) };
}

async function start(p: PageParts): Promise<void> {
  p.setBusy(true);
  try {
    const { baselines } = await p.messenger.request(DriftBaselinesRequest, {});
    const options = [
      ...baselines.map((b) => ({ value: b.name, label: `${b.name} (${fmt.count(b.rows)} rows)` })),
      { value: 'previous', label: 'previous window' },
      { value: 'week-ago', label: 'same window a week earlier' },
    ];
    if (!ui.baseline || !options.some((o) => o.value === ui.baseline)) ui.baseline = baselines[0]?.name ?? 'previous';
    renderToolbar(p, options);
    replace(p.body, h('div', { className: 'columns' }, h('div', { className: 'stack' }, featuresCard, metricsCard), h('div', { className: 'stack' }, distributionCard, timelineCard)));
    await loadReport(p);
  } catch (err) {
    p.showError(err, 'Cannot load drift');
  } finally {
    p.setBusy(false);
  }
}

function renderToolbar(p: PageParts, options: { value: string; label: string }[]): void {
  const baseline = select(options, ui.baseline);
  baseline.setAttribute('aria-describedby', 'baseline-hint');
  const since = input('date', ui.since, { 'aria-label': 'Window start (inclusive)' });
  const until = input('date', ui.until, { 'aria-label': 'Window end (exclusive)' });
  const bucket = select([{ value: 'day', label: 'per day' }, { value: 'week', label: 'per week' }], ui.bucket);
  const apply = (): void => {
    ui.baseline = baseline.value;
    ui.since = since.value || undefined;
    ui.until = until.value || undefined;
    ui.bucket = bucket.value === 'day' ? 'day' : 'week';
    save();
    void loadReport(p);
  };
  for (const el of [since, until]) el.addEventListener('keydown', (e) => { if (e.key === 'Enter') apply(); });
  const saveButton = button('Save as findings', () => void saveFindings(p), { secondary: true, title: 'Store the drifted features as findings (shown on the feature code)' });
  saveButton.hidden = readOnly;
  replace(p.toolbar,
    field('Baseline', baseline),
    field('Since', since),
    field('Until', until),
    field('Score over time', bucket),
    button('Apply', apply),
    saveButton,
    h('span', { id: 'baseline-hint', className: 'hint' }, '“previous” and “week ago” need both dates.'),
  );
}

function statusText(): string {
  if (!report) return '';
  const r = report.report;
  return `${report.window} vs ${report.baseline} · ${r.features.length} features compared, ${r.drifted.length} drifted`;
}

async function loadReport(p: PageParts): Promise<void> {
  const g = ++generation;
  p.clearError();
  p.setBusy(true);
  p.setStatus('Computing drift…');
  try {
    const result = await p.messenger.request(DriftReportRequest, { baseline: ui.baseline!, window: windowSpec() });
    if (g !== generation) return;
    report = result;
    p.setStatus(statusText());
    const names = result.report.features.map((f) => f.name);
    if (!ui.feature || !names.includes(ui.feature)) ui.feature = result.report.drifted[0] ?? names[0];
    save();
    renderFeatures(p);
    await loadFeature(p);
  } catch (err) {
    if (g === generation) p.showError(err, 'Drift');
  } finally {
    if (g === generation) p.setBusy(false);
  }
}

const featureColumns: Column<DriftFeatureResult>[] = [
  { key: 'name', label: 'Feature', value: (f) => f.name, render: (f) => h('span', { className: 'mono' }, f.name) },
  { key: 'drift', label: 'Verdict', value: (f) => (f.drift ? 1 : 0), render: (f) => verdictBadge(f.drift, 'drift', 'ok') },
  { key: 'method', label: 'Metric', value: (f) => f.method, render: (f) => f.method },
  { key: 'score', label: 'Score', numeric: true, value: (f) => f.score ?? Number.MAX_VALUE, render: (f) => h('span', { className: f.drift ? 'bad-text' : null }, fmt.score(f.score)) },
  { key: 'threshold', label: 'Threshold', numeric: true, value: (f) => f.threshold, render: (f) => fmt.num(f.threshold) },
  { key: 'n_cur', label: 'n current', numeric: true, value: (f) => f.n_cur, render: (f) => fmt.count(f.n_cur), title: 'Non-missing current values compared' },
];

function renderFeatures(p: PageParts): void {
  if (!report) return;
  const features = report.report.features;
  const table = dataTable({
    caption: 'Drift per feature; Enter selects a feature',
    columns: featureColumns,
    rows: features,
    sort: ui.sort ?? null,
    onSort: (sort) => { ui.sort = sort; save(); renderFeatures(p); focusHeader(sort.key); },
    onActivate: (f) => {
      if (ui.feature === f.name) return;
      ui.feature = f.name;
      save();
      renderFeatures(p);
      void loadFeature(p);
    },
    rowLabel: (f) => `${f.name}: ${f.drift ? 'drift' : 'no drift'}, ${f.method} ${fmt.score(f.score)} (threshold ${fmt.num(f.threshold)})`,
    isSelected: (f) => f.name === ui.feature,
    activeIndex: undefined,
  });
  const selectedIndex = table.rows.findIndex((f) => f.name === ui.feature);
  const hadFocus = featuresCard.contains(document.activeElement) && document.activeElement?.tagName === 'TR';
  replace(featuresCard, h('h2', { id: 'features-title' }, 'Features'), table.element,
    h('p', { className: 'hint' }, 'Select a feature (↑/↓, Enter) to see its distribution and history. ',
      h('button', { type: 'button', className: 'link', onclick: () => parts.messenger.command(OpenSlicesCommand, ui.feature ? { feature: ui.feature } : {}) }, 'Failing slices…')));
  if (selectedIndex >= 0) {
    const rows = featuresCard.querySelectorAll('tbody tr');
    rows.forEach((r, i) => ((r as HTMLElement).tabIndex = i === selectedIndex ? 0 : -1));
    if (hadFocus) table.focusRow(selectedIndex);
  }
}

function focusHeader(key: string): void {
  const index = featureColumns.findIndex((c) => c.key === key);
  (featuresCard.querySelectorAll('th button')[index] as HTMLElement | undefined)?.focus();
}

async function loadFeature(p: PageParts): Promise<void> {
  const feature = report?.report.features.find((f) => f.name === ui.feature);
  if (!feature) return;
  const g = generation;
  renderMetrics(feature);
  replace(distributionCard, h('h2', { id: 'distribution-title' }, `Distribution: ${feature.name}`), h('p', { className: 'muted' }, 'Loading…'));
  replace(timelineCard, h('h2', { id: 'timeline-title' }, `Drift over time: ${feature.name}`), h('p', { className: 'muted' }, 'Loading…'));
  const params = { feature: feature.name, baseline: ui.baseline!, window: windowSpec() };
  const [dist, timeline] = await Promise.allSettled([
    p.messenger.request(DriftDistributionRequest, params),
    p.messenger.request(DriftTimelineRequest, { ...params, bucket: ui.bucket, max_windows: ui.bucket === 'day' ? 31 : 26 }),
  ]);
  if (g !== generation || ui.feature !== feature.name) return;
  if (dist.status === 'fulfilled') renderDistribution(dist.value);
  else replace(distributionCard, h('h2', { id: 'distribution-title' }, `Distribution: ${feature.name}`), h('p', { className: 'bad-text' }, String((dist.reason as Error).message)));
  if (timeline.status === 'fulfilled') renderTimeline(timeline.value);
  else replace(timelineCard, h('h2', { id: 'timeline-title' }, `Drift over time: ${feature.name}`), h('p', { className: 'bad-text' }, String((timeline.reason as Error).message)));
}

function renderDistribution(d: DriftDistribution): void {
  const hist = d.histogram;
  const labels = 'edges' in hist ? fmt.binLabels(hist.edges) : hist.categories;
  const ref = hist.ref ?? [];
  const cur = hist.cur ?? [];
  const names = { ref: `reference (${d.baseline})`, cur: 'current window' };
  const summary = `${d.feature}: reference vs current share per ${'edges' in hist ? 'bin' : 'category'}`;
  distributionChart.update(summary, overlaidBars(labels, ref, cur, names, 'edges' in hist ? `${d.feature} (reference deciles)` : d.feature));
  const rows = labels.map((label, i) => ({ label, ref: ref[i] ?? 0, cur: cur[i] ?? 0 }));
  const bins = dataTable({
    caption: `Bins of ${d.feature}`,
    columns: [
      { key: 'bin', label: 'edges' in hist ? 'Bin' : 'Category', render: (r) => r.label },
      { key: 'ref', label: 'Reference', numeric: true, render: (r) => fmt.pct(r.ref) },
      { key: 'cur', label: 'Current', numeric: true, render: (r) => fmt.pct(r.cur) },
      { key: 'diff', label: 'Δ', numeric: true, render: (r) => h('span', { className: Math.abs(r.cur - r.ref) >= 0.05 ? 'bad-text' : null }, `${r.cur >= r.ref ? '+' : '−'}${(Math.abs(r.cur - r.ref) * 100).toFixed(1)} pt`) },
    ],
    rows,
    rowLabel: (r) => `${r.label}: reference ${fmt.pct(r.ref)}, current ${fmt.pct(r.cur)}`,
  });
  replace(distributionCard,
    h('h2', { id: 'distribution-title' }, `Distribution: ${d.feature}`),
    h('p', { className: 'legend-note' }, `${fmt.count(d.rows_ref)} reference rows (${d.baseline}) vs ${fmt.count(d.rows_cur)} current rows (${d.window}); outlined bars: reference, filled bars: current.`),
    distributionChart.element,
    h('details', {}, h('summary', {}, 'Bins as a table'), bins.element),
  );
  distributionChart.draw();
}

function renderTimeline(t: DriftTimeline): void {
  const labels = t.points.map((pt) => (t.bucket === 'week' ? `wk ${fmt.day(pt.start).slice(5)}` : fmt.day(pt.start).slice(5)));
  const values = t.points.map((pt) => pt.score);
  const methods = [...new Set(t.points.map((pt) => pt.method))];
  timelineChart.update(`${t.feature}: ${methods.join('/')} per ${t.bucket} vs ${t.baseline}`,
    scoreLine(labels, values, t.points.map((pt) => pt.threshold), t.points.map((pt) => pt.drift), methods.join(' / ') || 'score'));
  const drifted = t.points.filter((pt) => pt.drift).length;
  replace(timelineCard,
    h('h2', { id: 'timeline-title' }, `Drift over time: ${t.feature}`),
    h('p', { className: 'legend-note' }, t.points.length
      ? `${t.points.length} ${t.bucket === 'week' ? 'weeks' : 'days'} vs ${t.baseline}; ${drifted} with a drift verdict (red points; small windows also need p < 0.05)${t.truncated ? `; ${t.truncated} older windows not shown` : ''}.`
      : 'No predictions in this window.'),
    timelineChart.element,
  );
  timelineChart.draw();
}

function renderMetrics(f: DriftFeatureResult): void {
  const m = f.metrics as Record<string, unknown>;
  const n = (k: string): number | null => (typeof m[k] === 'number' ? (m[k] as number) : null);
  const sub = (k: string, s: string): number | null => {
    const o = m[k] as Record<string, unknown> | undefined;
    return o && typeof o[s] === 'number' ? (o[s] as number) : null;
  };
  const rows: Array<{ name: string; key: string; value: string }> = f.kind === 'numeric'
    ? [
        { name: 'Wasserstein / std(reference)', key: 'wasserstein_norm', value: f.method === 'wasserstein_norm' && f.score === null ? '∞' : fmt.num(n('wasserstein_norm')) },
        { name: 'PSI', key: 'psi', value: fmt.num(n('psi')) },
        { name: 'Jensen–Shannon distance', key: 'js', value: fmt.num(n('js')) },
        { name: 'Wasserstein', key: 'wasserstein', value: fmt.num(n('wasserstein')) },
        { name: 'KS statistic D', key: 'ks', value: fmt.num(sub('ks', 'statistic')) },
        { name: 'KS p-value', key: 'ks_p', value: fmt.pValue(sub('ks', 'p_value')) },
      ]
    : [
        { name: 'Jensen–Shannon distance', key: 'js', value: fmt.num(n('js')) },
        { name: 'L∞ (largest share change)', key: 'linf', value: fmt.num(n('linf')) },
        { name: 'PSI', key: 'psi', value: fmt.num(n('psi')) },
        { name: 'χ² statistic', key: 'chi2', value: fmt.num(sub('chi2', 'statistic')) },
        { name: 'χ² degrees of freedom', key: 'chi2_dof', value: fmt.num(sub('chi2', 'dof')) },
        { name: 'χ² p-value', key: 'chi2_p', value: fmt.pValue(sub('chi2', 'p_value')) },
      ];
  rows.push(
    { name: 'n reference / current', key: 'n', value: `${fmt.count(f.n_ref)} / ${fmt.count(f.n_cur)}` },
    { name: 'missing reference / current', key: 'missing', value: `${fmt.pct(f.missing_ref)} / ${fmt.pct(f.missing_cur)}` },
  );
  const table = dataTable({
    caption: `Drift metrics of ${f.name}`,
    columns: [
      { key: 'name', label: 'Metric', render: (r) => [r.name, r.key === f.method ? h('span', { className: 'badge', title: 'This metric decides the verdict' }, ' deciding') : null] },
      { key: 'value', label: 'Value', numeric: true, render: (r) => h('span', { className: r.key === f.method && f.drift ? 'bad-text' : null }, r.value) },
    ],
    rows,
    rowLabel: (r) => `${r.name}: ${r.value}`,
  });
  replace(metricsCard,
    h('h2', { id: 'metrics-title' }, `Metrics: ${f.name} (${f.kind})`),
    h('p', {}, verdictBadge(f.drift, 'drift', 'no drift'), ` ${f.method} ${fmt.score(f.score)} vs threshold ${fmt.num(f.threshold)}`),
    table.element,
  );
}

async function saveFindings(p: PageParts): Promise<void> {
  try {
    const { saved } = await p.messenger.request(DriftSaveRequest, { baseline: ui.baseline!, window: windowSpec() });
    p.setStatus(`${statusText()} — saved ${saved} finding${saved === 1 ? '' : 's'}.`);
  } catch (err) {
    p.showError(err, 'Save');
  }
}
