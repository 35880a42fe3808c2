/**
 * The compare view on a CompareReport ("Sightline: Compare Models"): the report is produced by the
 * real CLI (`sightline compare --a flights-delay@v1 --b flights-delay@v2 --save --json`) through
 * the real daemon serving the sample trace (v1 served, v2 in shadow on the same requests, real
 * labels and latencies), stored as a run of kind `compare`, and read back by the daemon's `run`
 * query — and the same report handed over directly, as the command does when nothing was stored.
 */
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CompareReport } from '../../protocol/compare';
import { CLI } from '../helpers/daemon';
import { openPanel, type PanelPage } from './harness';
import { expectClean, startWorld, tableRows, type WebviewWorld } from './setup';

const VERDICT_TEXT: Record<string, string> = { better: 'B better', worse: 'B worse', different: 'different', no_difference: 'no difference', not_enough_data: 'not enough data' };

describe('compare view: Compare Models (CompareReport)', () => {
  let w: WebviewWorld;
  let report: CompareReport;
  beforeAll(async () => {
    w = await startWorld({ requests: 4000 });
    const r = spawnSync(process.execPath, [
      CLI, 'compare', '--a', 'flights-delay@v1', '--b', 'flights-delay@v2',
      '--metric', 'accuracy,log_loss,latency_ms', '--gate', 'worse == 0', '--save', '--json',
    ], { encoding: 'utf8', env: { ...process.env, SIGHTLINE_HOME: w.trace.daemon.home, NO_COLOR: '1' }, timeout: 120_000 });
    // Exit 1 is a failed gate: the report is still complete.
    expect([0, 1], r.stderr).toContain(r.status);
    report = CompareReport.parse(JSON.parse(r.stdout));
    expect(report.run_id, 'stored through the daemon').toEqual(expect.any(String));
    expect(report.metrics.map((m) => m.metric)).toEqual(['accuracy', 'log_loss', 'latency_ms']);
  });
  afterAll(async () => { await w?.close(); });

  async function expectReport(p: PanelPage): Promise<void> {
    await p.page.waitForSelector('#metrics');
    expect(await p.page.textContent('h1')).toBe('Compare models');
    expect(await p.page.textContent('#summary h2')).toBe(`${report.b.model} (B) vs ${report.a.model} (A)`);
    expect(await p.page.getAttribute('#summary .summary-line .verdict', 'data-verdict')).toBe(report.verdict);
    expect(await p.page.textContent('#summary')).toContain(report.summary);
    const failed = report.gates.filter((g) => !g.passed).length;
    expect(await p.page.textContent('#summary .summary-line')).toContain(report.passed ? 'gates passed' : `${failed} gate${failed === 1 ? '' : 's'} failed`);

    const groups = await tableRows(p, '#groups');
    expect(groups.map((g) => [g[0], g[1], g[2], g[3]])).toEqual([
      ['A (current)', report.a.model, report.a.source, report.a.rows.toLocaleString('en-US')],
      ['B (candidate)', report.b.model, report.b.source, report.b.rows.toLocaleString('en-US')],
    ]);
    expect(await p.page.textContent('#groups dl')).toContain(`significance level α${report.alpha}`);

    const metrics = await tableRows(p, '#metrics');
    expect(metrics.map((m) => m[0]!.replace(/ [↑↓]$/, ''))).toEqual(report.metrics.map((m) => m.metric));
    for (const [i, m] of report.metrics.entries()) {
      const row = metrics[i]!;
      // Shares as percentages with their intervals; means and medians as numbers.
      if (m.kind === 'rate') {
        expect(row[1]).toBe(`${(m.a! * 100).toFixed(2)} %`);
        expect(row[2]).toBe(`[${(m.ci_a![0] * 100).toFixed(2)} %, ${(m.ci_a![1] * 100).toFixed(2)} %]`);
        expect(row[5]).toMatch(/ pp$/);
      } else {
        expect(Number(row[1]!.replace(/,/g, ''))).toBeCloseTo(m.a!, 3);
        expect(Number(row[3]!.replace(/,/g, ''))).toBeCloseTo(m.b!, 3);
      }
      expect(row[6]).toMatch(m.ci ? /^\[.*\]$/ : /none \(median shift\)|–/);
      expect(row[7]).toBe(VERDICT_TEXT[m.verdict]);
    }
    // The CI of B − A is drawn around zero for each metric with an interval.
    expect(await p.page.$$eval('#metrics svg.interval', (s) => s.length)).toBe(report.metrics.filter((m) => m.ci || m.difference !== null).length);

    const tests = await tableRows(p, '#tests');
    expect(tests.map((t) => t[1])).toEqual(report.metrics.map((m) => m.test));
    for (const [i, m] of report.metrics.entries()) {
      const row = tests[i]!;
      if (m.p_value !== null && m.p_value >= 1e-3) expect(row[3]).toBe(m.p_value.toFixed(3));
      if (m.statistic !== null) expect(row[2]).toMatch(/^[ztU] = /);
      expect(row[5]).toBe(`${m.n_a.toLocaleString('en-US')} / ${m.n_b.toLocaleString('en-US')}`);
      if (m.required_per_group !== null) expect(row[7]).toContain(m.required_per_group.toLocaleString('en-US'));
      expect(row[8]).toContain(m.message);
    }
    expect((await tableRows(p, '#gates')).map((g) => g[0])).toEqual(report.gates.map((g) => g.expr));
  }

  it('shows groups, each metric with CIs, the test, p-value, sample size needed and the verdict of a stored compare run', async () => {
    for (const theme of ['dark', 'light'] as const) {
      const p = await openPanel(w.browser, { panel: 'compare', args: { runId: report.run_id! }, query: w.query, theme, viewport: { width: 1400, height: 900 } });
      await p.settle();
      expect(p.host.queries.map((q) => q.method)).toEqual(expect.arrayContaining(['runs', 'run']));
      await expectReport(p);
      // The run picker lists the comparison with the other runs.
      expect(await p.page.$$eval('select option', (o) => o.map((x) => x.textContent ?? ''))).toEqual(expect.arrayContaining([expect.stringContaining(`compare ${report.run_id}`)]));
      await p.screenshot(`compare-models-${theme}`);
      expectClean(p);
      await p.close();
    }
  });

  it('renders a CompareReport handed over directly (no stored run), and a saved page reloads it', async () => {
    const p = await openPanel(w.browser, { panel: 'compare', args: { report }, query: w.query, theme: 'high-contrast' });
    await p.settle();
    expect(p.host.queries.map((q) => q.method)).not.toContain('run');
    await expectReport(p);
    await p.screenshot('compare-models-high-contrast');
    expectClean(p);
    const state = p.state();
    await p.close();
    const again = await openPanel(w.browser, { panel: 'compare', args: { report }, query: w.query, state });
    await again.settle();
    await expectReport(again);
    expectClean(again);
    await again.close();
  });

  it('refuses a report that does not match the schema (validated on arrival) and says why', async () => {
    const broken = { ...report, metrics: [{ ...report.metrics[0]!, p_value: 7 }] };
    const p = await openPanel(w.browser, { panel: 'compare', args: { report: broken as unknown as CompareReport }, query: w.query });
    await p.settle();
    // Invalid arguments are not rendered: the page asks for a run instead.
    expect(await p.page.$('#metrics')).toBeNull();
    expect(await p.page.textContent('.status')).toMatch(/Pick a run|No replay/);
    await p.close();
  });
});
