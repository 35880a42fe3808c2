/**
 * The compare view, for two kinds of report:
 * - Replay / eval: a ReplayReport (protocol/replay.ts) — gates, overall metric deltas with their
 *   intervals, per-slice deltas and slice regressions, flipped predictions (rate and sample),
 *   output differences, latency p50/p95/p99 per model, drift of the candidate's predictions
 *   against the baseline's, label sanity and the environment.
 * - Compare Models: a CompareReport (protocol/compare.ts, `sightline compare`) — two model versions
 *   on logged live traffic (A/B, canary, shadow): the two groups, each metric with both values and
 *   their 95 % intervals, the difference B − A with its interval, the test used, its statistic and
 *   p-value, the power analysis (rows per group needed to see the minimum effect) and the verdict.
 * From a stored run (`runId`) or a report handed over directly; the slice table's sort survives a reload.
 */
import '../shared/zod-jitless';
import '../shared/styles.css';
import type { CompareMetric, CompareReport, CompareVerdict } from '../../protocol/compare';
import type { MetricSet } from '../../protocol/metrics';
import type { GateResult, MetricDelta, ReplayReport, SliceComparison } from '../../protocol/replay';
import type { RunSummary } from '../../protocol/queries';
import { ArgsChangedCommand, CompareArgs, CompareReportRequest, CompareRunsRequest, DaemonEventNotification, OpenPredictionsCommand } from '../../protocol/webview';
import { ChartSlot, groupedBars, overlaidBars } from '../shared/charts';
import { h, replace, svg } from '../shared/dom';
import * as fmt from '../shared/format';
import { facts, field, section, select, startPanel, verdictBadge, type PageParts } from '../shared/page';
import { dataTable, type Column, type SortState } from '../shared/table';

interface Ui {
  slicesSort?: SortState | null;
}

let ui: Ui = {};
let args: { runId: string } | { report: ReplayReport | CompareReport } | null = null;
const latencyChart = new ChartSlot('Latency percentiles per model', groupedBars([], [], 'ms'), 'chart small');
const driftChart = new ChartSlot('Candidate vs baseline score distribution', overlaidBars([], [], [], { ref: 'baseline', cur: 'candidate' }, ''), 'chart small');

const parts = startPanel('compare', 'Replay compare', (p, init) => {
  const parsed = CompareArgs.safeParse(init.args);
  const saved = p.messenger.loadState();
  ui = init.reason === 'load' && saved ? { ...(saved.ui as Ui) } : {};
  args = parsed.success ? parsed.data : null;
  void load(p);
});

parts.messenger.on(DaemonEventNotification, (e) => {
  if (e.event !== 'run_progress') return;
  // Progress of another run that is still going (not the finished run on show, whose last
  // events may arrive after the view opened).
  const shown = args && 'runId' in args ? args.runId : null;
  const going = (e.data as Array<{ run_id?: unknown; kind?: unknown; phase?: unknown }>)
    .filter((d) => d && d.run_id !== shown && typeof d.phase === 'string' && !['done', 'failed', 'cancelled'].includes(d.phase));
  const last = going[going.length - 1];
  if (last) parts.setStatus(`A ${typeof last.kind === 'string' ? last.kind : 'run'} is in progress (${String(last.run_id)}: ${String(last.phase)}); pick it under Run when it has finished.`);
});

function save(): void {
  parts.messenger.saveState(args, { ...ui });
}

async function load(p: PageParts): Promise<void> {
  p.clearError();
  p.setBusy(true);
  try {
    let report: ReplayReport | CompareReport;
    let run: RunSummary | null = null;
    const runs = await p.messenger.request(CompareRunsRequest, {}).catch(() => ({ runs: [] as RunSummary[] }));
    renderToolbar(p, runs.runs);
    if (!args) {
      p.setStatus(runs.runs.length ? 'Pick a run.' : 'No replay or evaluation has run in this trace yet (Sightline: Replay Traffic).');
      replace(p.body);
      return;
    }
    if ('report' in args) report = args.report;
    else ({ report, run } = await p.messenger.request(CompareReportRequest, { runId: args.runId }));
    save();
    if (report.kind === 'compare') renderModels(p, report, run);
    else render(p, report, run);
  } catch (err) {
    p.showError(err, 'Compare');
  } finally {
    p.setBusy(false);
  }
}

