/**
 * Runs a built webview bundle (dist/webviews/<panel>.js) in headless Chromium the way VS Code
 * runs it: the page is the extension's own HTML (extension/panels/html.ts, same CSP and nonce),
 * served from a resource origin that stands in for `webview.cspSource`; the theme's `--vscode-*`
 * variables and body class are set through the CSSOM as VS Code sets them. The host side is the
 * extension's real PanelController with the real handlers, over a real daemon connection: only
 * `acquireVsCodeApi` is replaced, by `window.__sightlineHost` (webviews/shared/messaging.ts).
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { PANEL_PROTOCOLS, type HostMessage, type PanelArgs, type PanelKind } from '../../protocol/webview';
import { PanelController } from '../../extension/panels/controller';
import { panelHandlers, type PanelServices } from '../../extension/panels/handlers';
import { buildWebviewHtml, newNonce } from '../../extension/panels/html';
import { InitNotification } from '../../protocol/webview';
import { ROOT } from '../helpers/daemon';
import { THEMES, type ThemeName } from './themes';

export const ORIGIN = 'https://sightline-webview.test';
export const SCREENSHOTS = path.join(ROOT, 'test-results', 'webviews');
const DIST = path.join(ROOT, 'dist', 'webviews');

export async function launchBrowser(): Promise<Browser> {
  // Loaded from node_modules at run time (not bundled): the benchmarks (esbuild bundles of
  // test/bench) use this harness too, and playwright-core finds its own files next to itself.
  const { chromium } = createRequire(path.join(ROOT, 'package.json'))('playwright-core') as typeof import('playwright-core');
  return chromium.launch({
    // Debian's Chromium (test/setup-chromium.sh installs it); SIGHTLINE_E2E_CHROMIUM names another.
    executablePath: process.env.SIGHTLINE_E2E_CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
}

export function assertBundlesBuilt(): void {
  for (const p of Object.keys(PANEL_PROTOCOLS)) {
    if (!existsSync(path.join(DIST, `${p}.js`)) || !existsSync(path.join(DIST, `${p}.css`))) {
      throw new Error(`dist/webviews/${p}.js or .css is missing: run \`npm run build\` first`);
    }
  }
}

/** What the page asked of the host besides queries. */
export interface HostRecord {
  opened: Array<{ panel: PanelKind; args: unknown }>;
  files: Array<{ path: string; line?: number }>;
  logs: Array<{ level: string; message: string }>;
  /** Every message the webview posted, parsed. */
  received: unknown[];
  /** Every message the host posted. */
  sent: HostMessage[];
  queries: Array<{ method: string; params: unknown }>;
}

export interface PanelPage {
  page: Page;
  host: HostRecord;
  /** CSP violations seen by the page (securitypolicyviolation events). */
  violations: string[];
  /** console.error messages and uncaught page errors. */
  errors: string[];
  /** The last state the page saved with setState. */
  state(): unknown;
  /** Sets a theme through the CSSOM (as VS Code does on a theme change). */
  setTheme(theme: ThemeName): Promise<void>;
  screenshot(name: string): Promise<string>;
  /** Waits until no request is outstanding and the page is not busy. */
  settle(): Promise<void>;
  close(): Promise<void>;
}

export interface OpenOptions<K extends PanelKind> {
  panel: K;
  args: PanelArgs[K];
  query: (method: string, params?: unknown) => Promise<unknown>;
  readOnly?: boolean;
  theme?: ThemeName;
  /** State handed back by "VS Code" (what the page saved before a reload). */
  state?: unknown;
  viewport?: { width: number; height: number };
  /** A script run in the page before anything else (the benchmark's paint observers). */
  initScript?: string;
  /** Where the bundles are served from (default dist/webviews; the benchmark serves a production build). */
  distDir?: string;
}

