/**
 * The failing-slices view in headless Chromium over a real daemon: the daemon's slices, sorting
 * and row activation by keyboard only, state restore, both themes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SlicesResult } from '../../protocol';
import { openPanel } from './harness';
import { expectClean, startWorld, tableRows, type WebviewWorld } from './setup';

describe('failing slices view', () => {
  let w: WebviewWorld;
  let expected: SlicesResult;
  beforeAll(async () => {
    w = await startWorld({ requests: 6000 });
    expected = SlicesResult.parse(await w.query('slices', { window: {}, save: false }));
  });
  afterAll(async () => { await w?.close(); });

  it('shows every failing slice of the daemon with n, loss, interval, effect size and adjusted p', async () => {
    expect(expected.report.slices.length).toBeGreaterThan(1);
    for (const theme of ['dark', 'light'] as const) {
      const p = await openPanel(w.browser, { panel: 'slices', args: {}, query: w.query, theme });
      await p.settle();
      const rows = await tableRows(p, '#slices');
      expect(rows).toHaveLength(expected.report.slices.length);
      // Default order: largest effect first, as the daemon ranks them.
      const n = (s: string): number => Number(s.replaceAll(',', ''));
      expect(rows.map((r) => n(r[1]!))).toEqual(expected.report.slices.map((s) => s.n));
      expect(rows[0]![6]).toBe(expected.report.slices[0]!.p_adjusted < 1e-3 ? expected.report.slices[0]!.p_adjusted.toExponential(1) : expected.report.slices[0]!.p_adjusted.toFixed(3));
      expect(await p.page.textContent('.status')).toContain(`${expected.report.significant} significant`);
      expect(await p.page.locator('#slices svg.interval').count()).toBe(expected.report.slices.length);
      await p.screenshot(`slices-${theme}`);
      expectClean(p);
      await p.close();
    }
  });

  it('keyboard: headers sort (aria-sort), arrows move between rows, Enter opens the slice\u2019s predictions; state survives a reload', async () => {
    const p = await openPanel(w.browser, { panel: 'slices', args: {}, query: w.query });
    await p.settle();
    // Tab from the top of the page: Refresh, then the column headers.
    await p.page.keyboard.press('Tab');
    expect(await p.page.evaluate(() => document.activeElement?.textContent)).toBe('Refresh');
    await p.page.keyboard.press('Tab'); // Slice
    await p.page.keyboard.press('Tab'); // n
    expect(await p.page.evaluate(() => document.activeElement?.closest('th')?.textContent?.trim())).toBe('n');
    await p.page.keyboard.press('Enter');
    await expect.poll(() => p.page.getAttribute('#slices th:nth-child(2)', 'aria-sort')).toBe('descending');
    let ns = (await tableRows(p, '#slices')).map((r) => Number(r[1]!.replaceAll(',', '')));
    expect(ns).toEqual([...ns].sort((a, b) => b - a));
    await p.page.keyboard.press('Space');
    await expect.poll(() => p.page.getAttribute('#slices th:nth-child(2)', 'aria-sort')).toBe('ascending');
    ns = (await tableRows(p, '#slices')).map((r) => Number(r[1]!.replaceAll(',', '')));
    expect(ns).toEqual([...ns].sort((a, b) => a - b));
    // Tab past the remaining headers to the rows (one tab stop), then ↓ and Enter.
    for (let i = 0; i < 10; i++) {
      await p.page.keyboard.press('Tab');
      if (await p.page.evaluate(() => document.activeElement?.tagName === 'TR')) break;
    }
    expect(await p.page.evaluate(() => (document.activeElement as HTMLElement).dataset.index)).toBe('0');
    await p.page.keyboard.press('ArrowDown');
    expect(await p.page.evaluate(() => (document.activeElement as HTMLElement).dataset.index)).toBe('1');
    const label = await p.page.evaluate(() => document.activeElement?.getAttribute('aria-label'));
    await p.page.keyboard.press('Enter');
    await expect.poll(() => p.host.opened.length).toBe(1);
    const opened = p.host.opened[0] as { panel: string; args: { filter: { predicates: unknown[] } } };
    expect(opened.panel).toBe('predictions');
    const second = [...expected.report.slices].sort((a, b) => a.n - b.n)[1]!;
    expect(opened.args.filter.predicates).toEqual(second.predicates);
    expect(label).toContain('Enter opens its predictions');
    const state = p.state();
    expect(state).toMatchObject({ ui: { sort: { key: 'n', dir: 'asc' }, focused: 1 } });
    expectClean(p);
    await p.close();

    const again = await openPanel(w.browser, { panel: 'slices', args: {}, query: w.query, state });
    await again.settle();
    expect(await again.page.getAttribute('#slices th:nth-child(2)', 'aria-sort')).toBe('ascending');
    expect(await again.page.getAttribute('#slices tbody tr[data-index="1"]', 'tabindex')).toBe('0');
    expectClean(again);
    await again.close();
  });

  it('a feature argument narrows the table to slices on that feature (and can be widened)', async () => {
    const feature = expected.report.slices[0]!.predicates[0]!.feature;
    const on = expected.report.slices.filter((s) => s.predicates.some((q) => q.feature === feature));
    const p = await openPanel(w.browser, { panel: 'slices', args: { feature }, query: w.query });
    await p.settle();
    expect(await tableRows(p, '#slices')).toHaveLength(on.length);
    await p.page.click(`text=only slices on ${feature}`);
    await expect.poll(async () => (await tableRows(p, '#slices')).length).toBe(expected.report.slices.length);
    expectClean(p);
    await p.close();
  });
});
