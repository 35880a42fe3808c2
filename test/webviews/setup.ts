/**
 * Shared set-up of the webview tests: the built bundles, a real trace served by a real daemon
 * (test/integration/queries/fixture.ts), one WebSocket connection to it (the extension's
 * transport for PanelHost.query), and one headless Chromium.
 */
import type { Browser } from 'playwright-core';
import { expect } from 'vitest';
import { StreamConnection } from '../../clients/typescript/client';
import { buildSampleTrace, type SampleTrace } from '../integration/queries/fixture';
import { assertBundlesBuilt, launchBrowser, type PanelPage } from './harness';

export interface WebviewWorld {
  trace: SampleTrace;
  stream: StreamConnection;
  browser: Browser;
  query: (method: string, params?: unknown) => Promise<unknown>;
  close(): Promise<void>;
}

export async function startWorld(opts: { requests?: number } = {}): Promise<WebviewWorld> {
  assertBundlesBuilt();
  const trace = await buildSampleTrace({ requests: opts.requests ?? 4000 });
  const stream = await StreamConnection.open(trace.daemon.info);
  const browser = await launchBrowser();
  const world: WebviewWorld = {
    trace, stream, browser,
    query: (method, params) => world.stream.query(method, params),
    close: async () => {
      await browser.close().catch(() => undefined);
      world.stream.close();
      await world.trace.daemon.stop();
      world.trace.daemon.cleanup();
    },
  };
  return world;
}

/** No CSP violation, no console error, no uncaught error, no host-side refusal. */
export function expectClean(p: PanelPage): void {
  expect(p.violations, 'CSP violations').toEqual([]);
  expect(p.errors, 'console errors').toEqual([]);
  expect(p.host.logs.filter((l) => l.level !== 'info'), 'host log warnings').toEqual([]);
}

/** Text content of the cells of a table's body rows. */
export async function tableRows(p: PanelPage, selector: string): Promise<string[][]> {
  return p.page.$$eval(`${selector} tbody tr`, (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => (td.textContent ?? '').trim())));
}
