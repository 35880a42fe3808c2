import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { settingsFrom, type Settings, type SettingsSource } from '../../../extension/settings';
import { configPath, findWorkspace } from '../../../extension/workspace';

/** A stand-in for VS Code's WorkspaceConfiguration of the `sightline` section. */
function source(values: Record<string, unknown>): SettingsSource {
  return { get: (key: string, fallback?: unknown) => (key in values ? values[key] : fallback) } as SettingsSource;
}

const defaults: Settings = { trace: '', daemonPath: '', daemonArgs: [], attach: '', provider: 'cpu', autoStart: true, inlayHints: false };

describe('settingsFrom', () => {
  it('gives the declared defaults when nothing is set', () => {
    expect(settingsFrom(source({}))).toEqual(defaults);
  });

  it('trims paths, keeps only string arguments, and accepts only known providers', () => {
    expect(settingsFrom(source({
      trace: '  traces/t.duckdb ', 'daemon.path': ' /opt/sightline ', 'daemon.args': ['--durable', 3, null, '--log-raw'], 'daemon.attach': ' ~/.sightline ',
      'daemon.provider': 'webgpu', 'daemon.autoStart': false, inlayHints: true,
    }))).toEqual({ trace: 'traces/t.duckdb', daemonPath: '/opt/sightline', daemonArgs: ['--durable', '--log-raw'], attach: '~/.sightline', provider: 'webgpu', autoStart: false, inlayHints: true });
    expect(settingsFrom(source({ 'daemon.provider': 'tpu', 'daemon.args': '--durable', trace: 42 }))).toEqual(defaults);
    expect(settingsFrom(source({ 'daemon.provider': 'cuda' })).provider).toBe('cuda');
  });
});

describe('findWorkspace (sightline.json)', () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'sightline-ws-unit-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));
  const folder = (name: string, config?: string): string => {
    const dir = path.join(tmp, name);
    mkdirSync(dir, { recursive: true });
    if (config !== undefined) writeFileSync(path.join(dir, 'sightline.json'), config);
    return dir;
  };

  it('no folder: no root, nothing configured', () => {
    expect(findWorkspace([], defaults)).toEqual({ root: undefined, configured: false, models: [], trace: undefined, problems: [], config: {} });
  });

  it('takes the first folder with a sightline.json; models and trace relative to it', () => {
    const plain = folder('plain');
    const ml = folder('ml', JSON.stringify({ models: ['models/a.onnx', 'models'], trace: 'data/trace.duckdb', traffic: 'traffic.parquet' }));
    const ws = findWorkspace([plain, ml], defaults);
    expect(ws).toMatchObject({ root: ml, configured: true, problems: [], models: [path.join(ml, 'models', 'a.onnx'), path.join(ml, 'models')], trace: path.join(ml, 'data', 'trace.duckdb') });
    expect(configPath(ws, 'traffic')).toBe(path.join(ml, 'traffic.parquet'));
    expect(configPath(ws, 'models')).toBeUndefined();
  });

  it('trace: the setting wins over sightline.json, which wins over .sightline/trace.duckdb', () => {
    const dir = folder('traces', JSON.stringify({ trace: 'from-config.duckdb' }));
    expect(findWorkspace([dir], { ...defaults, trace: 'from-setting.duckdb' }).trace).toBe(path.join(dir, 'from-setting.duckdb'));
    expect(findWorkspace([dir], defaults).trace).toBe(path.join(dir, 'from-config.duckdb'));
    const bare = folder('bare');
    expect(findWorkspace([bare], defaults)).toMatchObject({ root: bare, configured: false, trace: path.join(bare, '.sightline', 'trace.duckdb') });
  });

  it('reports a broken sightline.json instead of failing', () => {
    expect(findWorkspace([folder('broken', '{ "models": [')], defaults)).toMatchObject({ configured: false, problems: [expect.stringMatching(/^sightline\.json: /)] });
    expect(findWorkspace([folder('array', '[]')], defaults).problems).toEqual(['sightline.json is not a JSON object']);
    const odd = findWorkspace([folder('odd', JSON.stringify({ models: ['ok.onnx', 7, ''] }))], defaults);
    expect(odd.models).toEqual([path.join(tmp, 'odd', 'ok.onnx')]);
    expect(odd.problems).toEqual(['sightline.json: "models" entries must be paths, got 7', 'sightline.json: "models" entries must be paths, got ""']);
    expect(findWorkspace([folder('notlist', JSON.stringify({ models: 'a.onnx' }))], defaults).problems).toEqual(['sightline.json: "models" must be a list of paths']);
  });
});
