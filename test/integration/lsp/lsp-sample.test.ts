import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DiagnosticSeverity, type Diagnostic, type MarkupContent } from 'vscode-languageserver/node';
import {
  FEATURE_MAP_REQUEST, FINDINGS_REQUEST, LSP_COMMANDS, STATUS_REQUEST,
  type FeatureMapResult, type FindingsOrigin, type FindingsResult,
} from '../../../protocol';
import { SAMPLE } from '../../helpers/daemon';
import { LspClient, uri } from './lsp-client';
import { definitionAt, SERVING, TRAINING } from './sample-lines';
import { SAMPLE_FINDINGS, writeTrace } from './trace-fixture';

const onLine = (diags: Diagnostic[], line: number, code?: string): Diagnostic[] => diags.filter((d) => d.range.start.line === line && (!code || d.code === code));

/**
 * The language server against the real sample workspace (samples/flights, read only) and a real
 * DuckDB trace file holding the sample's findings, with no daemon: a second LSP client over stdio.
 */
describe('language server on samples/flights with a trace file', () => {
  let dir: string;
  let trace: string;
  let lsp: LspClient;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'sightline-lsp-'));
    trace = path.join(dir, 'trace.duckdb');
    await writeTrace(trace, SAMPLE_FINDINGS);
    lsp = await LspClient.start({ folder: SAMPLE, initializationOptions: { trace }, env: { SIGHTLINE_HOME: path.join(dir, 'home') } });
  });

  afterAll(async () => {
    await lsp?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('puts the planted skew on route_delay_rate in serving/features.ts and its twin in features.py', async () => {
    const serving = definitionAt(SERVING, 'route_delay_rate');
    const training = definitionAt(TRAINING, 'route_delay_rate');
    const [onServing] = await lsp.waitFor('skew diagnostic on serving', () => onLine(lsp.diagnosticsOf(SERVING), serving.line, 'skew').length === 1 && onLine(lsp.diagnosticsOf(SERVING), serving.line, 'skew'));
    const [onTraining] = await lsp.waitFor('skew diagnostic on training', () => onLine(lsp.diagnosticsOf(TRAINING), training.line, 'skew').length === 1 && onLine(lsp.diagnosticsOf(TRAINING), training.line, 'skew'));
    for (const d of [onServing!, onTraining!]) {
      expect(d.source).toBe('sightline');
      expect(d.severity).toBe(DiagnosticSeverity.Error); // JS 0.41 is 4.1× the 0.1 threshold
      expect(d.message).toContain('97 % of rows differ');
      expect(d.message).toContain('JS 0.41 ≥ 0.1');
      expect(d.message).toContain('baseline train-v1');
      expect(d.message).toContain('window 2001-04-01..2001-06-30');
    }
    expect(onServing!.range.start.character).toBe(serving.character);
    expect(onServing!.range.end.character).toBe(serving.character + 'route_delay_rate'.length);
    // Each points at its twin on the other side.
    expect(onServing!.relatedInformation?.[0]?.location.uri).toBe(uri(TRAINING));
    expect(onServing!.relatedInformation?.[0]?.location.range.start.line).toBe(training.line);
    expect(onTraining!.relatedInformation?.[0]?.location.uri).toBe(uri(SERVING));
    expect(onTraining!.relatedInformation?.[0]?.location.range.start.line).toBe(serving.line);
    // The superseded, older skew finding is not shown.
    expect(lsp.diagnosticsOf(SERVING).some((d) => d.message.includes('50 %'))).toBe(false);
    console.log('diagnostic on serving/features.ts:', JSON.stringify(onServing, null, 1));
  });

  it('shows drift on dep_hour (warning) and origin (error), slices as information, quality, nothing on calm distance', async () => {
    const hour = definitionAt(SERVING, 'dep_hour');
    const origin = definitionAt(TRAINING, 'origin');
    const drift = await lsp.waitFor('dep_hour drift', () => onLine(lsp.diagnosticsOf(SERVING), hour.line, 'drift')[0]);
    expect(drift.severity).toBe(DiagnosticSeverity.Warning); // PSI 0.31 is 1.55× the 0.2 threshold
    expect(drift.message).toContain('PSI 0.31 ≥ 0.2');
    expect(drift.message).toContain('missing 0 % → 0.40 %');
    const originDrift = onLine(lsp.diagnosticsOf(TRAINING), origin.line, 'drift')[0]!;
    expect(originDrift.severity).toBe(DiagnosticSeverity.Error); // JS 0.23 ≥ 2 × 0.1
    const slice = onLine(lsp.diagnosticsOf(TRAINING), origin.line, 'slice')[0]!;
    expect(slice.severity).toBe(DiagnosticSeverity.Information);
    expect(slice.message).toContain('origin = ORD ∧ dep_hour > 17');
    expect(onLine(lsp.diagnosticsOf(SERVING), hour.line, 'slice')).toHaveLength(1);
    expect(onLine(lsp.diagnosticsOf(SERVING), definitionAt(SERVING, 'distance').line)).toHaveLength(0);
    const quality = onLine(lsp.diagnosticsOf(SERVING), definitionAt(SERVING, 'destination').line, 'quality')[0]!;
    expect(quality.severity).toBe(DiagnosticSeverity.Warning); // the check's own severity
    expect(quality.message).toBe('destination data quality: unseen_categories, observed {"share":0.0041,"values":["XNA","ACV"]}, expected {"categories":61} — baseline train-v1 · window 2001-04-01..2001-06-30 · model flights-delay');
  });

  it('lenses carry the real numbers, one command each', async () => {
    const lenses = await lsp.codeLenses(SERVING);
    const at = (name: string): string[] => lenses.filter((l) => l.range.start.line === definitionAt(SERVING, name).line).map((l) => l.command!.title);
    expect(at('route_delay_rate')).toEqual(['skew 97 % rows']);
    expect(at('dep_hour')).toEqual(['drift PSI 0.31', '1 failing slice']);
    expect(at('origin')).toEqual(['drift JS 0.23', '1 failing slice']);
    expect(at('distance')).toEqual(['no drift (PSI 0.02)']);
    expect(at('day_of_week')).toEqual(['Sightline: no findings']);
    expect(at('destination')).toEqual(['quality: unseen_categories']);
    expect(lenses.find((l) => l.command?.title === 'quality: unseen_categories')!.command!.command).toBe(LSP_COMMANDS.showQuality);
    const skew = lenses.find((l) => l.command?.title === 'skew 97 % rows')!;
    expect(skew.command).toMatchObject({ command: LSP_COMMANDS.showSkew, arguments: ['route_delay_rate'] });
    expect(lenses.find((l) => l.command?.title === 'drift PSI 0.31')!.command).toMatchObject({ command: LSP_COMMANDS.showDrift, arguments: ['dep_hour'] });
    expect(lenses.find((l) => l.command?.title === '1 failing slice')!.command!.command).toBe(LSP_COMMANDS.showSlices);
    const pyLenses = await lsp.codeLenses(TRAINING);
    expect(pyLenses.filter((l) => l.range.start.line === definitionAt(TRAINING, 'route_delay_rate').line).map((l) => l.command!.title)).toEqual(['skew 97 % rows']);
    console.log('code lenses on serving/features.ts:', lenses.map((l) => `${l.range.start.line + 1}: ${l.command!.title} → ${l.command!.command}`).join('\n'));
  });

  it('hover shows the histogram image, missing rates, slices and the model versions', async () => {
    const hour = definitionAt(TRAINING, 'dep_hour');
    const hover = await lsp.hover(TRAINING, hour.line, hour.character + 2);
    const md = (hover!.contents as MarkupContent).value;
    expect((hover!.contents as MarkupContent).kind).toBe('markdown');
    expect(md).toContain('**Drift** PSI 0.31 ≥ 0.2 (1.5× threshold) — baseline train-v1 · window 2001-04-01..2001-06-30 · model flights-delay');
    const img = /!\[[^\]]*\]\(data:image\/svg\+xml;base64,([A-Za-z0-9+/=]+)\)/.exec(md);
    expect(img).not.toBeNull();
    const svg = Buffer.from(img![1]!, 'base64').toString('utf8');
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg.match(/<rect /g)!.length).toBeGreaterThanOrEqual(20); // 10 bins × 2 series (+ legend)
    expect(svg).toContain('>17<'); // a bin edge label
    expect(md).toContain('| missing | 0 % | 0.40 % |');
    expect(md).toContain('**Failing slices** (1)');
    expect(md).toContain('`origin = ORD ∧ dep_hour > 17` — n 1204, error\\_rate 0.41, effect size 0.62');
    expect(md).toContain('**Models**: flights-delay v1 · flights-delay v2');
    console.log('hover on dep_hour (image data elided):\n' + md.replace(/base64,[A-Za-z0-9+/=]+/, 'base64,…'));

    const origin = definitionAt(SERVING, 'origin');
    const originHover = (await lsp.hover(SERVING, origin.line, origin.character))!.contents as MarkupContent;
    expect(originHover.value).toContain('| ATL | 9.1 % | 6.2 % |');
    expect(originHover.value).toContain('data:image/svg+xml;base64,');
    // Away from a definition name there is no hover.
    expect(await lsp.hover(SERVING, 0, 0)).toBeNull();
  });

  it('inlay hints are off by default', async () => {
    const hints = await lsp.inlayHints(SERVING, { start: { line: 0, character: 0 }, end: { line: 500, character: 0 } });
    expect(hints).toEqual([]);
  });

  it('code actions open the view and the lineage and offer mark as expected', async () => {
    const line = definitionAt(SERVING, 'route_delay_rate').line;
    const diag = onLine(lsp.diagnosticsOf(SERVING), line, 'skew');
    const actions = await lsp.codeActions(SERVING, diag[0]!.range, diag);
    const commands = actions.map((a) => a.command?.command);
    expect(commands).toEqual(expect.arrayContaining([LSP_COMMANDS.showSkew, LSP_COMMANDS.traceFeature, LSP_COMMANDS.markExpected, LSP_COMMANDS.showDrift]));
    const mark = actions.find((a) => a.command?.command === LSP_COMMANDS.markExpected)!;
    expect(mark.command!.arguments).toEqual([{ feature: 'route_delay_rate', kind: 'skew', root: SAMPLE }]);
    expect(actions.find((a) => a.command?.command === LSP_COMMANDS.traceFeature)!.command!.arguments).toEqual(['route_delay_rate']);
  });

  it('answers the custom requests', async () => {
    const map = await lsp.request<FeatureMapResult>(FEATURE_MAP_REQUEST);
    expect(map.workspaces).toHaveLength(1);
    expect(map.workspaces[0]!.root).toBe(SAMPLE);
    for (const f of map.workspaces[0]!.features) expect(f).toMatchObject({ status: 'mapped', training: { relative: 'features.py' }, serving: { relative: 'serving/features.ts' } });
    const findings = await lsp.request<FindingsResult>(FINDINGS_REQUEST, { feature: 'route_delay_rate' });
    expect(findings.findings.map((f) => f.id)).toEqual(['f-skew']);
    expect(findings.findings[0]).toMatchObject({ above_threshold: true, suppressed: false, severity: 'error' });
    const status = await lsp.request<FindingsOrigin>(STATUS_REQUEST);
    expect(status).toMatchObject({ kind: 'trace', via: 'file', trace, findings: SAMPLE_FINDINGS.length });
  });
});

