/**
 * The host side of the webview messaging (extension/panels/controller.ts, html.ts): every message
 * a webview posts is validated with the panel's protocol before a handler runs; answers carry the
 * request id; the page's HTML has a strict CSP with a fresh nonce.
 */
import { describe, expect, it } from 'vitest';
import { PanelController, PanelError, onCommand, onRequest } from '../../../extension/panels/controller';
import { panelHandlers, type PanelServices } from '../../../extension/panels/handlers';
import { buildWebviewHtml, contentSecurityPolicy, newNonce } from '../../../extension/panels/html';
import {
  CompareReportRequest, CompareRunsRequest, ConnectionNotification, InitNotification, LogCommand, PANEL_PROTOCOLS, type HostMessage,
} from '../../../protocol/webview';

function world(services: Partial<PanelServices> = {}) {
  const sent: HostMessage[] = [];
  const logs: string[] = [];
  const opened: unknown[] = [];
  let ready = 0;
  const s: PanelServices = {
    query: async () => { throw new Error('no daemon in this test'); },
    openFile: async () => undefined,
    open: (panel, args) => { opened.push({ panel, args }); },
    log: { info: (m) => logs.push(`info ${m}`), warn: (m) => logs.push(`warn ${m}`), error: (m) => logs.push(`error ${m}`) },
    readOnly: false,
    ...services,
  };
  const controller = new PanelController(PANEL_PROTOCOLS.compare, panelHandlers('compare', s, () => { ready++; }), (m) => { sent.push(m); }, s.log);
  return { controller, sent, logs, opened, ready: () => ready };
}