function renderToolbar(p: PageParts, runs: RunSummary[]): void {
  if (runs.length === 0) { replace(p.toolbar); return; }
  const currentId = args && 'runId' in args ? args.runId : '';
  const picker = select([{ value: '', label: '(choose a run)' }, ...runs.map((r) => ({ value: r.id, label: `${r.kind} ${r.id} · ${fmt.time(r.started)}${r.passed === null ? '' : r.passed ? ' · passed' : ' · FAILED'}` }))], currentId, (v) => {
    if (!v) return;
    args = { runId: v };
    save();
    p.messenger.command(ArgsChangedCommand, { args });
    void load(p);
  });
  replace(p.toolbar, field('Run', picker));
}

function modelName(m: { name: string; version: string } | null): string {
  return m ? `${m.name}@${m.version}` : '–';
}

function setTitle(p: PageParts, title: string): void {
  const h1 = p.header.querySelector('h1');
  if (h1) h1.textContent = title;
}

function render(p: PageParts, r: ReplayReport, run: RunSummary | null): void {
  setTitle(p, r.kind === 'eval' ? 'Evaluation' : 'Replay compare');
  const failed = r.gates.filter((g) => !g.passed).length;
  p.setStatus(`${r.kind} ${r.run_id} · ${fmt.time(r.started)} → ${fmt.time(r.ended)} · ${fmt.count(r.traffic.rows)} rows from ${r.traffic.source}${r.traffic.window ? ` (${r.traffic.window})` : ''}${run?.status ? ` · ${run.status}` : ''}`);
  const headline = section(r.baseline ? `${modelName(r.candidate)} vs ${modelName(r.baseline)}` : `Evaluation of ${modelName(r.candidate)}`, 'summary',
    h('div', { className: 'summary-line' },
      h('span', { className: `badge ${r.passed ? 'good' : 'bad'}` }, r.passed ? 'gates passed' : `${failed} gate${failed === 1 ? '' : 's'} failed`),
      r.flips ? h('span', {}, `flip rate ${fmt.pct(r.flips.rate, 2)}`) : null,
      h('span', {}, `${r.slice_regressions.length} slice regression${r.slice_regressions.length === 1 ? '' : 's'}`),
      h('span', {}, `labels ${fmt.pct(r.label_sanity.coverage)}`),
      ...r.latency.map((l) => h('span', {}, `${l.model} p99 ${fmt.ms(l.p99_ms)}`)),
    ),
    r.warnings.length ? h('ul', {}, r.warnings.map((w) => h('li', { className: 'bad-text' }, w))) : null,
  );

  const gates = gatesSection(r.gates);

  // An evaluation has one model: its metrics with their intervals; a replay, the deltas.
  const overall = section(`Metrics on ${fmt.count(r.overall.n)} labelled rows`, 'overall',
    r.overall.baseline === null && r.overall.deltas.length === 0 ? metricTable(r.overall.candidate, 'Overall metrics') : deltaTable(r.overall.deltas, 'Overall metrics'));

  const latencyRows = r.latency;
  latencyChart.update(`Latency p50, p95 and p99 per model: ${latencyRows.map((l) => `${l.model} ${fmt.ms(l.p50_ms)}, ${fmt.ms(l.p95_ms)}, ${fmt.ms(l.p99_ms)}`).join('; ')}`,
    groupedBars(latencyRows.map((l) => `${l.model} (${l.role})`), [
      { label: 'p50', values: latencyRows.map((l) => l.p50_ms) },
      { label: 'p95', values: latencyRows.map((l) => l.p95_ms) },
      { label: 'p99', values: latencyRows.map((l) => l.p99_ms) },
    ], 'ms per call'));
  const latency = section('Latency', 'latency',
    latencyChart.element,
    dataTable({
      caption: 'Latency per model',
      columns: [
        { key: 'model', label: 'Model', render: (l) => `${l.model} (${l.role})` },
        { key: 'p50', label: 'p50', numeric: true, render: (l) => fmt.ms(l.p50_ms) },
        { key: 'p95', label: 'p95', numeric: true, render: (l) => fmt.ms(l.p95_ms) },
        { key: 'p99', label: 'p99', numeric: true, render: (l) => fmt.ms(l.p99_ms) },
        { key: 'rps', label: 'rows/s', numeric: true, render: (l) => fmt.count(l.rows_per_s) },
        { key: 'load', label: 'Load', render: (l) => `${l.concurrency}× · batch ${l.batch_size} · threads ${l.intra_op_threads ?? 'default'}/${l.inter_op_threads ?? 'default'} · ${l.execution_provider}` },
      ],
      rows: latencyRows,
      rowLabel: (l) => `${l.model}: p50 ${fmt.ms(l.p50_ms)}, p95 ${fmt.ms(l.p95_ms)}, p99 ${fmt.ms(l.p99_ms)}`,
    }).element);

  const flips = r.flips
    ? section(`Flipped predictions: ${fmt.count(r.flips.count)} of ${fmt.count(r.flips.n)} (${fmt.pct(r.flips.rate, 2)})`, 'flips',
        h('p', { className: 'hint' }, `${fmt.count(r.flips.to_positive)} became positive, ${fmt.count(r.flips.to_negative)} became negative`,
          r.flips.fixed !== undefined ? `; of the labelled flips the candidate fixed ${fmt.count(r.flips.fixed)} and broke ${fmt.count(r.flips.broken ?? 0)}` : '', '.'),
        dataTable({
          caption: 'A sample of flipped predictions',
          columns: [
            { key: 'key', label: 'Key', render: (f) => h('span', { className: 'mono' }, f.join_key ?? f.prediction_id?.slice(0, 13) ?? '–') },
            { key: 'b', label: 'Baseline', numeric: true, render: (f) => `${fmt.num(f.baseline_score)} → ${f.baseline_label ?? '–'}` },
            { key: 'c', label: 'Candidate', numeric: true, render: (f) => `${fmt.num(f.candidate_score)} → ${f.candidate_label ?? '–'}` },
            { key: 'label', label: 'Label', numeric: true, render: (f) => (f.label === null ? h('span', { className: 'muted' }, 'pending') : String(f.label)) },
            { key: 'features', label: 'Inputs', render: (f) => h('span', { className: 'muted' }, Object.entries(f.features).slice(0, 4).map(([k, v]) => `${k}=${typeof v === 'number' ? fmt.num(v) : String(v)}`).join(', ')) },
          ],
          rows: r.flips.examples.slice(0, 12),
          rowLabel: (f) => `${f.join_key ?? f.prediction_id}: baseline ${fmt.num(f.baseline_score)}, candidate ${fmt.num(f.candidate_score)}, label ${f.label ?? 'pending'}`,
          empty: 'No prediction flipped.',
        }).element)
    : null;

  const od = r.output_difference;
  const outputs = od ? section('Output difference (candidate − baseline)', 'outputs', facts([
    ['rows', fmt.count(od.n)], ['mean (signed)', fmt.signed(od.mean)], ['mean |Δ|', fmt.num(od.mean_abs, 4)],
    ['p50 / p95 / p99 |Δ|', `${fmt.num(od.p50_abs, 4)} / ${fmt.num(od.p95_abs, 4)} / ${fmt.num(od.p99_abs, 4)}`], ['max |Δ|', fmt.num(od.max_abs, 4)],
    ['equal within tolerance', `${fmt.pct(od.within_tolerance)} (abs ${od.tolerance.abs}, rel ${od.tolerance.rel})`], ['non-finite', fmt.count(od.non_finite)],
  ])) : null;

  const pd = r.prediction_drift;
  let driftSection: HTMLElement | null = null;
  if (pd) {
    const hist = pd.histogram;
    if (hist) {
      const labels = 'edges' in hist ? fmt.binLabels(hist.edges) : hist.categories;
      driftChart.update('Score distribution of the baseline (outlined) and the candidate (filled)', overlaidBars(labels, hist.ref ?? [], hist.cur ?? [], { ref: `baseline ${modelName(r.baseline)}`, cur: `candidate ${modelName(r.candidate)}` }, 'score (baseline deciles)'));
    }
    driftSection = section('Prediction drift (candidate vs baseline scores)', 'prediction-drift',
      h('p', {}, verdictBadge(pd.drift, 'drift', 'no drift'), ` ${pd.method} ${fmt.score(pd.score)} vs threshold ${fmt.num(pd.threshold)}`),
      hist ? driftChart.element : null);
  }

  const ls = r.label_sanity;
  const labels = section('Label sanity', 'labels',
    h('p', {}, verdictBadge(!ls.ok, 'suspicious', 'ok')),
    facts([
      ['coverage', `${fmt.count(ls.labelled)} of ${fmt.count(ls.rows)} (${fmt.pct(ls.coverage)})`],
      ['positive rate', `${fmt.pct(ls.positive_rate)} vs ${fmt.pct(ls.baseline_positive_rate)}${ls.baseline_source ? ` (${ls.baseline_source})` : ''}`],
    ]),
    ls.warnings.length ? h('ul', {}, ls.warnings.map((w) => h('li', { className: 'bad-text' }, w))) : null);

  const slices = section(`Slices (${r.slices.length})`, 'slice-deltas', sliceTable(p, r));
  const regressions = section(`Slice regressions (${r.slice_regressions.length})`, 'regressions', dataTable({
    caption: 'Slices where the candidate is significantly worse; Enter opens their predictions',
    columns: [
      { key: 'slice', label: 'Slice', render: (s) => h('span', { className: 'mono' }, fmt.slice(s.predicates)) },
      { key: 'n', label: 'n', numeric: true, render: (s) => fmt.count(s.n) },
      { key: 'metric', label: 'Metric', render: (s) => s.metric },
      { key: 'b', label: 'Baseline', numeric: true, render: (s) => fmt.num(s.baseline, 4) },
      { key: 'c', label: 'Candidate', numeric: true, render: (s) => fmt.num(s.candidate, 4) },
      { key: 'd', label: 'Δ', numeric: true, render: (s) => h('span', { className: 'delta-bad' }, fmt.signed(s.delta)) },
      { key: 'ci', label: '95 % CI', numeric: true, render: (s) => fmt.ci(s.ci, 4) },
      { key: 'p', label: 'Adjusted p', numeric: true, render: (s) => fmt.pValue(s.p_adjusted) },
    ],
    rows: r.slice_regressions,
    onActivate: (s) => p.messenger.command(OpenPredictionsCommand, { filter: { predicates: s.predicates } }),
    rowLabel: (s) => `${fmt.slice(s.predicates)}: ${s.metric} ${fmt.signed(s.delta)}`,
    empty: 'No slice got significantly worse.',
  }).element);

  const env = r.environment;
  const environment = section('Environment', 'environment', facts([
    ['execution providers', Object.entries(env.execution_providers).map(([m, ep]) => `${m}: ${ep}`).join(', ')],
    ['onnxruntime', env.onnxruntime], ['sightline', env.sightline], ['node', env.node], ['platform', `${env.platform}${env.cpus ? `, ${env.cpus} CPUs` : ''}`],
    ['threads (intra/inter)', `${env.intra_op_threads ?? 'default'} / ${env.inter_op_threads ?? 'default'}`],
    ['load', `concurrency ${env.concurrency}, batch ${env.batch_size}`], ['tolerance', `abs ${env.tolerance.abs}, rel ${env.tolerance.rel}`],
  ]));

  replace(p.body, headline, h('div', { className: 'grid-2' }, gates, overall), h('div', { className: 'grid-2' }, latency, flips ?? labels),
    h('div', { className: 'grid-2' }, outputs, driftSection), slices, regressions, h('div', { className: 'grid-2' }, flips ? labels : null, environment));
  latencyChart.draw();
  if (pd?.histogram) driftChart.draw();
}