describe('language server with inlay hints enabled through workspace/configuration', () => {
  let dir: string;
  let lsp: LspClient;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'sightline-lsp-'));
    const trace = path.join(dir, 'trace.duckdb');
    await writeTrace(trace, SAMPLE_FINDINGS);
    lsp = await LspClient.start({ folder: SAMPLE, configuration: { trace, inlayHints: true }, env: { SIGHTLINE_HOME: path.join(dir, 'home') } });
  });

  afterAll(async () => {
    await lsp?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('puts a compact score after each definition with findings', async () => {
    const skew = definitionAt(SERVING, 'route_delay_rate');
    await lsp.waitFor('diagnostics', () => lsp.diagnosticsOf(SERVING).length > 0);
    const hints = await lsp.inlayHints(SERVING, { start: { line: 0, character: 0 }, end: { line: 500, character: 0 } });
    const onSkew = hints.find((h) => h.position.line === skew.line)!;
    expect(onSkew.label).toBe('skew 97 % rows');
    expect(onSkew.position.character).toBe('export function route_delay_rate(raw: RawFlight, stats: RouteStats): number {'.length);
    expect(hints.find((h) => h.position.line === definitionAt(SERVING, 'dep_hour').line)!.label).toBe('drift PSI 0.31 · 1 slice');
    expect(hints.some((h) => h.position.line === definitionAt(SERVING, 'day_of_week').line)).toBe(false);
  });
});

describe('language server with a minimal client (no capabilities announced)', () => {
  it('starts, pushes diagnostics and answers lenses', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sightline-lsp-'));
    const trace = path.join(dir, 'trace.duckdb');
    await writeTrace(trace, SAMPLE_FINDINGS);
    const lsp = await LspClient.start({ folder: SAMPLE, minimal: true, initializationOptions: { sightline: { trace } }, env: { SIGHTLINE_HOME: path.join(dir, 'home') } });
    try {
      await lsp.waitFor('diagnostics', () => lsp.diagnosticsOf(SERVING).some((d) => d.code === 'skew'));
      expect((await lsp.codeLenses(SERVING)).length).toBeGreaterThan(0);
    } finally {
      expect(await lsp.stop()).toBe(0);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
