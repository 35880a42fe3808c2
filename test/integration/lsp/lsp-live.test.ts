import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DuckDBInstance } from '@duckdb/node-api';
import type { Diagnostic } from 'vscode-languageserver/node';
import { FINDINGS_CHANGED_NOTIFICATION, STATUS_REQUEST, type FeatureRecord, type FindingsOrigin } from '../../../protocol';
import { MODEL_V1, SAMPLE, startDaemon, type RunningDaemon } from '../../helpers/daemon';
import { FEATURES } from '../../helpers/sample';
import { TraceStore } from '../../../daemon/store/trace-store';
import { LspClient } from './lsp-client';
import { definitionAt, SERVING, TRAINING } from './sample-lines';
import { SAMPLE_FINDINGS, writeTrace } from './trace-fixture';

const SKEW = SAMPLE_FINDINGS.find((f) => f.id === 'f-skew')!;

describe('language server: live refresh', () => {
  const cleanups: (() => Promise<unknown> | void)[] = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  it('follows a trace file as it is rewritten (no daemon)', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sightline-lsp-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const trace = path.join(dir, 'trace.duckdb');
    await writeTrace(trace, []);
    const lsp = await LspClient.start({ folder: SAMPLE, initializationOptions: { trace }, env: { SIGHTLINE_HOME: path.join(dir, 'home') } });
    cleanups.push(() => lsp.stop());
    const line = definitionAt(SERVING, 'route_delay_rate').line;
    const lensTitles = async (): Promise<string[]> => (await lsp.codeLenses(SERVING)).filter((l) => l.range.start.line === line).map((l) => l.command!.title);

    await lsp.waitFor('calm start', () => lsp.diagnostics.size > 0);
    expect(lsp.diagnosticsOf(SERVING)).toEqual([]);
    expect(await lensTitles()).toEqual(['Sightline: no findings']);

    // An analysis writes the skew finding into the trace: diagnostics appear, lenses are refreshed.
    const refreshes = lsp.lensRefreshes;
    await writeTrace(trace, [SKEW]);
    await lsp.waitFor('skew appears', () => lsp.diagnosticsOf(SERVING).some((d) => d.code === 'skew') && lsp.diagnosticsOf(TRAINING).some((d) => d.code === 'skew'));
    await lsp.waitFor('code lens refresh request', () => lsp.lensRefreshes > refreshes);
    expect(lsp.notifications.some((n) => n.method === FINDINGS_CHANGED_NOTIFICATION)).toBe(true);
    expect(await lensTitles()).toEqual(['skew 97 % rows']);

    // A later analysis finds it fixed (the finding is gone): diagnostics clear.
    await writeTrace(trace, [], { replace: true });
    await lsp.waitFor('skew cleared', () => lsp.diagnosticsOf(SERVING).length === 0 && lsp.diagnosticsOf(TRAINING).length === 0);
  });

  it('reads a trace file that a writer holds locked, through a copy', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sightline-lsp-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const trace = path.join(dir, 'trace.duckdb');
    await writeTrace(trace, SAMPLE_FINDINGS);
    // This process keeps the file open for writing, as a daemon (or an older one without the
    // `findings` query) would: DuckDB then refuses every other process, even read-only.
    const holder = await TraceStore.open(trace);
    cleanups.push(() => holder.close());
    const lsp = await LspClient.start({ folder: SAMPLE, initializationOptions: { trace }, env: { SIGHTLINE_HOME: path.join(dir, 'home') } });
    cleanups.push(() => lsp.stop());
    await lsp.waitFor('skew through the copy', () => lsp.diagnosticsOf(SERVING).some((d) => d.code === 'skew'));
    expect(await lsp.request<FindingsOrigin>(STATUS_REQUEST)).toMatchObject({ kind: 'trace', findings: SAMPLE_FINDINGS.length });
  });

  it('takes findings from a running daemon and refreshes when an analysis publishes new ones', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sightline-lsp-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const trace = path.join(dir, 'trace.duckdb');
    await writeTrace(trace, SAMPLE_FINDINGS, { models: false });
    const daemon: RunningDaemon = await startDaemon(['--model', MODEL_V1], { trace, dir });
    cleanups.push(() => daemon.stop());
    // `daemon: 'auto'` (the default without `trace`) finds it through $SIGHTLINE_HOME/daemon.json.
    const lsp = await LspClient.start({ folder: SAMPLE, env: { SIGHTLINE_HOME: daemon.home } });
    cleanups.push(() => lsp.stop());
    const hour = definitionAt(SERVING, 'dep_hour').line;
    const hourDrift = (): Diagnostic | undefined => lsp.diagnosticsOf(SERVING).find((d) => d.range.start.line === hour && d.code === 'drift');
    await lsp.waitFor('findings from the daemon', () => lsp.diagnosticsOf(SERVING).some((d) => d.code === 'skew') && hourDrift());
    expect((hourDrift()!.data as { findingId: string }).findingId).toBe('f-drift-hour');
    const status = await lsp.request<FindingsOrigin>(STATUS_REQUEST);
    expect(status).toMatchObject({ kind: 'daemon', port: daemon.info.port });
    expect(status.via).toBe('query');

    // Live: evening traffic is logged, a drift analysis runs in the daemon and saves its findings;
    // the 'finding' event makes the server re-read, and dep_hour now carries the real result.
    const records = await eveningRecords(2000);
    await daemon.client.predict({ model: 'flights-delay', records, durable: true });
    await daemon.client.request('POST', '/v1/baselines', { name: 'train-v1', file: path.join(SAMPLE, 'baselines', 'train-v1.parquet') });
    const stream = await daemon.client.stream();
    cleanups.push(() => stream.close());
    await stream.query('drift', { baseline: 'train-v1', save: true });
    const live = await lsp.waitFor('re-read after the analysis', () => {
      const d = hourDrift();
      return d && (d.data as { findingId: string }).findingId !== 'f-drift-hour' ? d : undefined;
    });
    expect(live.message).toContain('baseline train-v1');
    expect(live.message).toMatch(/dep_hour drifted: \S+ [\d.∞]+ ≥ [\d.]+/);
    console.log('live diagnostic after the daemon\'s drift run:', live.message);
    // The skew finding (another analysis) is still there.
    expect(lsp.diagnosticsOf(SERVING).some((d) => d.code === 'skew')).toBe(true);

    // The daemon stops: the server says so and keeps running.
    await daemon.stop();
    const after = await lsp.waitFor('origin without daemon', () => lsp.notifications.map((n) => n.params as { origin?: FindingsOrigin }).reverse().find((p) => p.origin?.kind === 'none'));
    expect(after.origin!.message).toContain('daemon stopped');
  });
});

/** Real sample rows departing at 17:00 or later: a shifted dep_hour distribution. */
async function eveningRecords(n: number): Promise<FeatureRecord[]> {
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  try {
    const file = path.join(SAMPLE, 'baselines', 'train-v1.parquet').replace(/'/g, "''");
    const rows = (await c.runAndReadAll(`SELECT * FROM read_parquet('${file}') WHERE dep_hour >= 17 ORDER BY flight_id LIMIT ${n}`)).getRowObjectsJS();
    return rows.map((r) => Object.fromEntries(FEATURES.map((f) => [f, typeof r[f] === 'bigint' ? Number(r[f]) : (r[f] as number | string)])));
  } finally {
    c.closeSync();
    db.closeSync();
  }
}