/** One model's metrics (an evaluation): value and 95 % interval. */
function metricTable(set: MetricSet, caption: string): HTMLElement {
  const lowerIsBetter = new Set(['log_loss', 'brier', 'ece', 'mae', 'rmse']);
  const rows = Object.entries(set.metrics as Record<string, { value: number | null; ci: [number, number] | null }>).map(([metric, m]) => ({ metric, ...m }));
  return dataTable({
    caption,
    columns: [
      { key: 'metric', label: 'Metric', render: (m) => [m.metric, h('span', { className: 'muted' }, m.metric === 'bias' ? '' : lowerIsBetter.has(m.metric) ? ' ↓' : ' ↑')] },
      { key: 'v', label: 'Value', numeric: true, render: (m) => fmt.num(m.value, 4) },
      { key: 'ci', label: '95 % CI', numeric: true, render: (m) => fmt.ci(m.ci, 4) },
    ],
    rows,
    rowLabel: (m) => `${m.metric}: ${fmt.num(m.value, 4)}${m.ci ? `, 95 % interval ${fmt.ci(m.ci, 4)}` : ''}`,
  }).element;
}

function deltaTable(deltas: MetricDelta[], caption: string): HTMLElement {
  return dataTable({
    caption,
    columns: [
      { key: 'metric', label: 'Metric', render: (d) => [d.metric, h('span', { className: 'muted' }, d.better === 'higher' ? ' ↑' : ' ↓')] },
      { key: 'b', label: 'Baseline', numeric: true, render: (d) => fmt.num(d.baseline, 4) },
      { key: 'c', label: 'Candidate', numeric: true, render: (d) => fmt.num(d.candidate, 4) },
      { key: 'd', label: 'Δ', numeric: true, render: (d) => h('span', { className: d.regression ? 'delta-bad' : improved(d) ? 'delta-good' : null }, fmt.signed(d.delta)) },
      { key: 'ci', label: '95 % CI of Δ', numeric: true, render: (d) => fmt.ci(d.ci, 4) },
    ],
    rows: deltas,
    rowLabel: (d) => `${d.metric}: baseline ${fmt.num(d.baseline, 4)}, candidate ${fmt.num(d.candidate, 4)}, delta ${fmt.signed(d.delta)}${d.regression ? ', a regression' : ''}`,
  }).element;
}

