/**
 * The host side without a browser: the page's HTML and CSP, and the controller's validation of
 * what a webview posts (the same code the extension runs; no `vscode` import needed).
 */
import { describe, expect, it } from 'vitest';
import { PanelController } from '../../extension/panels/controller';
import { panelHandlers, type PanelServices } from '../../extension/panels/handlers';
import { buildWebviewHtml, contentSecurityPolicy, newNonce } from '../../extension/panels/html';
import { InitNotification, PANEL_PROTOCOLS, PANEL_VIEW_TYPE, type HostMessage, type PanelKind } from '../../protocol/webview';

describe('webview host', () => {
  it('builds a page with a strict CSP and a fresh nonce per load', () => {
    const a = newNonce();
    const b = newNonce();
    expect(a).not.toBe(b);
    expect(a).toMatch(/^[A-Za-z0-9+/]{22}==$/);
    const csp = contentSecurityPolicy('https://res.example', a);
    expect(csp).toBe(`default-src 'none'; script-src 'nonce-${a}'; style-src https://res.example 'nonce-${a}'; img-src https://res.example data:; font-src https://res.example`);
    expect(csp).not.toMatch(/unsafe/);
    const html = buildWebviewHtml({ cspSource: 'https://res.example', nonce: a, scriptUri: 'https://res.example/d/drift.js', styleUri: 'https://res.example/d/drift.css', title: '<Drift & co>', panel: 'drift' });
    expect(html).toContain(`<script nonce="${a}" src="https://res.example/d/drift.js"></script>`);
    expect(html).toContain('&lt;Drift &amp; co&gt;');
    expect(html).not.toMatch(/style="/);
    expect(html.match(/<script/g)).toHaveLength(1);
  });

  it('every panel has a view type, and its controller answers, refuses and validates by the panel protocol', async () => {
    expect(Object.values(PANEL_VIEW_TYPE)).toEqual(['sightline.drift', 'sightline.slices', 'sightline.lineage', 'sightline.predictions', 'sightline.compare']);
    for (const kind of Object.keys(PANEL_PROTOCOLS) as PanelKind[]) {
      const sent: HostMessage[] = [];
      const logs: string[] = [];
      const queries: string[] = [];
      const services: PanelServices = {
        query: async <T>(method: string) => { queries.push(method); return ({ baselines: [], relative: ['previous', 'week-ago'] } as unknown) as T; },
        openFile: async () => undefined,
        open: () => undefined,
        log: { info: (m) => logs.push(m), warn: (m) => logs.push(m), error: (m) => logs.push(m) },
        readOnly: true,
      };
      let ready = 0;
      const c = new PanelController(PANEL_PROTOCOLS[kind], panelHandlers(kind, services, () => ready++), (m) => sent.push(m), services.log);
      await c.receive({ kind: 'command', method: 'ready', params: { panel: kind, protocol: 1 } });
      expect(ready).toBe(1);
      await c.receive({ kind: 'request', id: 1, method: 'nope/never', params: {} });
      expect(sent.at(-1)).toEqual({ kind: 'response', id: 1, error: { code: 'unknown_method', message: `the ${kind} panel has no request "nope/never"` } });
      await c.receive({ kind: 'bogus' });
      await c.receive('not even an object');
      expect(logs.filter((l) => l.includes('malformed'))).toHaveLength(2);
      // Another panel's request is not this panel's.
      if (kind !== 'drift') {
        await c.receive({ kind: 'request', id: 2, method: 'drift/baselines', params: {} });
        expect(sent.at(-1)).toMatchObject({ id: 2, error: { code: 'unknown_method' } });
      }
      c.notify(InitNotification, { panel: kind, args: {}, readOnly: true, reason: 'load' });
      expect(sent.at(-1)).toMatchObject({ kind: 'notification', method: 'init' });
      expect(queries).toEqual([]);
    }
    const sent: HostMessage[] = [];
    const drift = new PanelController(PANEL_PROTOCOLS.drift, panelHandlers('drift', {
      query: async <T>() => ({ baselines: [], relative: [] }) as T, openFile: async () => undefined, open: () => undefined,
      log: { info: () => undefined, warn: () => undefined, error: () => undefined }, readOnly: false,
    }, () => undefined), (m) => sent.push(m), { info: () => undefined, warn: () => undefined, error: () => undefined });
    await drift.receive({ kind: 'request', id: 5, method: 'drift/baselines', params: {} });
    expect(sent.at(-1)).toEqual({ kind: 'response', id: 5, result: { baselines: [], relative: [] } });
    await drift.receive({ kind: 'request', id: 6, method: 'drift/timeline', params: { feature: 'x', baseline: 'b', max_windows: 1000 } });
    expect(sent.at(-1)).toMatchObject({ id: 6, error: { code: 'invalid_request' } });
  });
});
