/**
 * startDaemon/stopDaemon (extension/daemon/daemon-process.ts) against a stand-in `sightline serve`:
 * a few lines of Node that print what the real daemon prints and write its daemon.json.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startDaemon, stopDaemon } from '../../../extension/daemon/daemon-process';
import type { Launcher } from '../../../extension/daemon/launch';
import type { Log } from '../../../extension/log';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'sightline-proc-unit-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const lines: string[] = [];
const log = { info: (m: string) => lines.push(`info ${m}`), warn: (m: string) => lines.push(`warn ${m}`), error: (m: string) => lines.push(`error ${m}`), debug: (m: string) => lines.push(`debug ${m}`) } as unknown as Log;

/** A fake CLI: `mode` says how it behaves. */
function fake(mode: 'ok' | 'exit' | 'mismatch' | 'silent'): Launcher {
  const script = path.join(tmp, `fake-${mode}.js`);
  writeFileSync(script, `
    const fs = require('node:fs'), path = require('node:path');
    const home = process.env.SIGHTLINE_HOME;
    process.on('SIGTERM', () => { console.error('[info] stopping: committed'); process.exit(0); });
    if (${JSON.stringify(mode)} === 'exit') { console.error('[error] cannot open trace: locked'); process.exit(3); }
    if (${JSON.stringify(mode)} === 'silent') { setInterval(() => {}, 1000); return; }
    fs.writeFileSync(path.join(home, 'daemon.json'), JSON.stringify({ port: ${mode === 'mismatch' ? 1111 : 4321}, token: 'tok', pid: process.pid, trace: '/t.duckdb' }));
    console.error('[warn] webgpu: no adapter, using cpu');
    console.log('listening on http://127.0.0.1:4321');
    setInterval(() => {}, 1000);
  `);
  return { command: process.execPath, prefix: [script], env: { ...process.env, SIGHTLINE_HOME: path.join(tmp, `home-${mode}`) } };
}

describe('startDaemon', () => {
  it('resolves once the daemon listens and its daemon.json names that port; logs its stderr by level; stops it with SIGTERM', async () => {
    const home = path.join(tmp, 'home-ok');
    const d = await startDaemon(fake('ok'), ['serve'], home, log, 20_000);
    expect(d.info).toMatchObject({ port: 4321, token: 'tok', pid: d.child.pid });
    await stopDaemon(d);
    expect(await d.exited).toEqual({ code: 0, signal: null });
    expect(lines).toEqual(expect.arrayContaining(['warn daemon: webgpu: no adapter, using cpu', expect.stringMatching(/^info starting daemon: /)]));
    expect(d.lastLines()).toContain('[info] stopping: committed');
  });

  it('rejects with the daemon\u2019s last lines when it exits before listening', async () => {
    await expect(startDaemon(fake('exit'), ['serve'], path.join(tmp, 'home-exit'), log, 20_000)).rejects.toThrow('the daemon exited (code 3) before listening: [error] cannot open trace: locked');
    expect(lines).toContain('error daemon: cannot open trace: locked');
  });

  it('rejects when daemon.json names another port (a stale file), and when it never listens', async () => {
    await expect(startDaemon(fake('mismatch'), ['serve'], path.join(tmp, 'home-mismatch'), log, 20_000)).rejects.toThrow('daemon.json names port 1111, the daemon listens on 4321');
    await expect(startDaemon(fake('silent'), ['serve'], path.join(tmp, 'home-silent'), log, 800)).rejects.toThrow('the daemon did not listen within 0.8 s');
  });

  it('can be cancelled', async () => {
    const ac = new AbortController();
    const started = startDaemon(fake('silent'), ['serve'], path.join(tmp, 'home-cancel'), log, 20_000, ac.signal);
    setTimeout(() => ac.abort(), 200);
    await expect(started).rejects.toThrow('daemon start cancelled');
  });
});