function improved(d: MetricDelta): boolean {
  if (!d.ci || d.delta === null) return false;
  return d.better === 'higher' ? d.ci[0] > 0 : d.ci[1] < 0;
}

function sliceTable(p: PageParts, r: ReplayReport): HTMLElement {
  const primary = r.overall.deltas[0]?.metric ?? 'accuracy';
  const deltaOf = (s: SliceComparison): MetricDelta | undefined => s.deltas.find((d) => d.metric === primary) ?? s.deltas[0];
  const columns: Column<SliceComparison>[] = [
    { key: 'slice', label: 'Slice', value: (s) => fmt.slice(s.predicates), render: (s) => h('span', { className: 'mono' }, fmt.slice(s.predicates)) },
    { key: 'n', label: 'n', numeric: true, value: (s) => s.n, render: (s) => fmt.count(s.n) },
    { key: 'flip', label: 'Flip rate', numeric: true, value: (s) => s.flip_rate, render: (s) => fmt.pct(s.flip_rate, 2) },
    { key: 'b', label: `${primary} base`, numeric: true, value: (s) => deltaOf(s)?.baseline ?? null, render: (s) => fmt.num(deltaOf(s)?.baseline, 4) },
    { key: 'c', label: `${primary} cand.`, numeric: true, value: (s) => deltaOf(s)?.candidate ?? null, render: (s) => fmt.num(deltaOf(s)?.candidate, 4) },
    { key: 'delta', label: 'Δ', numeric: true, value: (s) => deltaOf(s)?.delta ?? null, render: (s) => { const d = deltaOf(s); return h('span', { className: d?.regression ? 'delta-bad' : null }, fmt.signed(d?.delta)); } },
    { key: 'ci', label: '95 % CI', numeric: true, render: (s) => fmt.ci(deltaOf(s)?.ci ?? null, 4) },
    { key: 'reg', label: '', value: (s) => (s.regression ? 1 : 0), render: (s) => (s.regression ? h('span', { className: 'badge bad' }, 'regression') : null) },
  ];
  const render = (): HTMLElement => dataTable({
    caption: 'Metric deltas per slice; Enter opens the slice\u2019s predictions',
    columns,
    rows: r.slices,
    sort: ui.slicesSort ?? null,
    onSort: (sort) => {
      ui.slicesSort = sort;
      save();
      const fresh = render();
      holder.replaceWith(fresh);
      holder = fresh;
      (fresh.querySelectorAll('th button')[columns.findIndex((c) => c.key === sort.key)] as HTMLElement | undefined)?.focus();
    },
    onActivate: (s) => p.messenger.command(OpenPredictionsCommand, { filter: { predicates: s.predicates } }),
    rowLabel: (s) => `${fmt.slice(s.predicates)}: ${fmt.count(s.n)} rows, ${primary} delta ${fmt.signed(deltaOf(s)?.delta)}${s.regression ? ', regression' : ''}`,
    empty: 'No slices compared.',
  }).element;
  let holder = render();
  return holder;
}