export async function openPanel<K extends PanelKind>(browser: Browser, o: OpenOptions<K>): Promise<PanelPage> {
  const context = await browser.newContext({ viewport: o.viewport ?? { width: 1280, height: 900 }, deviceScaleFactor: 1 });
  const page = await context.newPage();
  const host: HostRecord = { opened: [], files: [], logs: [], received: [], sent: [], queries: [] };
  const violations: string[] = [];
  const errors: string[] = [];
  let state: unknown = o.state;
  let inFlight = 0;

  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));

  const services: PanelServices = {
    query: async <T>(method: string, params?: unknown): Promise<T> => {
      host.queries.push({ method, params });
      return (await o.query(method, params)) as T;
    },
    openFile: async (file, line) => { host.files.push({ path: file, ...(line !== undefined ? { line } : {}) }); },
    open: (panel, args) => { host.opened.push({ panel, args }); },
    log: {
      info: (m) => host.logs.push({ level: 'info', message: m }),
      warn: (m) => host.logs.push({ level: 'warn', message: m }),
      error: (m) => host.logs.push({ level: 'error', message: m }),
    },
    readOnly: o.readOnly ?? false,
  };
  const post = async (m: HostMessage): Promise<void> => {
    host.sent.push(m);
    await page.evaluate((msg) => window.dispatchEvent(new MessageEvent('message', { data: msg })), m as unknown as Record<string, unknown>).catch(() => undefined);
  };
  const controller = new PanelController(PANEL_PROTOCOLS[o.panel], panelHandlers(o.panel, services, () => {
    controller.notify(InitNotification, { panel: o.panel, args: o.args, readOnly: o.readOnly ?? false, reason: 'load' });
  }), post, services.log);

  await page.exposeFunction('__sightlineToHost', async (json: string) => {
    const m = JSON.parse(json) as unknown;
    host.received.push(m);
    inFlight++;
    try {
      await controller.receive(m);
    } finally {
      inFlight--;
    }
  });
  await page.exposeFunction('__sightlineSaveState', (json: string) => { state = JSON.parse(json); });
  await page.exposeFunction('__sightlineViolation', (json: string) => { violations.push(json); });

  const theme = THEMES[o.theme ?? 'dark'];
  await page.addInitScript(({ initial, vars, bodyClass, kind }) => {
    const w = window as unknown as Record<string, unknown>;
    let saved: unknown = initial === null ? undefined : JSON.parse(initial);
    w.__sightlineHost = {
      postMessage: (m: unknown) => void (w.__sightlineToHost as (s: string) => Promise<void>)(JSON.stringify(m)),
      getState: () => saved,
      setState: (s: unknown) => { saved = s; void (w.__sightlineSaveState as (s: string) => Promise<void>)(JSON.stringify(s)); },
    };
    document.addEventListener('securitypolicyviolation', (e) => {
      void (w.__sightlineViolation as (s: string) => Promise<void>)(JSON.stringify({ directive: e.violatedDirective, blocked: e.blockedURI, sample: e.sample, source: e.sourceFile, line: e.lineNumber }));
    });
    // Like VS Code: variables on <html> (CSSOM), theme class on <body>, as soon as they exist.
    let htmlDone = false;
    const apply = (): boolean => {
      if (!htmlDone && document.documentElement) {
        for (const [k, v] of Object.entries(vars)) document.documentElement.style.setProperty(k, v);
        htmlDone = true;
      }
      if (!document.body) return false;
      document.body.classList.add(bodyClass);
      document.body.setAttribute('data-vscode-theme-kind', kind);
      return true;
    };
    if (!apply()) new MutationObserver((_m, obs) => { if (apply()) obs.disconnect(); }).observe(document, { childList: true, subtree: true });
  }, { initial: state === undefined ? null : JSON.stringify(state), vars: theme.vars, bodyClass: theme.bodyClass, kind: theme.kind });

  await page.route(`${ORIGIN}/**`, async (route) => {
    const url = new URL(route.request().url());
    if (url.pathname === '/index.html') {
      const html = buildWebviewHtml({
        cspSource: ORIGIN, nonce: newNonce(), scriptUri: `${ORIGIN}/dist/webviews/${o.panel}.js`, styleUri: `${ORIGIN}/dist/webviews/${o.panel}.css`,
        title: `Sightline ${o.panel}`, panel: o.panel,
      });
      return route.fulfill({ status: 200, contentType: 'text/html; charset=utf-8', body: html });
    }
    const m = /^\/dist\/webviews\/([A-Za-z0-9_.-]+)$/.exec(url.pathname);
    const file = m ? path.join(o.distDir ?? DIST, m[1]!) : null;
    if (file && existsSync(file)) {
      const type = file.endsWith('.js') ? 'text/javascript' : file.endsWith('.css') ? 'text/css' : file.endsWith('.map') ? 'application/json' : 'application/octet-stream';
      return route.fulfill({ status: 200, contentType: type, body: readFileSync(file) });
    }
    return route.fulfill({ status: 404, body: 'not found' });
  });
  // Anything else (a CDN, a font service) must not be fetched: fail it loudly.
  await page.route((url) => !url.href.startsWith(ORIGIN), (route) => {
    errors.push(`request outside the webview origin: ${route.request().url()}`);
    return route.abort();
  });

  if (o.initScript) await page.addInitScript(o.initScript);
  await page.goto(`${ORIGIN}/index.html`);

  const settle = async (): Promise<void> => {
    const deadline = Date.now() + 60_000;
    let quiet = 0;
    while (Date.now() < deadline) {
      const busy = await page.evaluate(() => document.getElementById('app')?.getAttribute('aria-busy') === 'true');
      if (!busy && inFlight === 0) {
        if (++quiet >= 3) return;
      } else quiet = 0;
      await page.waitForTimeout(100);
    }
    throw new Error('the panel did not settle in 60 s');
  };

  return {
    page, host, violations, errors,
    state: () => state,
    setTheme: async (name) => {
      const t = THEMES[name];
      await page.evaluate(({ vars, bodyClass, kind }) => {
        for (const [k, v] of Object.entries(vars)) document.documentElement.style.setProperty(k, v);
        document.body.classList.remove('vscode-light', 'vscode-dark', 'vscode-high-contrast', 'vscode-high-contrast-light');
        document.body.classList.add(bodyClass);
        document.body.setAttribute('data-vscode-theme-kind', kind);
      }, { vars: t.vars, bodyClass: t.bodyClass, kind: t.kind });
      await page.waitForTimeout(300);
    },
    screenshot: async (name) => {
      mkdirSync(SCREENSHOTS, { recursive: true });
      const file = path.join(SCREENSHOTS, `${name}.png`);
      await page.screenshot({ path: file, fullPage: true });
      return file;
    },
    settle,
    close: () => context.close(),
  };
}
