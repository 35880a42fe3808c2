import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { Browser, FrameLocator } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  daemonTokenFile, extensionHostErrors, extensionLog, launchBrowser, packageVsix, prepareWorkspace, prerequisites, readPid, ROOT, sleep,
  startCodeServer, STATUS_ITEM, tempDir, waitFor, Workbench, type CodeServer,
} from './harness';

/**
 * The packaged extension in a real VS Code (code-server 4.139.1 = VS Code 1.139.1) on a copy of
 * the sample workspace with a real trace: status bar, views, CodeLens on the planted skew, the
 * drift view, Replay Traffic, and recovery from a killed daemon. Screenshots: test-results/e2e/.
 */
const missing = prerequisites();
const CLI = path.join(ROOT, 'dist', 'sightline.js');
/** The extension bundle holds the webview panels once extension/panels/index.ts exists. */
const panelsBundled = (): boolean => !readFileSync(path.join(ROOT, 'dist', 'extension.js'), 'utf8').includes('require("./panels")');
/** Whether this build's CLI has a command (replay/eval land separately). */
const cliHas = (cmd: string): boolean => {
  const r = spawnSync(process.execPath, [CLI, 'help', cmd], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.includes(`Usage: sightline ${cmd}`);
};

const skip = process.env.SIGHTLINE_SKIP_E2E === '1';

/** Fails the suite (not skips it) when code-server, Node 24, Chromium or the build are missing. */
function requirePrerequisites(): void {
  if (missing.length > 0) throw new Error(`missing:\n${missing.join('\n')}\n(set SIGHTLINE_SKIP_E2E=1 to skip the e2e tier)`);
}

describe.skipIf(skip)('Sightline in VS Code (code-server)', () => {
  let dir: string;
  let cs: CodeServer;
  let browser: Browser;
  let wb: Workbench;
  let vsixBytes = 0;
  let workspace: string;

  beforeAll(async () => {
    requirePrerequisites();
    dir = tempDir();
    const vsix = packageVsix();
    vsixBytes = vsix.bytes;
    console.log(`packaged ${path.relative(ROOT, vsix.file)}: ${(vsix.bytes / 1024 / 1024).toFixed(1)} MB`);
    const prepared = prepareWorkspace(dir);
    workspace = prepared.workspace;
    // A teammate's trace in the workspace, as teammates share them: `sightline export` of the
    // trace with join keys redacted to keyed hashes (the Traces view lists it; it opens read-only).
    mkdirSync(path.join(workspace, 'shared'));
    const shared = spawnSync(process.execPath, [CLI, 'export', prepared.trace, '--out', path.join(workspace, 'shared', 'teammate.duckdb'), '--sample', '0.5', '--redact', 'join_key=hash', '--json'], {
      encoding: 'utf8', env: { ...process.env, SIGHTLINE_HOME: path.join(dir, 'export-home'), SIGHTLINE_HASH_KEY: 'a-teammates-key-of-32-bytes-long' },
    });
    if (shared.status !== 0) throw new Error(`sightline export failed (${shared.status}): ${shared.stderr}`);
    ({ cs, browser, wb } = await openWorkbench(dir, vsix.file, workspace));
  }, 600_000);

  afterAll(() => closeWorkbench(dir, cs, browser));

  it('activates on sightline.json, starts the bundled daemon and shows it connected', async () => {
    expect(vsixBytes).toBeGreaterThan(10 * 1024 * 1024); // the native modules are inside
    await wb.waitForStatus(/^Sightline: connected$/, 90_000);
    const log = extensionLog(cs.userDataDir);
    const activated = /activated in ([\d.]+) ms/.exec(log);
    expect(activated, log).not.toBeNull();
    console.log(`activation: ${activated![1]} ms in activate(); ${/daemon connected (\d+) ms after activation/.exec(log)?.[1]} ms until the daemon was connected`);
    expect(Number(activated![1])).toBeLessThan(500);
    expect(log).toMatch(/loaded flights-delay@v1 \(\w+\) on cpu/);
    expect(daemonTokenFile(cs.userDataDir)).toBeDefined();

    // The activity-bar container with its four views, filled from the daemon and the language server.
    await wb.page.locator('.activitybar .action-item a[aria-label^="Sightline"]').first().click();
    const tree = (name: string) => wb.page.locator('.pane', { has: wb.page.locator('.pane-header', { hasText: name }) });
    await expect.poll(async () => tree('Models').locator('.monaco-list-row').allTextContents(), { timeout: 30_000 }).toEqual(expect.arrayContaining([expect.stringMatching(/flights-delay/), expect.stringMatching(/^v1.*cpu.*loaded/), expect.stringMatching(/^v2.*cpu.*loaded/)]));
    await expect.poll(async () => (await tree('Findings').locator('.monaco-list-row').allTextContents()).join('\n'), { timeout: 30_000 }).toMatch(/route_delay_rate[\s\S]*skew: JS 0\.8\d/);
    await expect.poll(async () => (await tree('Traces').locator('.monaco-list-row').allTextContents()).join('\n'), { timeout: 30_000 }).toMatch(/trace\.duckdb.*workspace trace · open/);
    await wb.page.locator(STATUS_ITEM).hover();
    await wb.page.locator('.monaco-hover', { hasText: 'Restart' }).first().waitFor({ timeout: 10_000 });
    const tooltip = await wb.page.locator('.monaco-hover', { hasText: 'Restart' }).first().textContent();
    expect(tooltip).toMatch(/Daemon started by VS Code · pid \d+ · 127\.0\.0\.1:\d+/);
    expect(tooltip).toMatch(/Restart.*Logs.*Open Trace/);
    console.log('screenshot:', await wb.screenshot('01-connected-views'));
    await wb.page.keyboard.press('Escape');
  });

  it('puts a CodeLens with numbers on the planted skew feature route_delay_rate (serving/features.ts)', async () => {
    const line = readFileSync(path.join(workspace, 'serving', 'features.ts'), 'utf8').split('\n').findIndex((l) => l.startsWith('export function route_delay_rate(')) + 1;
    expect(line).toBeGreaterThan(0);
    await wb.openFile('serving/features.ts', line);
    let lenses: string[] = [];
    await waitFor('a skew lens', async () => {
      lenses = await wb.page.locator('.codelens-decoration').allTextContents();
      return lenses.some((l) => /skew \d+(\.\d+)? ?%/.test(l));
    }, 60_000);
    const lens = lenses.find((l) => /skew/.test(l))!;
    console.log(`CodeLens above line ${line}: ${lens}`);
    expect(lens).toMatch(/drift PSI \d/);
    console.log('screenshot:', await wb.screenshot('02-codelens-route_delay_rate'));
  });

  it('"Sightline: Show Drift" opens the drift view of route_delay_rate', async () => {
    await wb.runCommand('Sightline: Show Drift');
    await wb.waitForQuickPick(/Show drift of which feature\?/);
    await wb.pick('route_delay_rate');
    if (!panelsBundled()) {
      // TODO(webviews): extension/panels is not in this build yet; once it lands this branch goes
      // away and the drift webview below is asserted. Until then the extension says so plainly.
      const msg = await wb.waitForNotification(/no webview panels/);
      console.log('screenshot:', await wb.screenshot('03-show-drift'), `(${msg})`);
      return;
    }
    const frame = await webviewFrame(wb, /drift/i);
    await expect.poll(async () => (await frame.locator('body').textContent()) ?? '', { timeout: 60_000 }).toMatch(/Distribution: route_delay_rate/);
    const text = (await frame.locator('body').textContent()) ?? '';
    expect(text).toMatch(/route_delay_rate\s*drift/); // the planted feature is the one that drifted
    // Let the charts finish loading for the screenshot (they are the webview engineer's to assert).
    await waitFor('charts', async () => !/Loading…/.test((await frame.locator('body').textContent()) ?? ''), 30_000).catch(() => undefined);
    console.log('screenshot:', await wb.screenshot('03-show-drift'));
  });

  it('"Show Failing Slices", "Show Predictions" and "Trace Feature Lineage" open their views with the sample\'s data', async () => {
    const body = async (frame: FrameLocator): Promise<string> => (await frame.locator('body').textContent()) ?? '';
    // Failing slices of the demo trace (labels arrived): a sortable table, worst first.
    await wb.runCommand('Sightline: Show Failing Slices');
    const slices = await webviewFrame(wb, /Failing Slices/);
    await expect.poll(async () => body(slices), { timeout: 60_000 }).toMatch(/Effect size[\s\S]*Adjusted p/);
    expect(await slices.locator('table tbody tr').count()).toBeGreaterThan(3);
    expect(await body(slices)).toMatch(/origin|dep_hour|destination|day_of_week/);
    await sleep(500);
    console.log('screenshot:', await wb.screenshot('09-failing-slices'));
    // The prediction explorer: a page of the 60,000 served predictions.
    await wb.runCommand('Sightline: Show Predictions');
    const predictions = await webviewFrame(wb, /^Predictions/);
    await expect.poll(async () => predictions.locator('table tbody tr').count(), { timeout: 60_000 }).toBeGreaterThan(10);
    expect(await body(predictions)).toMatch(/flights-delay/);
    await sleep(500);
    console.log('screenshot:', await wb.screenshot('10-predictions'));
    // Lineage of the planted feature: back to its code and the data it was computed from.
    await wb.runCommand('Sightline: Trace Feature Lineage');
    await wb.waitForQuickPick(/Trace the lineage of which feature\?/);
    await wb.pick('route_delay_rate');
    const lineage = await webviewFrame(wb, /Lineage: route_delay/);
    await expect.poll(async () => lineage.locator('svg g.node').count(), { timeout: 60_000 }).toBeGreaterThan(1);
    await sleep(1000);
    console.log('screenshot:', await wb.screenshot('11-lineage-route_delay_rate'));
    expect(extensionHostErrors(cs.userDataDir)).toEqual([]);
  });

  it('"Sightline: Replay Traffic" opens the compare view, or says replay is not in this version', async () => {
    await wb.runCommand('Sightline: Replay Traffic');
    if (!cliHas('replay')) {
      const msg = await wb.waitForNotification(/Replay Traffic is not available in this version of Sightline/);
      expect(msg).toContain('`replay`');
      console.log('screenshot:', await wb.screenshot('04-replay-traffic'), `(${msg.trim()})`);
      return;
    }
    await wb.waitForQuickPick(/the candidate model/);
    await wb.pick('flights-delay-v2.onnx');
    await wb.waitForQuickPick(/the current model/);
    await wb.pick('flights-delay-v1.onnx');
    await wb.waitForQuickPick(/which captured traffic/);
    await wb.pick('The newest 1,000 predictions');
    if (!panelsBundled()) {
      await wb.waitForNotification(/no webview panels|failed/, 300_000);
      console.log('screenshot:', await wb.screenshot('04-replay-traffic'));
      return;
    }
    const frame = await webviewFrame(wb, /compare|replay/i, 300_000);
    await expect.poll(async () => (await frame.locator('body').textContent()) ?? '', { timeout: 60_000 }).toMatch(/flip|latency|p99/i);
    console.log('screenshot:', await wb.screenshot('04-replay-traffic'));
  });

  it('recovers the status bar after the daemon is killed', async () => {
    await wb.page.keyboard.press('Escape');
    await wb.waitForStatus(/^Sightline: connected$/);
    const tokenFile = daemonTokenFile(cs.userDataDir)!;
    const pid = readPid(tokenFile);
    process.kill(pid, 'SIGKILL');
    const t0 = Date.now();
    // One snapshot of label, text and colour at a time (the state moves on within seconds).
    const item = wb.page.locator(STATUS_ITEM);
    const snapshot = () => item.evaluate((e) => ({ label: e.getAttribute('aria-label') ?? '', text: e.textContent ?? '', bg: getComputedStyle(e).backgroundColor }));
    let seen = await snapshot();
    await waitFor('the reconnecting state', async () => /^Sightline: reconnecting$/.test((seen = await snapshot()).label), 15_000, 50);
    const shot = await wb.screenshot('05-daemon-killed-reconnecting');
    console.log(`reconnecting: "${seen.text.trim()}", background ${seen.bg}; screenshot: ${shot}`);
    // The warning colour comes from the theme (statusBarItem.warningBackground), not the default.
    expect(seen.bg).not.toMatch(/rgba\(0, 0, 0, 0\)|transparent/);
    expect(seen.text).toMatch(/reconnecting in \ds|restarting/);
    const bg = seen.bg;
    await wb.waitForStatus(/^Sightline: connected$/, 60_000);
    const newPid = readPid(daemonTokenFile(cs.userDataDir)!);
    expect(newPid).not.toBe(pid);
    console.log(`daemon pid ${pid} killed; pid ${newPid} connected after ${Date.now() - t0} ms`);
    expect(await item.evaluate((e) => getComputedStyle(e).backgroundColor)).not.toBe(bg);
    // The findings come back (the language client was recreated with the new daemon's port and token).
    const findings = wb.page.locator('.pane', { has: wb.page.locator('.pane-header', { hasText: 'Findings' }) });
    await expect.poll(async () => (await findings.locator('.monaco-list-row').allInnerTexts()).join('\n'), { timeout: 30_000 }).toMatch(/route_delay_rate[\s\S]*skew: JS 0\.8\d/);
    await sleep(500);
    console.log('screenshot:', await wb.screenshot('06-daemon-recovered'));
    expect(extensionLog(cs.userDataDir)).toMatch(new RegExp(`the daemon \\(pid ${pid}\\) exited on SIGKILL`));
  });

  it("opens a teammate's trace read-only from the Traces view, then goes back to the workspace trace", async () => {
    const traces = wb.page.locator('.pane', { has: wb.page.locator('.pane-header', { hasText: 'Traces' }) });
    const row = (name: string) => traces.locator('.monaco-list-row', { hasText: name }).first();
    await row('teammate.duckdb').waitFor({ timeout: 30_000 });
    await row('teammate.duckdb').click();
    await wb.waitForStatus(/^Sightline: connected \(read-only\)$/, 60_000);
    const log = extensionLog(cs.userDataDir);
    expect(log).toMatch(/starting daemon: .* serve --trace \S*shared\/teammate\.duckdb --port 0 --read-only/);
    await expect.poll(async () => (await row('teammate.duckdb').innerText()), { timeout: 15_000 }).toMatch(/open/);
    await sleep(500);
    console.log('screenshot:', await wb.screenshot('07-teammate-trace-read-only'));
    await row('trace.duckdb').click();
    await wb.waitForStatus(/^Sightline: connected$/, 60_000);
    expect(extensionLog(cs.userDataDir)).toContain('back to the workspace trace');
    expect(extensionHostErrors(cs.userDataDir)).toEqual([]);
  });
});

/** code-server with the packaged extension on `workspace`, and Chromium on its workbench; a failed start closes what had opened. */
async function openWorkbench(dir: string, vsix: string, workspace: string, opts?: { restricted?: boolean }): Promise<{ cs: CodeServer; browser: Browser; wb: Workbench }> {
  const cs = await startCodeServer(dir, vsix, workspace, opts);
  let browser: Browser | undefined;
  try {
    browser = await launchBrowser();
    return { cs, browser, wb: await Workbench.open(browser, cs) };
  } catch (err) {
    await closeWorkbench(undefined, cs, browser);
    throw err;
  }
}

/** Closes what openWorkbench opened (as far as it got) and removes the test folder. */
async function closeWorkbench(dir: string | undefined, cs: CodeServer | undefined, browser: Browser | undefined): Promise<void> {
  await browser?.close().catch(() => undefined);
  await cs?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
}

/** The content frame of the webview whose editor tab title matches. */
async function webviewFrame(wb: Workbench, title: RegExp, timeoutMs = 60_000): Promise<FrameLocator> {
  await wb.page.locator('.tabs-container .tab', { hasText: title }).first().waitFor({ timeout: timeoutMs });
  await wb.page.locator('iframe.webview.ready').last().waitFor({ timeout: timeoutMs });
  return wb.page.frameLocator('iframe.webview.ready').last().frameLocator('iframe#active-frame');
}


describe.skipIf(skip)('Sightline in VS Code, Restricted Mode (untrusted workspace)', () => {
  let dir: string;
  let cs: CodeServer;
  let browser: Browser;
  let wb: Workbench;

  beforeAll(async () => {
    requirePrerequisites();
    dir = tempDir();
    const vsix = packageVsix();
    const { workspace } = prepareWorkspace(dir);
    ({ cs, browser, wb } = await openWorkbench(dir, vsix.file, workspace, { restricted: true }));
  }, 600_000);

  afterAll(() => closeWorkbench(dir, cs, browser));

  it('opens the trace read-only (no models), shows its findings, and offers no command that runs models', async () => {
    await wb.waitForStatus(/^Sightline: connected \(read-only\)$/, 90_000);
    const log = extensionLog(cs.userDataDir);
    const start = /starting daemon: .* serve (.*) \(SIGHTLINE_HOME/.exec(log)?.[1] ?? '';
    expect(start).toContain('--read-only');
    expect(start).not.toContain('--model');
    expect(log).toContain('Restricted Mode');
    await wb.page.locator('.activitybar .action-item a[aria-label^="Sightline"]').first().click();
    const tree = (name: string) => wb.page.locator('.pane', { has: wb.page.locator('.pane-header', { hasText: name }) });
    await expect.poll(async () => (await tree('Models').locator('.monaco-list-row').allInnerTexts()).join('\n'), { timeout: 30_000 }).toContain('Read-only trace: no models are loaded');
    await expect.poll(async () => (await tree('Findings').locator('.monaco-list-row').allInnerTexts()).join('\n'), { timeout: 30_000 }).toMatch(/route_delay_rate[\s\S]*skew: JS 0\.8\d/);
    expect((await wb.paletteEntries('Sightline: Show Drift')).join('\n')).toContain('Sightline: Show Drift');
    for (const runs of ['Replay Traffic', 'Run Evaluation', 'Compare Models', 'Flag Prediction']) {
      expect((await wb.paletteEntries(`Sightline: ${runs}`)).join('\n')).not.toContain(`Sightline: ${runs}`);
    }
    await sleep(500); // the palette's closing animation
    console.log('screenshot:', await wb.screenshot('08-restricted-mode-read-only'));
    expect(extensionHostErrors(cs.userDataDir)).toEqual([]);
  });
});