function gatesSection(gates: GateResult[]): HTMLElement {
  return section('Gates', 'gates', dataTable({
    caption: 'Gates',
    columns: [
      { key: 'expr', label: 'Gate', render: (g) => h('code', {}, g.expr) },
      { key: 'value', label: 'Value', numeric: true, render: (g) => fmt.num(g.value, 4) },
      { key: 'passed', label: 'Result', render: (g) => [verdictBadge(!g.passed, 'fail', 'pass'), g.message ? h('span', { className: 'muted' }, ` ${g.message}`) : null] },
    ],
    rows: gates,
    rowLabel: (g) => `${g.expr}: ${g.passed ? 'passed' : 'failed'}, value ${fmt.num(g.value, 4)}`,
    empty: 'No gates declared.',
  }).element);
}

// ── Compare Models (CompareReport) ───────────────────────────────────────────

const VERDICT: Record<CompareVerdict, { text: string; tone: 'good' | 'bad' | 'warn' | 'neutral' }> = {
  better: { text: 'B better', tone: 'good' },
  worse: { text: 'B worse', tone: 'bad' },
  different: { text: 'different', tone: 'warn' },
  no_difference: { text: 'no difference', tone: 'neutral' },
  not_enough_data: { text: 'not enough data', tone: 'warn' },
};

