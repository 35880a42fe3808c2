import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as vscode from 'vscode';

/**
 * The end-to-end scenarios of test/e2e (code-server + Playwright), run inside the VS Code
 * extension host by @vscode/test-electron: activation and connection, the CodeLens on the planted
 * skew, Show Drift opening the drift webview, Replay Traffic (with its real flips and latencies),
 * and recovery from a killed daemon.
 * `run()` is the entry @vscode/test-electron calls; it throws on the first failed scenario.
 */
interface Api {
  activationMs: number;
  readonly state: { kind: string; attempt?: number; session?: { pid: number } };
  readonly home: string;
  cliSupports(command: string): Promise<boolean>;
  query<T>(method: string, params?: unknown): Promise<T>;
}

/** The parts of a ReplayReport (protocol/replay.ts) the compare view's headline shows. */
interface Report {
  candidate: { name: string; version: string };
  baseline: { name: string; version: string } | null;
  flips: { rate: number; n: number; count: number } | null;
  latency: { model: string; p50_ms: number; p95_ms: number; p99_ms: number }[];
}

const scenarios: [string, (api: Api) => Promise<void>][] = [
  ['activates and connects to the bundled daemon', async (api) => {
    await until('connected', () => api.state.kind === 'connected', 90_000);
    assert.ok(api.activationMs < 500, `activation took ${api.activationMs} ms`);
    console.log(`  activation ${api.activationMs.toFixed(1)} ms; daemon pid ${api.state.session?.pid}`);
  }],
  ['puts a CodeLens with numbers on route_delay_rate in serving/features.ts', async () => {
    const file = path.join(workspace(), 'serving', 'features.ts');
    const line = readFileSync(file, 'utf8').split('\n').findIndex((l) => l.startsWith('export function route_delay_rate('));
    const doc = await vscode.workspace.openTextDocument(file);
    await vscode.window.showTextDocument(doc);
    let titles: string[] = [];
    await until('a skew lens', async () => {
      const lenses = (await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', doc.uri)) ?? [];
      titles = lenses.filter((l) => l.range.start.line === line).map((l) => l.command?.title ?? '');
      return titles.some((t) => /skew \d+(\.\d+)? ?%/.test(t));
    }, 60_000);
    assert.ok(titles.some((t) => /drift PSI \d/.test(t)), titles.join(' | '));
    console.log(`  lenses: ${titles.join(' | ')}`);
  }],
  ['Show Drift opens the drift webview of route_delay_rate', async () => {
    await vscode.commands.executeCommand('sightline.showDrift', 'route_delay_rate');
    await until('the drift panel', () => webviewTabs().some((t) => /sightline\.drift/.test(t.viewType) && /route_delay_rate/.test(t.label)), 30_000);
  }],
  ['Replay Traffic opens the compare view of the stored run: flips and latency of v2 vs v1', async (api) => {
    // v2 against v1 on the newest 1,000 logged predictions (the command's arguments skip its pickers).
    const models = path.join(workspace(), 'models');
    await vscode.commands.executeCommand('sightline.replayTraffic', { candidate: path.join(models, 'flights-delay-v2.onnx'), baseline: path.join(models, 'flights-delay-v1.onnx'), last: 1000 });
    await until('the compare panel', () => webviewTabs().some((t) => /sightline\.compare/.test(t.viewType)), 300_000);
    // The panel shows a stored run (its title names it): read that run as the panel does.
    const tab = webviewTabs().find((t) => /sightline\.compare/.test(t.viewType))!;
    const runId = /^Compare: (.+)$/.exec(tab.label)?.[1];
    assert.ok(runId, `the compare panel names its run: "${tab.label}"`);
    const { run } = await api.query<{ run: { kind: string; results: Report } }>('run', { id: runId });
    assert.equal(run.kind, 'replay');
    const r = run.results;
    assert.equal(`${r.candidate.name}@${r.candidate.version}`, 'flights-delay@v2');
    assert.equal(`${r.baseline?.name}@${r.baseline?.version}`, 'flights-delay@v1');
    assert.ok(r.flips && Number.isFinite(r.flips.rate) && r.flips.rate >= 0 && r.flips.rate <= 1 && r.flips.n === 1000, `flips: ${JSON.stringify(r.flips)}`);
    assert.deepEqual(r.latency.map((l) => l.model).sort(), ['flights-delay@v1', 'flights-delay@v2']);
    for (const l of r.latency) {
      assert.ok(l.p50_ms > 0 && l.p50_ms <= l.p95_ms && l.p95_ms <= l.p99_ms, `latency of ${l.model}: ${JSON.stringify(l)}`);
    }
    console.log(`  ${runId}: flip rate ${(r.flips.rate * 100).toFixed(2)} %, p50/p95/p99 ${r.latency.map((l) => `${l.model} ${l.p50_ms}/${l.p95_ms}/${l.p99_ms} ms`).join('; ')}`);
  }],
  ['recovers after the daemon is killed', async (api) => {
    const info = JSON.parse(readFileSync(path.join(api.home, 'daemon.json'), 'utf8')) as { pid: number };
    process.kill(info.pid, 'SIGKILL');
    await until('reconnecting', () => api.state.kind === 'reconnecting' || (api.state.kind === 'starting' && (api.state.attempt ?? 1) > 1), 15_000);
    await until('connected again', () => api.state.kind === 'connected' && api.state.session?.pid !== info.pid, 60_000);
    console.log(`  daemon ${info.pid} killed, ${api.state.session?.pid} connected`);
  }],
];

export async function run(): Promise<void> {
  const ext = vscode.extensions.getExtension<Api>('sightline.sightline');
  assert.ok(ext, 'the Sightline extension is not installed');
  const api = await ext.activate();
  let failed = 0;
  for (const [name, scenario] of scenarios) {
    try {
      await scenario(api);
      console.log(`✓ ${name}`);
    } catch (err) {
      failed++;
      console.error(`✗ ${name}: ${err instanceof Error ? err.stack : String(err)}`);
    }
  }
  if (failed > 0) throw new Error(`${failed} of ${scenarios.length} scenarios failed`);
}

function workspace(): string {
  const ws = process.env.SIGHTLINE_E2E_WORKSPACE ?? vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  assert.ok(ws, 'no workspace');
  return ws;
}

function webviewTabs(): { viewType: string; label: string }[] {
  return vscode.window.tabGroups.all.flatMap((g) => g.tabs)
    .filter((t) => t.input instanceof vscode.TabInputWebview)
    .map((t) => ({ viewType: (t.input as vscode.TabInputWebview).viewType, label: t.label }));
}

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(100);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
