/**
 * `npm run bench -- extension` — the VS Code side's figures, each against a baseline measured in
 * the same run on the same machine (absolute numbers vary; ratios travel). Nothing here asserts
 * a time; sizes are compared with stated budgets.
 *
 *   1. Bundle sizes of the production build (`node esbuild.mjs --production`, run in a scratch
 *      folder that links the sources, so dist/ is left as it is): dist/extension.js,
 *      dist/sightline.js and each dist/webviews/*.js, raw and gzipped, against BUDGETS.
 *   2. Activation:
 *      a. require() of dist/extension.js in plain Node (a stub `vscode`), dev and production
 *         builds, vs require() of an empty module — the module-evaluation part of activation;
 *      b. in a real VS Code (code-server 4.139.1 = VS Code 1.139.1, from test/e2e): the packaged
 *         extension and an empty extension with the same activation event
 *         (workspaceContains:sightline.json), both activated in the same window, as VS Code
 *         reports them in "Developer: Show Running Extensions" (code loading + activate call);
 *         repeated over window reloads; plus the time Sightline's activate() reports itself.
 *         Optional: skipped with a message when code-server is not installed
 *         (test/e2e/setup-code-server.sh) or BENCH_CODE_SERVER=0.
 *   3. Webview first paint: each panel's production bundle in headless Chromium (test/webviews harness: the
 *      extension's own HTML and CSP, the real PanelController and handlers over a real daemon on
 *      the sample trace, so the panels render real aggregates): first contentful paint, and the
 *      first paint of rendered data (Element Timing on the first headings the panel inserts), vs
 *      the same page shell with static content and no script (blank-page baseline).
 *
 * Environment: BENCH_CODE_SERVER=0 skips 2b; BENCH_PAINT=0 skips 3; BENCH_RELOADS (default 3) window reloads in 2b;
 * BENCH_PAINT_RUNS (default 5) page loads per panel in 3; BENCH_VSIX a .vsix to measure instead
 * of packaging dist/ as it is.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Browser } from 'playwright-core';
import { StreamConnection } from '../../clients/typescript/client';
import { CompareReport } from '../../protocol/compare';
import { PredictionsPage } from '../../protocol/queries';
import type { PanelArgs, PanelKind } from '../../protocol/webview';
import {
  CODE_SERVER, extensionLog, launchBrowser as launchWorkbenchBrowser, NODE24_BIN, packageVsix, sleep, startCodeServer, waitFor, Workbench,
} from '../e2e/harness';
import { CLI } from '../helpers/daemon';
import { buildSampleTrace } from '../integration/queries/fixture';
import { launchBrowser, openPanel, ORIGIN } from '../webviews/harness';

const ROOT = process.cwd();
const KiB = 1024;

/** Budgets of the production build (bytes, uncompressed). */
const BUDGETS: Array<{ match: RegExp; budget: number; why: string }> = [
  { match: /^dist\/extension\.js$/, budget: 1100 * KiB, why: 'extension host code incl. vscode-languageclient and the protocol schemas' },
  { match: /^dist\/sightline\.js$/, budget: 1700 * KiB, why: 'daemon + CLI + language server (native modules external)' },
  { match: /^dist\/webviews\/(drift|compare)\.js$/, budget: 384 * KiB, why: 'panel with Chart.js' },
  { match: /^dist\/webviews\/lineage\.js$/, budget: 256 * KiB, why: 'panel with dagre' },
  { match: /^dist\/webviews\/.*\.js$/, budget: 192 * KiB, why: 'panel without a chart library' },
];

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s[(s.length - 1) >> 1]! + s[s.length >> 1]!) / 2 : NaN;
}
const f1 = (x: number): string => (Number.isFinite(x) ? x.toFixed(1) : '–');
const kib = (b: number): string => `${(b / KiB).toFixed(1)} KiB`;

// ── 1. bundle sizes ──────────────────────────────────────────────────────────