const DESIGN: Record<CompareReport['design'], string> = {
  ab: 'A/B split (both served)',
  canary: 'canary (B served to a share of traffic)',
  shadow: 'shadow (B scored the same requests, not served)',
};

function verdictOf(v: CompareVerdict): HTMLElement {
  const { text, tone } = VERDICT[v];
  return h('span', { className: `badge verdict ${tone}`, 'data-verdict': v }, text);
}

/** A metric's value in its units: shares as percentages, means and medians as numbers. */
function value(m: CompareMetric, x: number | null | undefined): string {
  return m.kind === 'rate' ? fmt.pct(x, 2) : fmt.num(x, 4);
}

/** A difference B − A: percentage points for shares. */
function difference(m: CompareMetric, x: number | null | undefined): string {
  if (x === null || x === undefined) return '–';
  if (m.kind !== 'rate') return fmt.signed(x, 4);
  const pp = fmt.signed(x * 100, 2);
  return `${pp} pp`;
}

function interval(m: CompareMetric, ci: readonly [number, number] | null, diff = false): string {
  if (!ci) return '–';
  const f = diff ? (x: number) => difference(m, x) : (x: number) => value(m, x);
  return `[${f(ci[0])}, ${f(ci[1])}]`;
}

/** Statistic name of the test (z, t or U). */
function statisticName(m: CompareMetric): string {
  if (/mann|whitney|\bU\b/i.test(m.test)) return 'U';
  if (/\bt\b|t-test|welch/i.test(m.test)) return 't';
  if (/\bz\b|z-test|proportion/i.test(m.test)) return 'z';
  return 'stat.';
}

function directionMark(m: CompareMetric): string {
  return m.direction === 'higher' ? ' ↑' : m.direction === 'lower' ? ' ↓' : '';
}

/** Whether the rows of both groups reach what the power analysis asks for (null: no analysis). */
function powered(m: CompareMetric): boolean | null {
  return m.required_per_group === null ? null : Math.min(m.n_a, m.n_b) >= m.required_per_group;
}