describe('PanelController', () => {
  it('refuses malformed envelopes and unknown commands without running anything', async () => {
    const w = world();
    await w.controller.receive({ kind: 'shout', method: 'x' });
    await w.controller.receive('ready');
    await w.controller.receive({ kind: 'command', method: 'rm -rf', params: {} });
    expect(w.sent).toEqual([]);
    expect(w.logs).toEqual([
      expect.stringMatching(/^warn compare webview: refused a malformed message/),
      expect.stringMatching(/^warn compare webview: refused a malformed message/),
      'warn compare webview: unknown command "rm -rf"',
    ]);
  });

  it('answers an unknown request method and invalid params with typed errors carrying the id', async () => {
    const w = world();
    await w.controller.receive({ kind: 'request', id: 7, method: 'drift/report', params: {} });
    await w.controller.receive({ kind: 'request', id: 8, method: CompareReportRequest.method, params: { runId: '' } });
    expect(w.sent).toEqual([
      { kind: 'response', id: 7, error: { code: 'unknown_method', message: 'the compare panel has no request "drift/report"' } },
      { kind: 'response', id: 8, error: { code: 'invalid_request', message: expect.stringMatching(/^compare\/report: runId: /) } },
    ]);
  });

  it('runs validated commands: ready, log, openPredictions', async () => {
    const w = world();
    await w.controller.receive({ kind: 'command', method: 'ready', params: { panel: 'compare', protocol: 1 } });
    await w.controller.receive({ kind: 'command', method: LogCommand.method, params: { level: 'error', message: 'boom' } });
    await w.controller.receive({ kind: 'command', method: 'openPredictions', params: { filter: { model: 'm@1' } } });
    await w.controller.receive({ kind: 'command', method: 'openPredictions', params: { filter: 'all' } });
    expect(w.ready()).toBe(1);
    expect(w.logs[0]).toBe('error compare webview: boom');
    expect(w.opened).toEqual([{ panel: 'predictions', args: { filter: { model: 'm@1' } } }]);
    expect(w.logs[1]).toMatch(/^warn compare webview: refused openPredictions/);
  });

  it('compare/report: a stored run of kind compare is answered with its CompareReport; anything else says what it holds', async () => {
    const compareRun = { id: 'c1', kind: 'compare', started: null, ended: null, status: 'failed', settings: null, passed: false, results: { schema: 1, kind: 'compare' }, gates: [] };
    const w = world({ query: async <T>(method: string) => (method === 'run' ? { run: compareRun } : { runs: [] }) as T });
    await w.controller.receive({ kind: 'request', id: 1, method: CompareReportRequest.method, params: { runId: 'c1' } });
    // The stored results are not a complete CompareReport: refused with the offending path.
    expect(w.sent[0]).toEqual({ kind: 'response', id: 1, error: { code: 'not_a_report', message: expect.stringMatching(/^run c1 \(compare, failed\) holds no model comparison report yet: /) } });
    await w.controller.receive({ kind: 'request', id: 2, method: CompareRunsRequest.method, params: {} });
    expect(w.sent[1]).toEqual({ kind: 'response', id: 2, result: { runs: [] } });
  });

  it('a handler\u2019s error keeps its code; an unexpected one is internal and logged', async () => {
    const sent: HostMessage[] = [];
    const logs: string[] = [];
    const log = { info: () => undefined, warn: () => undefined, error: (m: string) => logs.push(m) };
    const c = new PanelController(PANEL_PROTOCOLS.compare, {
      requests: [
        onRequest(CompareReportRequest, async () => { throw new PanelError('read_only', 'nope'); }),
        onRequest(CompareRunsRequest, async () => { throw new Error('socket closed'); }),
      ],
      commands: [onCommand(LogCommand, () => undefined)],
    }, (m) => { sent.push(m); }, log);
    await c.receive({ kind: 'request', id: 1, method: CompareReportRequest.method, params: { runId: 'x' } });
    await c.receive({ kind: 'request', id: 2, method: CompareRunsRequest.method });
    expect(sent).toEqual([
      { kind: 'response', id: 1, error: { code: 'read_only', message: 'nope' } },
      { kind: 'response', id: 2, error: { code: 'internal', message: 'socket closed' } },
    ]);
    expect(logs).toEqual(['compare: compare/runs failed: socket closed']);
  });

  it('validates its own notifications, and sends nothing once disposed', () => {
    const w = world();
    expect(() => w.controller.notify(InitNotification, { panel: 'compare', args: {}, readOnly: 'no' as unknown as boolean, reason: 'load' })).toThrow(/invalid init notification/);
    w.controller.notify(ConnectionNotification, { connected: true });
    w.controller.dispose();
    w.controller.notify(ConnectionNotification, { connected: false });
    expect(w.sent).toEqual([{ kind: 'notification', method: 'connection', params: { connected: true } }]);
  });

  it('a handler for a request outside the panel\u2019s protocol is a programming error', () => {
    expect(() => new PanelController(PANEL_PROTOCOLS.drift, { requests: [onRequest(CompareRunsRequest, async () => ({ runs: [] }))], commands: [] }, () => undefined, { info() {}, warn() {}, error() {} })).toThrow("drift: request compare/runs is not in the panel's protocol");
  });
});

describe('webview HTML', () => {
  it('has a strict CSP: nothing by default, scripts only with the nonce, no eval, no inline styles', () => {
    expect(contentSecurityPolicy('https://res.test', 'N0nce')).toBe("default-src 'none'; script-src 'nonce-N0nce'; style-src https://res.test 'nonce-N0nce'; img-src https://res.test data:; font-src https://res.test");
  });

  it('uses a fresh 128-bit nonce on every load and escapes what it interpolates', () => {
    const a = newNonce();
    expect(Buffer.from(a, 'base64')).toHaveLength(16);
    expect(newNonce()).not.toBe(a);
    const html = buildWebviewHtml({ cspSource: 'https://r', nonce: a, scriptUri: 'https://r/x.js?a="b"', styleUri: 'https://r/x.css', title: '<Drift> & co', panel: 'drift' });
    expect(html).toContain('<title>&lt;Drift&gt; &amp; co</title>');
    expect(html).toContain('src="https://r/x.js?a=&quot;b&quot;"');
    expect(html.match(/nonce="([^"]+)"/g)).toEqual([`nonce="${a}"`, `nonce="${a}"`]);
    expect(html).not.toMatch(/<script>(?!<)/);
  });
});
