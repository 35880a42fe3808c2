/**
 * The drift view (dist/webviews/drift.js) in headless Chromium, fed by the extension's real host
 * handlers over a real daemon on the sample's trace.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DriftDistribution, DriftQueryResult, DriftTimeline } from '../../protocol';
import { openPanel } from './harness';
import { THEMES } from './themes';
import { expectClean, startWorld, tableRows, type WebviewWorld } from './setup';

describe('drift view', () => {
  let w: WebviewWorld;
  beforeAll(async () => { w = await startWorld(); });
  afterAll(async () => { await w?.close(); });

  it('renders the real drift report, the distribution and the timeline of the feature asked for, in both themes', async () => {
    const report = DriftQueryResult.parse(await w.query('drift', { baseline: 'train-v1', window: {} }));
    const dist = DriftDistribution.parse(await w.query('drift_distribution', { feature: 'dep_hour', baseline: 'train-v1', window: {} }));
    for (const theme of ['dark', 'light', 'high-contrast'] as const) {
      const p = await openPanel(w.browser, { panel: 'drift', args: { feature: 'dep_hour' }, query: w.query, theme });
      await p.settle();
      await p.page.waitForSelector('#timeline canvas');
      // Every feature of the report, in its order, with its verdict and score.
      const rows = await tableRows(p, '#features');
      expect(rows.map((r) => r[0])).toEqual(report.report.features.map((f) => f.name));
      expect(rows.filter((r) => r[1] === 'drift').map((r) => r[0])).toEqual(report.report.drifted);
      expect(await p.page.textContent('#features tr.selected td')).toBe('dep_hour');
      // The distribution's bins are the daemon's numbers.
      const bins = await tableRows(p, '#distribution');
      const hist = dist.histogram as { edges: number[]; ref: number[]; cur: number[] };
      expect(bins).toHaveLength(hist.edges.length + 1);
      expect(bins.map((b) => b[1])).toEqual(hist.ref.map((x) => `${(x * 100).toFixed(1)} %`));
      expect(bins.map((b) => b[2])).toEqual(hist.cur.map((x) => `${(x * 100).toFixed(1)} %`));
      // Metrics of the selected feature, the deciding one marked.
      expect(await p.page.textContent('#metrics')).toContain('Wasserstein / std(reference)');
      expect(await p.page.textContent('#metrics .badge[title]')).toContain('deciding');
      expect(await p.page.textContent('#timeline')).toMatch(/\d+ weeks vs train-v1/);
      // Charts drew on their canvases (non-blank pixels).
      expect(await canvasInk(p.page, '#distribution canvas')).toBeGreaterThan(500);
      expect(await canvasInk(p.page, '#timeline canvas')).toBeGreaterThan(200);
      // Hovering a bar shows Chart.js's tooltip in the theme's hover colours (editorHoverWidget.*),
      // not the library's default translucent black.
      const hover = THEMES[theme].vars['--vscode-editorHoverWidget-background']!;
      expect(await colourPixels(p.page, '#distribution canvas', hover)).toBeLessThan(20);
      const bar = await barPixel(p.page, '#distribution canvas');
      expect(bar, 'a filled bar of the current window').not.toBeNull();
      const box = (await p.page.locator('#distribution canvas').boundingBox())!;
      await p.page.mouse.move(box.x + bar!.x, box.y + bar!.y);
      await expect.poll(() => colourPixels(p.page, '#distribution canvas', hover), { timeout: 5000 }).toBeGreaterThan(400);
      expect(await colourPixels(p.page, '#distribution canvas', 'rgba(0, 0, 0, 0.8)')).toBe(0);
      await p.screenshot(`drift-${theme}-tooltip`);
      await p.page.mouse.move(0, 0);
      await p.screenshot(`drift-${theme}`);
      expectClean(p);
      await p.close();
    }
  });

  it('round-trips typed messages: ready → init, every request answered with its id and a valid result', async () => {
    const p = await openPanel(w.browser, { panel: 'drift', args: { feature: 'origin' }, query: w.query });
    await p.settle();
    const received = p.host.received as Array<{ kind: string; method: string; id?: number }>;
    expect(received[0]).toMatchObject({ kind: 'command', method: 'ready' });
    const requests = received.filter((m) => m.kind === 'request');
    expect(requests.map((m) => m.method)).toEqual(expect.arrayContaining(['drift/baselines', 'drift/report', 'drift/distribution', 'drift/timeline']));
    for (const r of requests) {
      const answer = p.host.sent.find((m) => m.kind === 'response' && m.id === r.id);
      expect(answer && 'result' in answer, `${r.method} answered`).toBe(true);
    }
    expect(p.host.sent[0]).toMatchObject({ kind: 'notification', method: 'init', params: { panel: 'drift', args: { feature: 'origin' }, readOnly: false } });
    expect(p.host.queries.map((q) => q.method)).toEqual(expect.arrayContaining(['baselines', 'drift', 'drift_distribution', 'drift_timeline']));
    // The timeline is the daemon's: one point per week.
    const tl = DriftTimeline.parse(await w.query('drift_timeline', { feature: 'origin', baseline: 'train-v1', bucket: 'week', max_windows: 26 }));
    expect(await p.page.textContent('#timeline')).toContain(`${tl.points.length} weeks`);
    // A link to another view is a command to the host.
    await p.page.click('text=Failing slices…');
    await expect.poll(() => p.host.opened).toEqual([{ panel: 'slices', args: { feature: 'origin' } }]);
    // A message the page did not validate is refused by the host, and logged.
    await p.page.evaluate(() => (window as unknown as { __sightlineHost: { postMessage(m: unknown): void } }).__sightlineHost.postMessage({ kind: 'request', id: 99, method: 'drift/report', params: { baseline: 42 } }));
    await expect.poll(() => p.host.sent.find((m) => m.kind === 'response' && m.id === 99)).toMatchObject({ error: { code: 'invalid_request' } });
    expectClean(p);
    await p.close();
  });

  it('keyboard: rows select a feature; the selection, baseline window and bucket survive a reload', async () => {
    const p = await openPanel(w.browser, { panel: 'drift', args: {}, query: w.query });
    await p.settle();
    // Move to the "distance" row with the arrow keys and select it with Enter.
    await p.page.focus('#features tbody tr[tabindex="0"]');
    const names = (await tableRows(p, '#features')).map((r) => r[0]);
    const start = names.indexOf((await p.page.textContent('#features tr.selected td'))!);
    const target = names.indexOf('distance');
    for (let i = start; i < target; i++) await p.page.keyboard.press('ArrowDown');
    for (let i = start; i > target; i--) await p.page.keyboard.press('ArrowUp');
    await p.page.keyboard.press('Enter');
    await p.settle();
    expect(await p.page.textContent('#features tr.selected td')).toBe('distance');
    expect(await p.page.textContent('#distribution h2')).toBe('Distribution: distance');
    // Bucket per day, window June 1–14, applied.
    await p.page.selectOption('.toolbar select >> nth=1', 'day');
    await p.page.fill('.toolbar input >> nth=0', '2001-06-01');
    await p.page.fill('.toolbar input >> nth=1', '2001-06-15');
    await p.page.click('text=Apply');
    await p.settle();
    expect(await p.page.textContent('#timeline')).toContain('14 days vs train-v1');
    const state = p.state() as { ui: Record<string, unknown> };
    expect(state.ui).toMatchObject({ feature: 'distance', bucket: 'day', since: '2001-06-01', until: '2001-06-15', baseline: 'train-v1' });
    expectClean(p);
    await p.close();

    // "Reload": a new page gets the saved state back from the host.
    const again = await openPanel(w.browser, { panel: 'drift', args: {}, query: w.query, state });
    await again.settle();
    expect(await again.page.textContent('#features tr.selected td')).toBe('distance');
    expect(await again.page.inputValue('.toolbar input >> nth=0')).toBe('2001-06-01');
    expect(await again.page.inputValue('.toolbar select >> nth=1')).toBe('day');
    const report = again.host.received.find((m) => (m as { method?: string }).method === 'drift/report') as { params: { window: unknown } };
    expect(report.params.window).toEqual({ since: '2001-06-01', until: '2001-06-15' });
    expectClean(again);
    await again.close();

    // Re-targeted while its page was not loaded (Show Drift on another feature): new arguments win.
    const moved = await openPanel(w.browser, { panel: 'drift', args: { feature: 'origin' }, query: w.query, state });
    await moved.settle();
    expect(await moved.page.textContent('#features tr.selected td')).toBe('origin');
    expectClean(moved);
    await moved.close();
  });

  it('read-only traces: no save button, and the host refuses to save', async () => {
    const p = await openPanel(w.browser, { panel: 'drift', args: {}, query: w.query, readOnly: true });
    await p.settle();
    expect(await p.page.isVisible('text=Save as findings')).toBe(false);
    expect(await p.page.isVisible('.badge.readonly')).toBe(true);
    await p.page.evaluate(() => (window as unknown as { __sightlineHost: { postMessage(m: unknown): void } }).__sightlineHost.postMessage({ kind: 'request', id: 77, method: 'drift/save', params: { baseline: 'train-v1' } }));
    await expect.poll(() => p.host.sent.find((m) => m.kind === 'response' && m.id === 77)).toMatchObject({ error: { code: 'read_only' } });
    expect(p.host.queries.some((q) => (q.params as { save?: boolean } | undefined)?.save === true)).toBe(false);
    await p.close();
  });
});

/** `#rrggbb` or `rgba(r, g, b, a)` as 0–255 channels. */
function rgba(colour: string): [number, number, number, number] {
  const hex = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(colour);
  if (hex) return [parseInt(hex[1]!, 16), parseInt(hex[2]!, 16), parseInt(hex[3]!, 16), 255];
  const m = /^rgba\((\d+), (\d+), (\d+), ([\d.]+)\)$/.exec(colour);
  if (!m) throw new Error(`not a colour: ${colour}`);
  return [Number(m[1]), Number(m[2]), Number(m[3]), Math.round(Number(m[4]) * 255)];
}

