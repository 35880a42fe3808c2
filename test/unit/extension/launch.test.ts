import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cliLauncher, daemonHome, serveArgs, type DaemonTarget } from '../../../extension/daemon/launch';
import { resolveTarget } from '../../../extension/daemon/target';
import { processAlive, readTokenFile, tokenFilePath } from '../../../extension/daemon/token-file';
import type { SightlineWorkspace } from '../../../extension/workspace';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'sightline-ext-unit-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('cliLauncher: how the sightline CLI runs', () => {
  it('runs the bundled script (or a configured .js/.cjs/.mjs) on the editor\u2019s Node, as Node, with a small young generation', () => {
    const base = { PATH: '/usr/bin', SIGHTLINE_HOME: '/elsewhere', KEEP: 'x' };
    const bundled = cliLauncher('/ext/dist/sightline.js', '', '/home/h', base);
    expect(bundled).toEqual({
      command: process.execPath,
      prefix: ['--max-semi-space-size=2', '/ext/dist/sightline.js'],
      env: { PATH: '/usr/bin', KEEP: 'x', SIGHTLINE_HOME: '/home/h', ELECTRON_RUN_AS_NODE: '1', NO_COLOR: '1', GLIBC_TUNABLES: 'glibc.malloc.arena_max=2' },
    });
    for (const script of ['/opt/my-cli.cjs', '/opt/my-cli.mjs', '/opt/MY-CLI.JS']) {
      expect(cliLauncher('/ext/dist/sightline.js', script, '/h', base)).toMatchObject({ command: process.execPath, prefix: ['--max-semi-space-size=2', script] });
    }
  });

  it('runs a configured executable as is', () => {
    const l = cliLauncher('/ext/dist/sightline.js', '/usr/local/bin/sightline', '/h', {});
    expect(l.command).toBe('/usr/local/bin/sightline');
    expect(l.prefix).toEqual([]);
    expect(l.env.SIGHTLINE_HOME).toBe('/h');
    // The user's own allocator settings win over the daemon's default.
    expect(cliLauncher('/ext/dist/sightline.js', '', '/h', { GLIBC_TUNABLES: 'glibc.malloc.arena_max=8' }).env.GLIBC_TUNABLES).toBe('glibc.malloc.arena_max=8');
  });
});

describe('serveArgs: `sightline serve` for a target', () => {
  const target = (o: Partial<DaemonTarget>): DaemonTarget => ({ trace: '/w/.sightline/trace.duckdb', readOnly: false, models: [], origin: 'workspace', ...o });

  it('writes the workspace trace with its models and provider, on a free loopback port', () => {
    expect(serveArgs(target({ models: ['/w/models/a.onnx', '/w/models/b.onnx'] }), 'webgpu', [])).toEqual([
      'serve', '--trace', '/w/.sightline/trace.duckdb', '--port', '0', '--provider', 'webgpu', '--model', '/w/models/a.onnx', '/w/models/b.onnx',
    ]);
    expect(serveArgs(target({}), 'cpu', [])).toEqual(['serve', '--trace', '/w/.sightline/trace.duckdb', '--port', '0', '--provider', 'cpu']);
  });

  it('read-only: no provider and no models, even when the target lists some', () => {
    expect(serveArgs(target({ readOnly: true, models: ['/w/m.onnx'], origin: 'opened' }), 'cuda', [])).toEqual(['serve', '--trace', '/w/.sightline/trace.duckdb', '--port', '0', '--read-only']);
  });

  it('appends the extra arguments of the setting last', () => {
    expect(serveArgs(target({}), 'cpu', ['--durable', '--log-raw']).slice(-2)).toEqual(['--durable', '--log-raw']);
  });
});

describe('daemonHome: one SIGHTLINE_HOME per workspace', () => {
  it('is stable for a folder, different for another, and a safe folder name', () => {
    const a = daemonHome('/gs', '/work/my project!');
    expect(daemonHome('/gs', '/work/my project!')).toBe(a);
    expect(daemonHome('/gs', '/other/my project!')).not.toBe(a);
    expect(path.dirname(a)).toBe(path.join('/gs', 'daemons'));
    expect(path.basename(a)).toMatch(/^my_project_-[0-9a-f]{8}$/);
    expect(path.basename(daemonHome('/gs', undefined))).toMatch(/^no-folder-[0-9a-f]{8}$/);
    expect(path.basename(daemonHome('/gs', `/w/${'x'.repeat(100)}`))).toMatch(/^x{40}-[0-9a-f]{8}$/);
  });
});