/** Runs the project's own production build in a scratch folder that links the sources; returns its dist/. */
function productionBuild(scratch: string): string {
  for (const entry of readdirSync(ROOT)) {
    if (['dist', 'out', '.git', 'test-results'].includes(entry)) continue;
    symlinkSync(path.join(ROOT, entry), path.join(scratch, entry));
  }
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ['esbuild.mjs', '--production'], { cwd: scratch, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`production build failed:\n${r.stdout}\n${r.stderr}`);
  console.log(`production build (node esbuild.mjs --production in a scratch folder): ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return path.join(scratch, 'dist');
}

function bundleSizes(dist: string): void {
  const files = ['extension.js', 'sightline.js', ...readdirSync(path.join(dist, 'webviews')).filter((f) => f.endsWith('.js')).sort().map((f) => `webviews/${f}`)];
  console.log('\nbundle sizes (production build) vs budget:');
  let over = 0;
  for (const f of files) {
    const name = `dist/${f}`;
    const bytes = statSync(path.join(dist, f)).size;
    const gz = gzipSync(readFileSync(path.join(dist, f)), { level: 9 }).length;
    const b = BUDGETS.find((x) => x.match.test(name))!;
    const ratio = bytes / b.budget;
    if (ratio > 1) over++;
    console.log(`  ${name.padEnd(28)} ${kib(bytes).padStart(12)}  gzip ${kib(gz).padStart(10)}  budget ${kib(b.budget).padStart(11)}  ${ratio.toFixed(2)}× budget ${ratio > 1 ? 'OVER' : 'ok'}  (${b.why})`);
  }
  console.log(`  ${over === 0 ? 'every bundle is within its budget' : `${over} bundle(s) over budget`}`);
}

// ── 2a. require() in plain Node ──────────────────────────────────────────────

/** Median time of a fresh require() of a module (cache cleared each time), with `vscode` stubbed. */
function requireTime(file: string, runs = 7): number {
  const req = createRequire(file);
  const stub: object = new Proxy(function vscodeStub() { /* any call */ }, {
    get: (_t, key) => (key === Symbol.toPrimitive ? () => '' : stub),
    apply: () => stub,
    construct: () => stub as object,
  });
  const resolve = (Module as unknown as { _resolveFilename: (r: string, ...rest: unknown[]) => string });
  const original = resolve._resolveFilename;
  resolve._resolveFilename = function (request: string, ...rest: unknown[]) {
    return request === 'vscode' ? 'vscode' : original.call(this, request, ...rest);
  };
  (req.cache as Record<string, unknown>).vscode = { id: 'vscode', filename: 'vscode', loaded: true, exports: stub };
  const times: number[] = [];
  try {
    for (let i = 0; i < runs; i++) {
      for (const k of Object.keys(req.cache)) if (!k.includes('node_modules') && k !== 'vscode') delete req.cache[k];
      const t0 = performance.now();
      req(file);
      times.push(performance.now() - t0);
    }
  } finally {
    resolve._resolveFilename = original;
    delete (req.cache as Record<string, unknown>).vscode;
  }
  return median(times);
}

/** Production require() time, the baseline of the in-VS Code activation figures below. */
let requireProdMs = NaN;

function requireBench(prodDist: string, scratch: string): void {
  const empty = path.join(scratch, 'empty-extension.js');
  writeFileSync(empty, 'exports.activate = function () { return {}; };\nexports.deactivate = function () {};\n');
  const base = requireTime(empty);
  const dev = path.join(ROOT, 'dist', 'extension.js');
  const devBuild = existsSync(dev) && readFileSync(dev, 'utf8').includes('sourceMappingURL');
  console.log('\nactivation, module evaluation: require() in plain Node with a stub `vscode` (median of 7, cache cleared each time):');
  const prod = requireTime(path.join(prodDist, 'extension.js'));
  requireProdMs = prod;
  console.log(`  empty module                       ${(base * 1000).toFixed(0).padStart(7)} µs`);
  console.log(`  dist/extension.js, production      ${f1(prod).padStart(7)} ms   (baseline of the VS Code figures below)`);
  if (existsSync(dev)) {
    const t = requireTime(dev);
    console.log(`  dist/extension.js, ${devBuild ? 'dev build ' : 'as built  '}      ${f1(t).padStart(7)} ms   ${(t / prod).toFixed(2)}× production`);
  }
}

// ── 2b. activation in a real VS Code ─────────────────────────────────────────

/** An empty extension activated on the same event as Sightline, packaged with vsce. */
function emptyExtensionVsix(dir: string): string {
  const src = path.join(dir, 'empty-ext');
  mkdirSync(src, { recursive: true });
  writeFileSync(path.join(src, 'package.json'), JSON.stringify({
    name: 'empty-baseline', displayName: 'Empty Baseline', publisher: 'sightline-bench', version: '0.0.1', license: 'MIT',
    engines: { vscode: '^1.90.0' }, main: './extension.js', activationEvents: ['workspaceContains:sightline.json'], extensionKind: ['workspace'],
  }, null, 2));
  writeFileSync(path.join(src, 'extension.js'), 'exports.activate = function () { return {}; };\nexports.deactivate = function () {};\n');
  writeFileSync(path.join(src, 'README.md'), '# Empty Baseline\n\nThe baseline of the Sightline activation benchmark.\n');
  writeFileSync(path.join(src, 'LICENSE'), 'MIT\n');
  const out = path.join(dir, 'empty-baseline.vsix');
  const vsce = path.join(ROOT, 'node_modules', '@vscode', 'vsce', 'vsce');
  const r = spawnSync(process.execPath, [vsce, 'package', '--allow-missing-repository', '--skip-license', '--out', out], { cwd: src, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`vsce package (empty extension) failed:\n${r.stdout}\n${r.stderr}`);
  return out;
}

interface Activation { name: string; text: string; ms: number }

/** Rows of "Developer: Show Running Extensions" for the given display names (scrolled into view). */
async function runningExtensions(wb: Workbench, names: string[]): Promise<Activation[]> {
  await wb.runCommand('Developer: Show Running Extensions');
  const found = new Map<string, Activation>();
  await waitFor('the Running Extensions editor', async () => (await wb.page.locator('.runtime-extensions-editor .monaco-list-row').count()) > 0, 30_000);
  for (let attempt = 0; attempt < 40 && found.size < names.length; attempt++) {
    const rows = await wb.page.$$eval('.runtime-extensions-editor .monaco-list-row', (els) => els.map((e) => ({
      name: (e.querySelector('.name')?.textContent ?? '').trim(),
      text: (e.querySelector('.activation-time')?.textContent ?? '').trim(),
    })));
    for (const r of rows) {
      const m = /(\d+(?:\.\d+)?)\s*ms/.exec(r.text);
      if (names.includes(r.name) && m) found.set(r.name, { name: r.name, text: r.text, ms: Number(m[1]) });
    }
    if (found.size < names.length) {
      await wb.page.locator('.runtime-extensions-editor .monaco-list').first().hover().catch(() => undefined);
      await wb.page.mouse.wheel(0, attempt < 20 ? 240 : -240);
      await sleep(250);
    }
  }
  return names.map((n) => found.get(n)).filter((x): x is Activation => !!x);
}

async function codeServerBench(): Promise<void> {
  console.log('\nactivation in a real VS Code (code-server 4.139.1 = VS Code 1.139.1):');
  if (process.env.BENCH_CODE_SERVER === '0') {
    console.log('  skipped (BENCH_CODE_SERVER=0)');
    return;
  }
  const missing = [
    !existsSync(CODE_SERVER) && `code-server (${CODE_SERVER})`,
    !existsSync(path.join(NODE24_BIN, 'node')) && `Node 24 (${NODE24_BIN})`,
    !existsSync('/usr/bin/chromium') && 'Chromium (/usr/bin/chromium)',
    !existsSync(path.join(ROOT, 'dist', 'extension.js')) && 'dist/extension.js',
  ].filter(Boolean);
  if (missing.length) {
    console.log(`  SKIPPED: missing ${missing.join(', ')}; run test/e2e/setup-code-server.sh (needs the npm registry once), or BENCH_CODE_SERVER=0 to silence this`);
    return;
  }
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sightline-bench-cs-'));
  let cs: Awaited<ReturnType<typeof startCodeServer>> | undefined;
  let browser: Browser | undefined;
  try {
    const t0 = performance.now();
    const vsix = process.env.BENCH_VSIX ? { file: process.env.BENCH_VSIX, bytes: statSync(process.env.BENCH_VSIX).size } : await packageVsix();
    const dev = readFileSync(path.join(ROOT, 'dist', 'extension.js'), 'utf8').includes('sourceMappingURL');
    console.log(`  ${path.relative(ROOT, vsix.file)}: ${(vsix.bytes / KiB / KiB).toFixed(1)} MiB${process.env.BENCH_VSIX ? '' : `, packaged from dist/ as built (${dev ? 'dev build, as `npm run bench` builds it' : 'production build'})`}`);
    const baseline = emptyExtensionVsix(dir);
    // A small workspace: sightline.json activates both extensions; the daemon is not started
    // (autoStart off) so nothing competes with the activations being measured.
    const workspace = path.join(dir, 'ws');
    mkdirSync(workspace);
    writeFileSync(path.join(workspace, 'sightline.json'), JSON.stringify({ models: [] }, null, 2));
    cs = await startCodeServer(dir, vsix.file, workspace, { settings: { 'sightline.daemon.autoStart': false }, moreVsix: [baseline] });
    browser = await launchWorkbenchBrowser();
    const wb = await Workbench.open(browser, cs);
    console.log(`  code-server up and the workbench loaded in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
    const names = ['Sightline', 'Empty Baseline'];
    const reloads = Number(process.env.BENCH_RELOADS ?? 3);
    const samples: Activation[][] = [];
    for (let i = 0; i <= reloads; i++) {
      if (i > 0) {
        await wb.runCommand('Developer: Reload Window');
        await wb.page.waitForSelector('.monaco-workbench', { timeout: 90_000 });
        await sleep(3000);
      } else await sleep(3000);
      const rows = await runningExtensions(wb, names);
      if (rows.length === names.length) samples.push(rows);
      else console.log(`  window ${i}: found ${rows.map((r) => r.name).join(', ') || 'neither extension'} in Running Extensions`);
    }
    if (samples.length > 0) {
      const shot = await wb.screenshot('bench-running-extensions');
      console.log(`  screenshot: ${shot}`);
    }
    const sl = samples.map((s) => s.find((r) => r.name === 'Sightline')!.ms);
    const empty = samples.map((s) => s.find((r) => r.name === 'Empty Baseline')!.ms);
    const selfTimes = [...extensionLog(cs.userDataDir).matchAll(/activated in ([\d.]+) ms/g)].map((m) => Number(m[1]));
    if (samples.length === 0) {
      console.log('  could not read activation times from "Developer: Show Running Extensions"');
    } else {
      console.log(`  VS Code's activation time (code loading + activate call), median of ${samples.length} window load(s), e.g. "${samples[0]![0]!.text}":`);
      console.log(`    Empty Baseline (same activation event)  ${f1(median(empty)).padStart(6)} ms   [${empty.join(', ')}]`);
      console.log(`    Sightline                               ${f1(median(sl)).padStart(6)} ms   [${sl.join(', ')}]   ${f1(median(sl) / Math.max(median(empty), 1))}× the empty extension, ${f1(median(sl) / requireProdMs)}× its require() in plain Node`);
    }
    if (selfTimes.length) console.log(`  Sightline's activate() by its own clock ("activated in … ms" in its log): median ${f1(median(selfTimes))} ms over ${selfTimes.length} activation(s)`);
  } catch (err) {
    console.log(`  FAILED to measure in code-server (kept optional): ${(err as Error).message.split('\n').slice(0, 4).join(' | ')}`);
  } finally {
    await browser?.close().catch(() => undefined);
    await cs?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

// ── 3. webview first paint ───────────────────────────────────────────────────

/**
 * Observers installed before the page's own code: first contentful paint, and Element Timing on
 * the first headings/cells the panel inserts into its body (marked as they are inserted, so the
 * browser reports when they were first painted).
 */
const PAINT_OBSERVER = `
  (() => {
    const w = window;
    w.__bench = { fcp: null, data: null, inserted: null };
    new PerformanceObserver((l) => { for (const e of l.getEntries()) if (e.name === 'first-contentful-paint' && w.__bench.fcp === null) w.__bench.fcp = e.startTime; }).observe({ type: 'paint', buffered: true });
    new PerformanceObserver((l) => { for (const e of l.getEntries()) if (w.__bench.data === null) w.__bench.data = e.renderTime || e.loadTime; }).observe({ type: 'element', buffered: true });
    const mark = (root) => {
      for (const el of root.querySelectorAll ? root.querySelectorAll('h2, td, dd, p, text') : []) el.setAttribute('elementtiming', 'data');
    };
    new MutationObserver((records, obs) => {
      const body = document.querySelector('.page-body');
      if (!body) return;
      for (const r of records) for (const n of r.addedNodes) {
        if (n.nodeType === 1 && body.contains(n)) {
          if (w.__bench.inserted === null) w.__bench.inserted = performance.now();
          mark(n);
        }
      }
    }).observe(document, { childList: true, subtree: true });
  })();
`;

/** The same shell page, with static content and no script: the blank-page baseline. */
async function blankPage(browser: Browser): Promise<{ fcp: number; data: number }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const html = `<!DOCTYPE html><html lang="en"><head><meta charset="UTF-8"><title>blank</title></head>
    <body><main id="app"><h1>Sightline</h1><div class="page-body"><section><h2 elementtiming="data">Static heading</h2><p>Static text.</p></section></div></main></body></html>`;
  await page.route(`${ORIGIN}/**`, (route) => route.fulfill({ status: 200, contentType: 'text/html; charset=utf-8', body: html }));
  await page.addInitScript(PAINT_OBSERVER);
  await page.goto(`${ORIGIN}/index.html`);
  await page.waitForFunction(() => (window as unknown as { __bench: { fcp: number | null; data: number | null } }).__bench.data !== null && (window as unknown as { __bench: { fcp: number | null } }).__bench.fcp !== null, undefined, { timeout: 10_000 });
  const r = await page.evaluate(() => (window as unknown as { __bench: { fcp: number; data: number } }).__bench);
  await context.close();
  return r;
}

async function webviewPaintBench(prodDist: string): Promise<void> {
  console.log('\nwebview first paint (headless Chromium, the extension\u2019s HTML and CSP, real daemon aggregates of the sample trace):');
  if (process.env.BENCH_PAINT === '0') {
    console.log('  skipped (BENCH_PAINT=0)');
    return;
  }
  if (!existsSync('/usr/bin/chromium')) {
    console.log('  SKIPPED: /usr/bin/chromium is missing (apt-get install chromium)');
    return;
  }
  const t0 = performance.now();
  const trace = await buildSampleTrace({ requests: 2000 });
  const stream = await StreamConnection.open(trace.daemon.info);
  const browser = await launchBrowser();
  try {
    const query = (method: string, params?: unknown): Promise<unknown> => stream.query(method, params);
    const predictionId = PredictionsPage.parse(await query('predictions', { page_size: 1, filters: { source: 'served' } })).rows[0]!.id;
    // A real CompareReport (the CLI through the daemon), for the compare panel.
    const cmp = spawnSync(process.execPath, [CLI, 'compare', '--a', 'flights-delay@v1', '--b', 'flights-delay@v2', '--json'], { encoding: 'utf8', env: { ...process.env, SIGHTLINE_HOME: trace.daemon.home, NO_COLOR: '1' } });
    const report = CompareReport.parse(JSON.parse(cmp.stdout));
    console.log(`  sample trace (2,000 requests) and daemon ready in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
    const panels: Array<{ [K in PanelKind]: { panel: K; args: PanelArgs[K] } }[PanelKind]> = [
      { panel: 'drift', args: { feature: 'dep_hour' } },
      { panel: 'slices', args: {} },
      { panel: 'lineage', args: { target: predictionId } },
      { panel: 'predictions', args: {} },
      { panel: 'compare', args: { report } },
    ];
    const runs = Number(process.env.BENCH_PAINT_RUNS ?? 5);
    await blankPage(browser); // warm-up
    const blank = { fcp: [] as number[], data: [] as number[] };
    for (let i = 0; i < runs; i++) {
      const b = await blankPage(browser);
      blank.fcp.push(b.fcp);
      blank.data.push(b.data);
    }
    const baseFcp = median(blank.fcp);
    const baseData = median(blank.data);
    console.log(`  median of ${runs} loads each; ratios against the blank page (same origin, static content, no script):`);
    console.log(`    ${'page'.padEnd(26)} ${'FCP'.padStart(9)} ${'data painted'.padStart(13)} ${'data ÷ blank'.padStart(13)}`);
    console.log(`    ${'blank page (baseline)'.padEnd(26)} ${`${f1(baseFcp)} ms`.padStart(9)} ${`${f1(baseData)} ms`.padStart(13)} ${'1.0×'.padStart(13)}`);
    for (const { panel, args } of panels) {
      const fcp: number[] = [];
      const data: number[] = [];
      for (let i = 0; i <= runs; i++) {
        const p = await openPanel(browser, { panel, args, query, initScript: PAINT_OBSERVER, distDir: path.join(prodDist, 'webviews') } as Parameters<typeof openPanel>[1]);
        await p.page.waitForFunction(() => (window as unknown as { __bench: { data: number | null } }).__bench.data !== null, undefined, { timeout: 60_000 });
        const r = await p.page.evaluate(() => (window as unknown as { __bench: { fcp: number; data: number } }).__bench);
        if (p.errors.length) console.log(`    ${panel}: page errors: ${p.errors.join(' | ')}`);
        await p.close();
        if (i === 0) continue; // warm-up (first load of the bundle, first queries)
        fcp.push(r.fcp);
        data.push(r.data);
      }
      console.log(`    ${`${panel} (${kib(statSync(path.join(prodDist, 'webviews', `${panel}.js`)).size)})`.padEnd(26)} ${`${f1(median(fcp))} ms`.padStart(9)} ${`${f1(median(data))} ms`.padStart(13)} ${`${f1(median(data) / Math.max(baseData, 1))}×`.padStart(13)}`);
    }
    console.log('  (the production bundles of section 1; "data painted" includes the panel\u2019s queries to the daemon)');
  } finally {
    await browser.close().catch(() => undefined);
    stream.close();
    await trace.daemon.stop();
    trace.daemon.cleanup();
  }
}

async function main(): Promise<void> {
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'sightline-bench-ext-'));
  try {
    const prodDist = productionBuild(scratch);
    bundleSizes(prodDist);
    requireBench(prodDist, scratch);
    await webviewPaintBench(prodDist);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  await codeServerBench();
}

main().then(() => process.exit(0), (err) => {
  console.error(err);
  process.exit(1);
});
