/**
 * The replay/eval compare view in headless Chromium: a ReplayReport computed from the sample trace
 * (v1 served vs v2 in shadow on the same requests, real labels and latencies; replay-fixture.ts),
 * stored in the trace's `runs` table and read back by the daemon's `run` query — and the same
 * report handed over directly.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StreamConnection } from '../../clients/typescript/client';
import type { ReplayReport } from '../../protocol';
import { startDaemon } from '../helpers/daemon';
import { openPanel } from './harness';
import { REPLAY_RUN_ID, writeReplayRun } from './replay-fixture';
import { expectClean, startWorld, tableRows, type WebviewWorld } from './setup';

describe('replay compare view', () => {
  let w: WebviewWorld;
  let report: ReplayReport;
  beforeAll(async () => {
    w = await startWorld({ requests: 6000 });
    // The daemon is the trace's only writer: stop it, store the run, serve the trace again.
    w.stream.close();
    await w.trace.daemon.stop();
    report = await writeReplayRun(w.trace.daemon.trace);
    w.trace.daemon = await startDaemon([], { trace: w.trace.daemon.trace, dir: w.trace.daemon.dir });
    w.stream = await StreamConnection.open(w.trace.daemon.info);
  });
  afterAll(async () => { await w?.close(); });

  it('shows gates, metric deltas, latency, flips, slices and label sanity of a stored run', async () => {
    for (const theme of ['dark', 'light'] as const) {
      const p = await openPanel(w.browser, { panel: 'compare', args: { runId: REPLAY_RUN_ID }, query: w.query, theme, viewport: { width: 1400, height: 900 } });
      await p.settle();
      await p.page.waitForSelector('#gates');
      expect(p.host.queries.map((q) => q.method)).toEqual(expect.arrayContaining(['runs', 'run']));
      expect(await p.page.textContent('#summary h2')).toBe('flights-delay@v2 vs flights-delay@v1');
      expect(await p.page.textContent('#summary .badge')).toBe(report.passed ? 'gates passed' : `${report.gates.filter((g) => !g.passed).length} gate${report.gates.filter((g) => !g.passed).length === 1 ? '' : 's'} failed`);
      const gates = await tableRows(p, '#gates');
      expect(gates.map((g) => g[0])).toEqual(report.gates.map((g) => g.expr));
      expect(gates.map((g) => g[2]!.startsWith('pass'))).toEqual(report.gates.map((g) => g.passed));
      const overall = await tableRows(p, '#overall');
      expect(overall.map((r) => r[0]!.replace(/ [↑↓]$/, ''))).toEqual(report.overall.deltas.map((d) => d.metric));
      const latency = await tableRows(p, '#latency');
      expect(latency.map((r) => r[0])).toEqual(['flights-delay@v1 (baseline)', 'flights-delay@v2 (candidate)']);
      expect(await p.page.textContent('#flips h2')).toContain(`(${(report.flips!.rate * 100).toFixed(2)} %)`);
      expect(await tableRows(p, '#slice-deltas')).toHaveLength(report.slices.length);
      expect(await p.page.textContent('#labels')).toContain('training baseline train-v1');
      await p.screenshot(`compare-${theme}`);
      expectClean(p);
      await p.close();
    }
  });

  it('renders a report handed over directly, opens a slice\u2019s predictions by keyboard, and keeps the slice sort', async () => {
    const p = await openPanel(w.browser, { panel: 'compare', args: { report }, query: w.query });
    await p.settle();
    await p.page.waitForSelector('#slice-deltas');
    expect(p.host.queries.map((q) => q.method)).not.toContain('run');
    await p.page.click('#slice-deltas th:nth-child(2) button');
    await expect.poll(() => p.page.getAttribute('#slice-deltas th:nth-child(2)', 'aria-sort')).toBe('descending');
    await p.page.focus('#slice-deltas tbody tr[tabindex="0"]');
    await p.page.keyboard.press('Enter');
    const biggest = [...report.slices].sort((a, b) => b.n - a.n)[0]!;
    await expect.poll(() => p.host.opened).toEqual([{ panel: 'predictions', args: { filter: { predicates: biggest.predicates } } }]);
    const state = p.state();
    expect(state).toMatchObject({ ui: { slicesSort: { key: 'n', dir: 'desc' } } });
    expectClean(p);
    await p.close();
    const again = await openPanel(w.browser, { panel: 'compare', args: { report }, query: w.query, state });
    await again.settle();
    await again.page.waitForSelector('#slice-deltas');
    expect(await again.page.getAttribute('#slice-deltas th:nth-child(2)', 'aria-sort')).toBe('descending');
    expectClean(again);
    await again.close();
  });

  it('shows an evaluation (one model, no deltas) with its metrics and intervals, not an empty delta table', async () => {
    // The same report as `sightline eval` shapes it: the candidate alone, no baseline, no flips.
    const evaluation: ReplayReport = {
      ...report, kind: 'eval', baseline: null, flips: null,
      overall: { ...report.overall, baseline: null, deltas: [] },
      latency: report.latency.filter((l) => l.role === 'candidate'),
    };
    const p = await openPanel(w.browser, { panel: 'compare', args: { report: evaluation }, query: w.query });
    await p.settle();
    await p.page.waitForSelector('#overall table');
    expect(await p.page.textContent('#summary h2')).toBe('Evaluation of flights-delay@v2');
    const rows = await tableRows(p, '#overall');
    const metrics = evaluation.overall.candidate.metrics as Record<string, { value: number | null; ci: [number, number] | null }>;
    expect(rows.map((r) => r[0]!.replace(/ [↑↓]$/, ''))).toEqual(Object.keys(metrics));
    const auc = rows.find((r) => r[0]!.startsWith('roc_auc'))!;
    expect(Number(auc[1])).toBeCloseTo(metrics.roc_auc!.value!, 4);
    expect(auc[2]).toMatch(/^\[0\.\d+, 0\.\d+\]$/);
    expect(await p.page.textContent('#overall')).not.toContain('Nothing to show');
    await p.screenshot('compare-eval');
    expectClean(p);
    await p.close();
  });
});