/** The difference and its interval on an axis centred on zero (dashed line: no difference). */
function differenceBar(m: CompareMetric): SVGElement | null {
  if (m.difference === null && !m.ci) return null;
  const W = 120;
  const H = 14;
  const span = Math.max(Math.abs(m.ci?.[0] ?? 0), Math.abs(m.ci?.[1] ?? 0), Math.abs(m.difference ?? 0), 1e-12) * 1.1;
  const x = (v: number): number => 2 + ((v + span) / (2 * span)) * (W - 4);
  return svg('svg', { className: 'interval', width: W, height: H, viewBox: `0 0 ${W} ${H}`, 'aria-hidden': 'true' },
    svg('line', { className: 'axis', x1: 0, x2: W, y1: H / 2, y2: H / 2 }),
    m.ci ? svg('rect', { className: 'range', x: x(m.ci[0]), y: 3, width: Math.max(1, x(m.ci[1]) - x(m.ci[0])), height: H - 6, rx: 2 }) : null,
    m.difference === null ? null : svg('circle', { className: 'point', cx: x(m.difference), cy: H / 2, r: 3 }),
    svg('line', { className: 'overall', x1: x(0), x2: x(0), y1: 0, y2: H }),
  );
}

function renderModels(p: PageParts, r: CompareReport, run: RunSummary | null): void {
  setTitle(p, 'Compare models');
  const primary = r.metrics[0];
  const failed = r.gates.filter((g) => !g.passed).length;
  p.setStatus(`${r.run_id ? `compare ${r.run_id} · ` : ''}${r.window} · ${DESIGN[r.design]}${run?.status ? ` · ${run.status}` : ''}`);

  const headline = section(`${r.b.model} (B) vs ${r.a.model} (A)`, 'summary',
    h('div', { className: 'summary-line' },
      verdictOf(r.verdict),
      primary ? h('span', {}, `on ${primary.metric}: ${difference(primary, primary.difference)} (B − A)`) : null,
      primary?.p_value !== undefined && primary?.p_value !== null ? h('span', {}, `p = ${fmt.pValue(primary.p_value)}`) : null,
      r.gates.length ? h('span', { className: `badge ${r.passed ? 'good' : 'bad'}` }, r.passed ? 'gates passed' : `${failed} gate${failed === 1 ? '' : 's'} failed`) : null,
    ),
    h('p', { className: 'verdict-summary' }, r.summary),
    r.warnings.length ? h('ul', { className: 'warnings' }, r.warnings.map((w) => h('li', { className: 'bad-text' }, w))) : null,
  );

  const groups = section('Groups', 'groups', dataTable({
    caption: 'The two model versions and the logged traffic each is compared on',
    columns: [
      { key: 'group', label: 'Group', render: (g) => h('strong', {}, g.group) },
      { key: 'model', label: 'Model', render: (g) => h('span', { className: 'mono' }, g.model) },
      { key: 'source', label: 'Source', render: (g) => g.source },
      { key: 'rows', label: 'Predictions', numeric: true, render: (g) => fmt.count(g.rows) },
      { key: 'labelled', label: 'Labelled', numeric: true, render: (g) => `${fmt.count(g.labelled)} (${fmt.pct(g.rows ? g.labelled / g.rows : null)})` },
    ],
    rows: [{ group: 'A (current)', ...r.a }, { group: 'B (candidate)', ...r.b }],
    rowLabel: (g) => `${g.group}: ${g.model}, ${g.source}, ${fmt.count(g.rows)} predictions, ${fmt.count(g.labelled)} labelled`,
  }).element,
  facts([
    ['design', DESIGN[r.design]],
    ['window', r.window],
    ['significance level α', String(r.alpha)],
    ['power', fmt.pct(r.power, 0)],
    ['threshold', r.threshold === null ? '–' : fmt.num(r.threshold, 4)],
    ['trace', h('span', { className: 'mono' }, r.trace)],
  ]));

  const metrics = section(`Metrics (${r.metrics.length})`, 'metrics', dataTable({
    caption: 'Each metric in both groups with its 95 % interval, and the difference B − A with its 95 % interval (dashed line: no difference)',
    columns: [
      { key: 'metric', label: 'Metric', render: (m) => [m.metric, h('span', { className: 'muted' }, directionMark(m))], title: '↑ higher is better, ↓ lower is better, no arrow: any change is only "different"' },
      { key: 'a', label: 'A', numeric: true, render: (m) => value(m, m.a) },
      { key: 'ci_a', label: 'A 95 % CI', numeric: true, render: (m) => interval(m, m.ci_a) },
      { key: 'b', label: 'B', numeric: true, render: (m) => value(m, m.b) },
      { key: 'ci_b', label: 'B 95 % CI', numeric: true, render: (m) => interval(m, m.ci_b) },
      { key: 'diff', label: 'B − A', numeric: true, render: (m) => h('span', { className: m.verdict === 'worse' ? 'delta-bad' : m.verdict === 'better' ? 'delta-good' : null }, difference(m, m.difference)) },
      { key: 'ci', label: '95 % CI of B − A', numeric: true, render: (m) => h('span', { className: 'ci-cell' }, differenceBar(m), h('span', { className: 'mono' }, m.kind === 'ordinal' && !m.ci ? 'none (median shift)' : interval(m, m.ci, true))) },
      { key: 'verdict', label: 'Verdict', render: (m) => verdictOf(m.verdict) },
    ],
    rows: r.metrics,
    rowLabel: (m) => `${m.metric}: A ${value(m, m.a)}, B ${value(m, m.b)}, difference ${difference(m, m.difference)}, interval ${interval(m, m.ci, true)}, ${VERDICT[m.verdict].text}`,
    empty: 'No metric could be computed on this traffic.',
  }).element);

  const tests = section('Tests and power', 'tests', dataTable({
    caption: `Test of B against A per metric, two-sided at α = ${r.alpha}; the power analysis gives the rows per group needed to detect the minimum effect with ${fmt.pct(r.power, 0)} power`,
    columns: [
      { key: 'metric', label: 'Metric', render: (m) => m.metric },
      { key: 'test', label: 'Test', render: (m) => m.test },
      { key: 'stat', label: 'Statistic', numeric: true, render: (m) => (m.statistic === null ? '–' : `${statisticName(m)} = ${fmt.num(m.statistic, 3)}${m.df !== undefined && m.df !== null ? ` (df ${fmt.num(m.df, 1)})` : ''}`) },
      { key: 'p', label: 'p-value', numeric: true, render: (m) => h('span', { className: m.p_value !== null && m.p_value < r.alpha ? 'significant' : null }, fmt.pValue(m.p_value)) },
      { key: 'effect', label: 'P(B > A)', numeric: true, render: (m) => (m.effect === undefined || m.effect === null ? '–' : fmt.num(m.effect, 3)), title: 'Ordinal metrics: the common-language effect size, U / (n_A·n_B)' },
      { key: 'n', label: 'n A / n B', numeric: true, render: (m) => `${fmt.count(m.n_a)} / ${fmt.count(m.n_b)}` },
      { key: 'min', label: 'Min. effect', numeric: true, render: (m) => (m.min_effect === null ? '–' : m.kind === 'rate' ? `${fmt.num(m.min_effect * 100, 3)} pp` : fmt.num(m.min_effect, 4)) },
      { key: 'req', label: 'Needed per group', numeric: true, render: (m) => { const ok = powered(m); return m.required_per_group === null ? '–' : h('span', { className: ok ? null : 'bad-text' }, fmt.count(m.required_per_group), ok === false ? h('span', { className: 'muted' }, ` (${fmt.count(m.required_per_group - Math.min(m.n_a, m.n_b))} short)`) : null); } },
      { key: 'message', label: 'Verdict', render: (m) => [verdictOf(m.verdict), h('span', { className: 'muted' }, ` ${m.message}`)] },
    ],
    rows: r.metrics,
    rowLabel: (m) => `${m.metric}: ${m.test}, p ${fmt.pValue(m.p_value)}, needs ${fmt.count(m.required_per_group)} per group, ${m.message}`,
    empty: 'No metric could be computed on this traffic.',
  }).element);

  replace(p.body, headline, h('div', { className: 'grid-2' }, groups, r.gates.length ? gatesSection(r.gates) : null), metrics, tests);
}
