/**
 * The lineage graph in headless Chromium: a served prediction traced (by the real daemon) back
 * through the model to the Python pipeline's runs, data and commit; keyboard navigation over the
 * nodes; Enter on a run opens its code line in the editor (a command to the host).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PredictionsPage, TraceResult, type RunNode } from '../../protocol';
import { openPanel } from './harness';
import { expectClean, startWorld, type WebviewWorld } from './setup';

describe('lineage graph view', () => {
  let w: WebviewWorld;
  let predictionId: string;
  let trace: TraceResult;
  beforeAll(async () => {
    w = await startWorld({ requests: 2000 });
    const page = PredictionsPage.parse(await w.query('predictions', { page_size: 1, filters: { source: 'served' } }));
    predictionId = page.rows[0]!.id;
    trace = TraceResult.parse(await w.query('trace', { target: predictionId }));
  });
  afterAll(async () => { await w?.close(); });

  it('lays out every node of the trace left to right, with kind, name, hash, commit', async () => {
    const runs = trace.nodes.filter((n): n is RunNode => n.type === 'run');
    expect(runs.map((r) => r.component).sort()).toEqual(['clean', 'features', 'train']);
    for (const theme of ['dark', 'light'] as const) {
      const p = await openPanel(w.browser, { panel: 'lineage', args: { target: predictionId }, query: w.query, theme, viewport: { width: 1960, height: 900 } });
      await p.settle();
      const nodes = await p.page.$$eval('svg.graph g.node', (gs) => gs.map((g) => ({
        key: g.getAttribute('data-key')!, x: Number(/translate\(([-\d.]+),/.exec(g.getAttribute('transform')!)![1]), text: g.textContent ?? '',
      })));
      expect(nodes.map((n) => n.key).sort()).toEqual(trace.nodes.map((n) => n.key).sort());
      expect(await p.page.locator('svg.graph path.edge').count()).toBe(trace.edges.length);
      // Upstream is to the left: raw data < … < model < prediction.
      const x = (key: string): number => nodes.find((n) => n.key === key)!.x;
      for (const e of trace.edges) expect(x(e.to), `${e.to} left of ${e.from}`).toBeLessThan(x(e.from));
      const train = runs.find((r) => r.component === 'train')!;
      const trainText = nodes.find((n) => n.key === train.key)!.text;
      expect(trainText).toContain('train');
      expect(trainText).toContain(`commit ${w.trace.commit.slice(0, 7)}`);
      const model = trace.nodes.find((n) => n.type === 'model')!;
      expect(nodes.find((n) => n.key === model.key)!.text).toContain(`sha256 ${model.id.slice(0, 8)}`);
      await p.screenshot(`lineage-${theme}`);
      expectClean(p);
      await p.close();
    }
  });

  it('keyboard: one tab stop, ←/→ follow edges, Enter on a run opens its file at its line; selection survives a reload', async () => {
    const p = await openPanel(w.browser, { panel: 'lineage', args: { target: predictionId }, query: w.query });
    await p.settle();
    // Tab order: trace box, Trace button, then the graph (the selected node, the prediction).
    for (let i = 0; i < 5; i++) {
      await p.page.keyboard.press('Tab');
      if (await p.page.evaluate(() => document.activeElement?.classList.contains('node'))) break;
    }
    const focused = (): Promise<string | null> => p.page.evaluate(() => document.activeElement?.getAttribute('data-key') ?? null);
    expect(await focused()).toBe(trace.root);
    expect(await p.page.locator('svg.graph g.node[tabindex="0"]').count()).toBe(1);
    // ← walks upstream: model, its file, the train run.
    const train = trace.nodes.find((n): n is RunNode => n.type === 'run' && n.component === 'train')!;
    const path: string[] = [];
    for (let i = 0; i < 3; i++) {
      await p.page.keyboard.press('ArrowLeft');
      path.push((await focused())!);
    }
    expect(path[0]).toMatch(/^model:/);
    expect(path[2]).toBe(train.key);
    expect(await p.page.textContent('#node h2')).toBe('run: train run');
    expect(await p.page.getAttribute(`[data-key="${train.key}"]`, 'aria-label')).toContain(`Enter opens ${train.code_file} line ${train.code_line}`);
    await p.page.keyboard.press('Enter');
    await expect.poll(() => p.host.files).toEqual([{ path: train.code_file!, line: train.code_line! }]);
    // → goes back downstream.
    await p.page.keyboard.press('ArrowRight');
    expect(await focused()).toBe(path[1]);
    await p.page.keyboard.press('ArrowLeft');
    const state = p.state();
    expect(state).toMatchObject({ args: { target: predictionId }, ui: { selected: train.key } });
    expectClean(p);
    await p.close();

    const again = await openPanel(w.browser, { panel: 'lineage', args: { target: predictionId }, query: w.query, state });
    await again.settle();
    expect(await again.page.getAttribute(`[data-key="${train.key}"]`, 'tabindex')).toBe('0');
    expect(await again.page.textContent('#node h2')).toBe('run: train run');
    expectClean(again);
    await again.close();
  });

  it('an unknown target is a typed error shown in the page, not a crash', async () => {
    const p = await openPanel(w.browser, { panel: 'lineage', args: { target: 'no-such-thing-anywhere' }, query: w.query });
    await p.settle();
    expect(await p.page.isVisible('.error')).toBe(true);
    expect(await p.page.textContent('.error')).toMatch(/Trace: /);
    expect(p.violations).toEqual([]);
    // Re-target from the page: the host learns the new arguments (kept for the next load).
    await p.page.fill('.toolbar input', predictionId);
    await p.page.press('.toolbar input', 'Enter');
    await p.settle();
    expect(await p.page.isVisible('.error')).toBe(false);
    expect(await p.page.locator('svg.graph g.node').count()).toBe(trace.nodes.length);
    expect(p.host.received).toContainEqual({ kind: 'command', method: 'argsChanged', params: { args: { target: predictionId } } });
    await p.close();
  });
});