/** Pixels of a canvas of exactly this colour (±2 per channel: opaque fills, not anti-aliased edges). */
async function colourPixels(page: import('playwright-core').Page, selector: string, colour: string): Promise<number> {
  return page.$eval(selector, (c, want) => {
    const canvas = c as HTMLCanvasElement;
    const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
    let n = 0;
    for (let i = 0; i < data.length; i += 4) {
      if (Math.abs(data[i]! - want[0]) <= 2 && Math.abs(data[i + 1]! - want[1]) <= 2 && Math.abs(data[i + 2]! - want[2]) <= 2 && Math.abs(data[i + 3]! - want[3]) <= 2) n++;
    }
    return n;
  }, rgba(colour));
}

/** A point (CSS pixels in the canvas) in the middle of the tallest orange (current window) bar. */
async function barPixel(page: import('playwright-core').Page, selector: string): Promise<{ x: number; y: number } | null> {
  return page.$eval(selector, (c) => {
    const canvas = c as HTMLCanvasElement;
    const { width, height } = canvas;
    const data = canvas.getContext('2d')!.getImageData(0, 0, width, height).data;
    const scale = canvas.getBoundingClientRect().width / width;
    // The column with the tallest run of the colour: the middle of the highest bar.
    let best: { x: number; y: number; run: number } | null = null;
    for (let x = 0; x < width; x += 2) {
      let run = 0, top = -1;
      for (let y = 0; y < height; y++) {
        const i = (y * width + x) * 4;
        // charts.orange at 0.85 (1 in high contrast), maybe over the reference's faint blue.
        const hit = data[i + 3]! >= 150 && data[i]! - data[i + 2]! > 90 && data[i]! >= data[i + 1]!;
        if (hit) { if (run === 0) top = y; run++; } else if (run > 0) break;
      }
      if (run > 4 && (!best || run > best.run)) best = { x, y: top + run / 2, run };
    }
    return best ? { x: best.x * scale, y: best.y * scale } : null;
  });
}

/** Pixels of a canvas that are not transparent. */
async function canvasInk(page: import('playwright-core').Page, selector: string): Promise<number> {
  return page.$eval(selector, (c) => {
    const canvas = c as HTMLCanvasElement;
    const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
    let n = 0;
    for (let i = 3; i < data.length; i += 4) if (data[i]! > 0) n++;
    return n;
  });
}