describe('resolveTarget: what the daemon serves (trust gating)', () => {
  const ws = (root: string, o: Partial<SightlineWorkspace> = {}): SightlineWorkspace => ({
    root, configured: true, models: [path.join(root, 'models', 'm.onnx')], trace: path.join(root, '.sightline', 'trace.duckdb'), problems: [], config: {}, ...o,
  });

  it('trusted: the workspace trace, writable, with the models (its folder is created)', () => {
    const root = path.join(tmp, 'trusted');
    mkdirSync(root);
    const t = resolveTarget(ws(root), undefined, true);
    expect(t).toEqual({ trace: path.join(root, '.sightline', 'trace.duckdb'), readOnly: false, models: [path.join(root, 'models', 'm.onnx')], origin: 'workspace' });
  });

  it('Restricted Mode: read-only without models, and only a trace that exists (read-only creates nothing)', () => {
    const root = path.join(tmp, 'untrusted');
    mkdirSync(root);
    const none = resolveTarget(ws(root), undefined, false);
    expect(none).toEqual({ none: expect.stringMatching(/^Restricted Mode: no trace file at .*trace\.duckdb/) });
    mkdirSync(path.join(root, '.sightline'));
    writeFileSync(path.join(root, '.sightline', 'trace.duckdb'), '');
    expect(resolveTarget(ws(root), undefined, false)).toEqual({ trace: path.join(root, '.sightline', 'trace.duckdb'), readOnly: true, models: [], origin: 'workspace' });
  });

  it('a trace opened with "Open Trace File" is read-only without models, trusted or not', () => {
    for (const trusted of [true, false]) {
      expect(resolveTarget(ws('/nowhere'), '/shared/teammate.duckdb', trusted)).toEqual({ trace: '/shared/teammate.duckdb', readOnly: true, models: [], origin: 'opened' });
    }
  });

  it('no folder: nothing to serve', () => {
    expect(resolveTarget({ root: undefined, configured: false, models: [], trace: undefined, problems: [], config: {} }, undefined, true)).toEqual({ none: 'no folder is open' });
  });
});

describe('token file (daemon.json)', () => {
  it('names the file itself, or daemon.json inside a SIGHTLINE_HOME folder', () => {
    const home = path.join(tmp, 'home');
    mkdirSync(home);
    expect(tokenFilePath(home)).toBe(path.join(home, 'daemon.json'));
    expect(tokenFilePath(path.join(home, 'daemon.json'))).toBe(path.join(home, 'daemon.json'));
    expect(tokenFilePath('~/no-such-sightline-home/daemon.json')).toBe(path.join(process.env.HOME ?? '~', 'no-such-sightline-home', 'daemon.json'));
  });

  it('reads port, token, pid, trace and protocol (defaults for the optional ones)', () => {
    const f = path.join(tmp, 'daemon.json');
    writeFileSync(f, JSON.stringify({ port: 4242, token: 't0k', pid: 99, trace: '/w/t.duckdb', protocol: 2, extra: true }));
    expect(readTokenFile(f)).toEqual({ port: 4242, token: 't0k', pid: 99, trace: '/w/t.duckdb', protocol: 2 });
    writeFileSync(f, JSON.stringify({ port: 1, token: 'x', pid: 2 }));
    expect(readTokenFile(f)).toEqual({ port: 1, token: 'x', pid: 2, trace: '', protocol: 1 });
  });

  it('says plainly what is wrong with a missing, unreadable or foreign file', () => {
    expect(() => readTokenFile(path.join(tmp, 'nope.json'))).toThrow(/no daemon token file at .*nope\.json \(is `sightline serve` running\?\)/);
    const bad = path.join(tmp, 'bad.json');
    writeFileSync(bad, '{not json');
    expect(() => readTokenFile(bad)).toThrow(/cannot read .*bad\.json/);
    writeFileSync(bad, JSON.stringify({ port: '1', token: 'x', pid: 2 }));
    expect(() => readTokenFile(bad)).toThrow(/is not a Sightline daemon token file \(port, token, pid\)/);
  });

  it('processAlive: this process yes, an unused pid no', () => {
    expect(processAlive(process.pid)).toBe(true);
    expect(processAlive(2 ** 22 + 12345)).toBe(false);
  });
});
