import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LSP_COMMANDS, SuppressionsFile, type FindingsResult } from '../../../protocol';
import { LspClient } from './lsp-client';
import { definitionAt } from './sample-lines';
import { copySampleWorkspace, SAMPLE_FINDINGS, writeTrace } from './trace-fixture';

/**
 * Mark as expected: the finding disappears on both sides, the suppression is stored in the
 * workspace keyed by the definitions' text, and it comes back once the feature code changes.
 * Runs on a copy of the sample's feature code, since it writes into the workspace.
 */
describe('language server: mark as expected', () => {
  let dir: string;
  let root: string;
  let lsp: LspClient;
  let serving: string;
  let training: string;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'sightline-lsp-'));
    root = copySampleWorkspace(dir);
    serving = path.join(root, 'serving', 'features.ts');
    training = path.join(root, 'features.py');
    const trace = path.join(dir, 'trace.duckdb');
    await writeTrace(trace, SAMPLE_FINDINGS);
    lsp = await LspClient.start({ folder: root, initializationOptions: { trace }, env: { SIGHTLINE_HOME: path.join(dir, 'home') } });
  });

  afterAll(async () => {
    await lsp?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const skewOn = (file: string): number => lsp.diagnosticsOf(file).filter((d) => d.code === 'skew').length;

  it('suppresses until the feature code changes', async () => {
    await lsp.waitFor('skew diagnostics', () => skewOn(serving) === 1 && skewOn(training) === 1);
    const line = definitionAt(serving, 'route_delay_rate').line;
    const diag = lsp.diagnosticsOf(serving).filter((d) => d.code === 'skew');
    const actions = await lsp.codeActions(serving, diag[0]!.range, diag);
    const mark = actions.find((a) => a.command?.command === LSP_COMMANDS.markExpected)!;
    expect(mark.title).toContain('mark skew of route_delay_rate as expected');

    // The editor runs the action's command; the server executes it.
    expect(await lsp.executeCommand(mark.command!.command, mark.command!.arguments!)).toEqual({ suppressed: 1 });
    await lsp.waitFor('skew gone on both sides', () => skewOn(serving) === 0 && skewOn(training) === 0);
    // Other findings stay.
    expect(lsp.diagnosticsOf(serving).some((d) => d.code === 'drift')).toBe(true);
    const stored = SuppressionsFile.parse(JSON.parse(readFileSync(path.join(root, '.sightline', 'suppressions.json'), 'utf8')));
    expect(stored.suppressions).toHaveLength(1);
    expect(stored.suppressions[0]).toMatchObject({ feature: 'route_delay_rate', kind: 'skew', baseline: 'train-v1', window: '2001-04-01..2001-06-30', finding_id: 'f-skew' });
    expect(stored.suppressions[0]!.definition_hash).toMatch(/^[0-9a-f]{64}$/);
    const lens = (await lsp.codeLenses(serving)).find((l) => l.range.start.line === line)!;
    expect(lens.command!.title).toBe('skew 97 % rows (expected)');
    const listed = await lsp.request<FindingsResult>('sightline/findings', { feature: 'route_delay_rate', includeSuppressed: true });
    expect(listed.findings[0]).toMatchObject({ id: 'f-skew', suppressed: true });

    // The fix in progress: an unsaved edit of the serving definition brings the finding back.
    const text = readFileSync(serving, 'utf8');
    const edited = text.replace('const key = lookupKey(airport(raw.origin), airport(raw.destination));', "const key = `${airport(raw.origin)}>${airport(raw.destination)}`;");
    expect(edited).not.toBe(text);
    await lsp.open(serving, text);
    await lsp.change(serving, edited, 2);
    await lsp.waitFor('skew back on both sides', () => skewOn(serving) === 1 && skewOn(training) === 1);
    // Undoing the edit restores the exact text, and with it the suppression.
    await lsp.change(serving, text, 3);
    await lsp.waitFor('skew suppressed again', () => skewOn(serving) === 0 && skewOn(training) === 0);
    expect(existsSync(path.join(root, '.sightline', 'suppressions.json'))).toBe(true);
  });

  it('comes back when the data changes (a new window)', async () => {
    const trace = path.join(dir, 'trace.duckdb');
    const next = SAMPLE_FINDINGS.filter((f) => f.id === 'f-skew').map((f) => ({ ...f, id: 'f-skew-july', time: '2001-08-01T09:00:00Z', window_desc: '2001-07-01..2001-07-31' }));
    await writeTrace(trace, next);
    await lsp.waitFor('skew back after new data', () => skewOn(serving) === 1 && skewOn(training) === 1);
    expect(lsp.diagnosticsOf(serving).find((d) => d.code === 'skew')!.message).toContain('window 2001-07-01..2001-07-31');
  });
});
