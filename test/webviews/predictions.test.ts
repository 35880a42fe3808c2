/**
 * The prediction explorer in headless Chromium over a real daemon: server-side pages (never all
 * rows), filters including a failing slice's predicates, a prediction's inputs, label and trace,
 * paging and the open prediction restored after a reload.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PredictionsPage, SlicesResult } from '../../protocol';
import { openPanel } from './harness';
import { expectClean, startWorld, tableRows, type WebviewWorld } from './setup';

describe('prediction explorer view', () => {
  let w: WebviewWorld;
  beforeAll(async () => { w = await startWorld({ requests: 4000 }); });
  afterAll(async () => { await w?.close(); });

  it('shows one page of the daemon\u2019s predictions for a slice, and opens a prediction with its inputs and trace', async () => {
    const slices = SlicesResult.parse(await w.query('slices', { window: {} }));
    const predicates = slices.report.slices.find((s) => s.n > 60)?.predicates ?? slices.report.slices[0]!.predicates;
    const filter = { predicates, source: 'served', labelled: true };
    const expected = PredictionsPage.parse(await w.query('predictions', { page_size: 50, filters: filter }));
    for (const theme of ['dark', 'light'] as const) {
      const p = await openPanel(w.browser, { panel: 'predictions', args: { filter }, query: w.query, theme });
      await p.settle();
      const rows = await tableRows(p, '#predictions');
      expect(rows).toHaveLength(Math.min(50, expected.total));
      expect(await p.page.textContent('.status')).toContain(`${expected.total.toLocaleString('en-US')} predictions match`);
      // Never more than a page asked for.
      for (const q of p.host.queries.filter((x) => x.method === 'predictions')) expect((q.params as { page_size: number }).page_size).toBeLessThanOrEqual(200);
      expect(await p.page.locator('.chip').count()).toBe(predicates.length);
      // Open the first labelled row.
      const labelled = Math.min(2, expected.rows.length - 1);
      await p.page.focus('#predictions tbody tr[tabindex="0"]');
      for (let i = 0; i < labelled; i++) await p.page.keyboard.press('ArrowDown');
      await p.page.keyboard.press('Enter');
      await p.page.waitForSelector('#prediction .chain li');
      await p.settle();
      const detail = (await p.page.textContent('#prediction'))!;
      expect(detail).toContain(expected.rows[labelled]!.id);
      expect(detail).toContain('from ops-delays');
      for (const q of predicates) expect(detail).toContain(q.feature);
      expect(await p.page.locator('#prediction .chain li').count()).toBeGreaterThanOrEqual(5);
      await p.screenshot(`predictions-${theme}`);
      await p.page.click('text=Open lineage graph');
      await expect.poll(() => p.host.opened).toEqual([{ panel: 'lineage', args: { target: expected.rows[labelled]!.id } }]);
      expectClean(p);
      await p.close();
    }
  });

  it('pages on the server, filters by label arrival and score, and restores page, filters and the open prediction', async () => {
    const p = await openPanel(w.browser, { panel: 'predictions', args: {}, query: w.query });
    await p.settle();
    const all = PredictionsPage.parse(await w.query('predictions', { page_size: 50 }));
    expect(await p.page.textContent('.status')).toContain(`${all.total.toLocaleString('en-US')} predictions match · page 1 of ${Math.ceil(all.total / 50)}`);
    await p.page.selectOption('select[aria-label="Page size"]', '25');
    await p.settle();
    await p.page.click('text=Next ›');
    await p.settle();
    const page2 = PredictionsPage.parse(await w.query('predictions', { page: 1, page_size: 25 }));
    expect((await tableRows(p, '#predictions')).map((r) => r[0])).toEqual(page2.rows.map((r) => r.time.slice(0, 16).replace('T', ' ')));
    // Filters: model v1, labels not arrived yet, score ≥ 0.3.
    await p.page.selectOption('.toolbar select >> nth=0', 'flights-delay@v1');
    await p.page.selectOption('.toolbar select >> nth=2', 'no');
    await p.page.fill('input[aria-label="Minimum score"]', '0.3');
    await p.page.click('text=Apply');
    await p.settle();
    const filtered = PredictionsPage.parse(await w.query('predictions', { page_size: 25, filters: { model: 'flights-delay@v1', labelled: false, score_min: 0.3 } }));
    expect(await p.page.textContent('.status')).toContain(`${filtered.total.toLocaleString('en-US')} predictions match`);
    for (const r of await tableRows(p, '#predictions')) {
      expect(r[5]).toBe('pending');
      expect(Number(r[3])).toBeGreaterThanOrEqual(0.3);
    }
    await p.page.click('#predictions tbody tr >> nth=2');
    await p.page.waitForSelector('#prediction dl.facts');
    const state = p.state();
    expect(state).toMatchObject({ ui: { page: 0, pageSize: 25, filters: { model: 'flights-delay@v1', labelled: false, score_min: 0.3 }, selected: filtered.rows[2]!.id } });
    expectClean(p);
    await p.close();

    const again = await openPanel(w.browser, { panel: 'predictions', args: {}, query: w.query, state });
    await again.settle();
    await again.page.waitForSelector('#prediction dl.facts');
    expect(await again.page.inputValue('.toolbar select >> nth=0')).toBe('flights-delay@v1');
    expect(await again.page.inputValue('input[aria-label="Minimum score"]')).toBe('0.3');
    expect(await again.page.textContent('#prediction')).toContain(filtered.rows[2]!.id);
    expect(await again.page.getAttribute('#predictions tbody tr >> nth=2', 'aria-selected')).toBe('true');
    expectClean(again);
    await again.close();
  });
});
