/**
 * Gates: the grammar (identifier, operator, number — nothing else), the named values of reports,
 * unknown names as bad input, evaluation, and where gates are declared (flags, a gates file,
 * sightline.json) with their lines.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { checkIdentifiers, evaluateGates, gateSpecs, GateSyntaxError, knownIdentifiers, parseGate, parseGates } from '../../../daemon/gates';
import { SightlineError } from '../../../protocol';

describe('grammar', () => {
  test.each([
    ['flip_rate < 0.02', 'flip_rate', '<', 0.02],
    ['auc_delta>-0.005', 'auc_delta', '>', -0.005],
    ['  slice_regressions   ==   0 ', 'slice_regressions', '==', 0],
    ['p99_ms <= 50', 'p99_ms', '<=', 50],
    ['label_coverage >= .9', 'label_coverage', '>=', 0.9],
    ['x != 1e-3', 'x', '!=', 0.001],
    ['_a1 > +2.5E+2', '_a1', '>', 250],
    ['rows >= 5.', 'rows', '>=', 5],
  ])('%s', (text, identifier, op, value) => {
    expect(parseGate(text)).toMatchObject({ identifier, op, value });
  });

  test.each([
    '',
    '0.5 > flip_rate',
    'flip_rate < other_value',
    'flip_rate <> 0',
    'flip_rate = 0',
    'flip_rate < 0.02; rm -rf /',
    'flip_rate < 0.02 && 1',
    'process.exit(1) < 1',
    'flip-rate < 1',
    'flip_rate < 0x10',
    'flip_rate < Infinity',
    'flip_rate < NaN',
    'flip_rate < 1e999',
    'flip_rate <',
    'flip_rate',
    '(flip_rate) < 1',
  ])('refuses %j', (text) => {
    expect(() => parseGate(text)).toThrow(GateSyntaxError);
  });

  test('a syntax error in a spec is bad input naming its file and line', () => {
    expect(() => parseGates([{ expr: 'flip_rate << 1', source: { kind: 'config', file: '/w/sightline.json', line: 7 } }]))
      .toThrow(/gate "flip_rate << 1".*\(\/w\/sightline\.json:7\)/);
    try {
      parseGates([{ expr: 'x ~ 1' }]);
    } catch (err) {
      expect(err).toBeInstanceOf(SightlineError);
      expect((err as SightlineError).code).toBe('invalid_request');
    }
  });
});

describe('named values', () => {
  test('replay names include the gates of the issue, and deltas of every metric', () => {
    const replay = knownIdentifiers('replay', 'binary_classification');
    for (const name of ['flip_rate', 'auc_delta', 'slice_regressions', 'p99_ms', 'label_coverage', 'roc_auc_delta_lo', 'log_loss_delta', 'accuracy_baseline', 'labels_ok', 'rows_per_s', 'prediction_drift']) expect(replay).toContain(name);
    expect(new Set(replay).size).toBe(replay.length);
  });

  test('eval has no baseline-side names; regression has its own metrics', () => {
    const ev = knownIdentifiers('eval', 'binary_classification');
    expect(ev).toContain('roc_auc_lo');
    expect(ev).not.toContain('flip_rate');
    expect(ev).not.toContain('auc_delta');
    const reg = knownIdentifiers('replay', 'regression');
    expect(reg).toContain('mae_delta');
    expect(reg).not.toContain('roc_auc');
  });

  test('an unknown name is bad input listing the known ones', () => {
    const gates = parseGates([{ expr: 'flip_rat < 0.02' }]);
    const known = knownIdentifiers('replay', 'binary_classification');
    expect(() => checkIdentifiers(gates, known, 'a replay report')).toThrow(SightlineError);
    expect(() => checkIdentifiers(gates, known, 'a replay report')).toThrow(/no value named "flip_rat" \(did you mean flip_rate\?\)\. Known: rows, /);
    expect(() => checkIdentifiers(parseGates([{ expr: 'flip_rate < 0.02' }]), known, 'a replay report')).not.toThrow();
  });
});

describe('evaluation', () => {
  test('pass, fail with a message, and values that could not be computed fail', () => {
    const gates = parseGates([{ expr: 'flip_rate < 0.02' }, { expr: 'auc_delta > -0.005' }, { expr: 'slice_regressions == 0' }, { expr: 'p99_ms < 50' }]);
    const results = evaluateGates(gates, { flip_rate: 0.01, auc_delta: -0.01, slice_regressions: 0, p99_ms: null });
    expect(results.map((r) => r.passed)).toEqual([true, false, true, false]);
    expect(results[1]).toMatchObject({ value: -0.01, message: 'auc_delta = -0.01, which is not > -0.005' });
    expect(results[3]).toMatchObject({ value: null });
    expect(results[3]!.message).toMatch(/could not be computed/);
  });

  test('boundaries follow the operator exactly', () => {
    const at = (expr: string, v: number) => evaluateGates(parseGates([{ expr }]), { x: v })[0]!.passed;
    expect(at('x < 1', 1)).toBe(false);
    expect(at('x <= 1', 1)).toBe(true);
    expect(at('x > 1', 1)).toBe(false);
    expect(at('x >= 1', 1)).toBe(true);
    expect(at('x == 1', 1)).toBe(true);
    expect(at('x != 1', 1)).toBe(false);
  });
});

describe('where gates are declared', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sightline-gates-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('sightline.json "gates" (one list, or one per command) with lines, then flags', () => {
    const config = path.join(dir, 'sightline.json');
    writeFileSync(config, JSON.stringify({ models: [], gates: { replay: ['flip_rate < 0.02', 'slice_regressions == 0'], eval: ['roc_auc_lo > 0.6'] } }, null, 2));
    const specs = gateSpecs('replay', { flags: ['p99_ms < 50'], workspaceConfig: config });
    expect(specs.map((s) => s.expr)).toEqual(['flip_rate < 0.02', 'slice_regressions == 0', 'p99_ms < 50']);
    expect(specs[0]!.source).toEqual({ kind: 'config', file: config, line: 5 });
    expect(specs[2]!.source).toEqual({ kind: 'flag', file: null, line: null });
    expect(gateSpecs('eval', { workspaceConfig: config }).map((s) => s.expr)).toEqual(['roc_auc_lo > 0.6']);
    writeFileSync(config, JSON.stringify({ gates: ['label_coverage >= 0.9'] }));
    expect(gateSpecs('compare', { workspaceConfig: config }).map((s) => s.expr)).toEqual(['label_coverage >= 0.9']);
  });

  test('a --gates file (text with comments, or JSON) replaces sightline.json', () => {
    const config = path.join(dir, 'sightline.json');
    writeFileSync(config, JSON.stringify({ gates: ['flip_rate < 0.5'] }));
    const text = path.join(dir, 'gates.txt');
    writeFileSync(text, '# release gates\nflip_rate < 0.02   # at most 2 % flips\n\nauc_delta > -0.005\n');
    const specs = gateSpecs('replay', { file: text, workspaceConfig: config });
    expect(specs.map((s) => [s.expr, s.source?.line])).toEqual([['flip_rate < 0.02', 2], ['auc_delta > -0.005', 4]]);
    const json = path.join(dir, 'gates.json');
    writeFileSync(json, JSON.stringify({ replay: ['p99_ms < 50'] }));
    expect(gateSpecs('replay', { file: json }).map((s) => s.expr)).toEqual(['p99_ms < 50']);
    writeFileSync(json, JSON.stringify({ replay: 'p99_ms < 50' }));
    expect(() => gateSpecs('replay', { file: json })).toThrow(SightlineError);
    expect(() => gateSpecs('replay', { file: path.join(dir, 'missing.json') })).toThrow(/no such file/);
  });
});
