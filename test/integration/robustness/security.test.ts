import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildWebviewHtml, contentSecurityPolicy, newNonce } from '../../../extension/panels/html';
import { ErrorBody, PanelKind } from '../../../protocol';
import { writeRealTrace } from '../../corpus/generate';
import { MODEL_V1, ROOT, runCli, startDaemon, type RunningDaemon } from '../../helpers/daemon';
import { call, openSocket } from '../../helpers/wire';
import { sendRaw } from './support';

/**
 * Security promises beyond test/integration/daemon/auth.test.ts (token, Origin, Host, loopback,
 * token file): the edge cases of each check, the webview CSP, and traces from others — a
 * read-only daemon or `drift --db` on a crafted file neither reads nor writes local files.
 */
const PASSWD_LINE = /root:.*:0:0:/;

describe('security: the front door, webviews, and traces from others', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sightline-security-'));
  let d: RunningDaemon;
  const daemons: RunningDaemon[] = [];
  beforeAll(async () => {
    d = await startDaemon(['--model', MODEL_V1, '--allow-origin', 'vscode-webview://trusted-panel'], { dir });
    daemons.push(d);
  });
  afterAll(async () => {
    for (const x of daemons) await x.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  const raw = async (head: string): Promise<{ status: number | null; code?: string }> => {
    const a = await sendRaw(d.info.port, Buffer.from(`${head}\r\n\r\n`));
    let code: string | undefined;
    try {
      code = ErrorBody.parse(JSON.parse(a.body)).error.code;
    } catch {
      /* a success */
    }
    return { status: a.status, ...(code ? { code } : {}) };
  };

  it('the token only as `Authorization: Bearer` (or the WebSocket bearer subprotocol): not in the query, not in a cookie, not as Basic', async () => {
    const t = d.info.token;
    const p = d.info.port;
    expect(await raw(`GET /v1/health?token=${t} HTTP/1.1\r\nHost: 127.0.0.1:${p}`)).toEqual({ status: 401, code: 'unauthorized' });
    expect(await raw(`GET /v1/health HTTP/1.1\r\nHost: 127.0.0.1:${p}\r\nCookie: token=${t}`)).toEqual({ status: 401, code: 'unauthorized' });
    expect(await raw(`GET /v1/health HTTP/1.1\r\nHost: 127.0.0.1:${p}\r\nAuthorization: Bearer ${t}x`)).toEqual({ status: 401, code: 'unauthorized' });
    expect(await raw(`GET /v1/health HTTP/1.1\r\nHost: 127.0.0.1:${p}\r\nAuthorization: Bearer ${t.slice(1)}`)).toEqual({ status: 401, code: 'unauthorized' });
    expect(await raw(`GET /v1/health HTTP/1.1\r\nHost: 127.0.0.1:${p}\r\nAuthorization: Bearer`)).toEqual({ status: 401, code: 'unauthorized' });
    expect((await raw(`GET /v1/health HTTP/1.1\r\nHost: 127.0.0.1:${p}\r\nAuthorization: Bearer ${t}`)).status).toBe(200);
    const ws = await openSocket(p, { protocols: [`bearer.${t}x`] }).then(() => 'opened', (e: { status?: number }) => e.status);
    expect(ws).toBe(401);
    // A token in the URL of a WebSocket upgrade is refused as well.
    expect(await raw(`GET /v1/stream?token=${t} HTTP/1.1\r\nHost: 127.0.0.1:${p}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==`)).toEqual({ status: 401, code: 'unauthorized' });
  });

  it('DNS rebinding: only 127.0.0.1, localhost and [::1] with this port pass as Host, in any case; absolute-form targets elsewhere are refused', async () => {
    const t = d.info.token;
    const p = d.info.port;
    const host = (h: string): Promise<{ status: number | null; code?: string }> => raw(`GET /v1/health HTTP/1.1\r\nHost: ${h}\r\nAuthorization: Bearer ${t}`);
    for (const h of [`127.0.0.1.evil.example:${p}`, `localhost.:${p}`, `evil.localhost:${p}`, `127.0.0.1:${p}.evil.example`, `0.0.0.0:${p}`, `[::ffff:127.0.0.1]:${p}`, `2130706433:${p}`, `127.1:${p}`, 'localhost', `localhost:${p}@evil.example`, `localhost:0${p}`]) {
      expect(await host(h), h).toEqual({ status: 403, code: 'forbidden_host' });
    }
    expect((await host(`LOCALHOST:${p}`)).status).toBe(200);
    expect((await host(`[::1]:${p}`)).status).toBe(200);
    // An absolute-form request line names its own host (RFC 9112 §3.2.2): it must be ours too.
    expect(await raw(`GET http://evil.example/v1/health HTTP/1.1\r\nHost: 127.0.0.1:${p}\r\nAuthorization: Bearer ${t}`)).toEqual({ status: 403, code: 'forbidden_host' });
    expect((await raw(`GET http://127.0.0.1:${p}/v1/health HTTP/1.1\r\nHost: 127.0.0.1:${p}\r\nAuthorization: Bearer ${t}`)).status).toBe(200);
  });

  it('Origin: only the exact origins given with --allow-origin (not their prefixes, suffixes or other schemes)', async () => {
    const ok = await call(d, 'GET', '/v1/health', undefined, { headers: { Origin: 'vscode-webview://trusted-panel' } });
    expect(ok.status).toBe(200);
    for (const o of ['vscode-webview://trusted-panel.evil', 'vscode-webview://trusted-pane', 'VSCODE-WEBVIEW://TRUSTED-PANEL', 'http://trusted-panel', `http://127.0.0.1:${d.info.port}`, 'vscode-webview://trusted-panel/']) {
      const res = await call(d, 'GET', '/v1/health', undefined, { headers: { Origin: o } });
      expect(res.status, o).toBe(403);
      expect(res.json.error.code).toBe('forbidden_origin');
    }
    const ws = await openSocket(d.info.port, { protocols: ['sightline.v1', `bearer.${d.info.token}`], origin: 'vscode-webview://trusted-panel' });
    expect(ws.ws.protocol).toBe('sightline.v1');
    await ws.close();
  });

  it('listens on 127.0.0.1 only (the kernel socket table says so)', () => {
    const hex = d.info.port.toString(16).toUpperCase().padStart(4, '0');
    const listening = (file: string): string[] => readFileSync(file, 'utf8').split('\n').slice(1)
      .map((l) => l.trim().split(/\s+/)).filter((f) => f[1]?.endsWith(`:${hex}`) && f[3] === '0A').map((f) => f[1]!);
    expect(listening('/proc/net/tcp')).toEqual([`0100007F:${hex}`]);
    expect(existsSync('/proc/net/tcp6') ? listening('/proc/net/tcp6') : []).toEqual([]);
  });

  it('webviews: a strict CSP (nonce scripts, no unsafe-inline, no unsafe-eval, nothing remote), nothing inline', () => {
    for (const panel of PanelKind.options) {
      const nonce = newNonce();
      const html = buildWebviewHtml({ cspSource: 'https://file+.vscode-resource.vscode-cdn.net', nonce, scriptUri: `https://x/${panel}.js`, styleUri: `https://x/${panel}.css`, title: `<b>"${panel}"</b>`, panel });
      const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html)?.[1]?.replace(/&#39;|&apos;/g, "'") ?? '';
      expect(csp, panel).toContain("default-src 'none'");
      expect(csp).toMatch(new RegExp(`script-src 'nonce-${nonce.replace(/[+/=]/g, (c) => `\\${c}`)}'(;|$)`));
      expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|unsafe-hashes|wasm-unsafe|\*|https?:\/\/(?!file\+)|data:[^;]*script/);
      // Every script carries the nonce; no inline handlers; the title is escaped.
      for (const tag of html.match(/<script\b[^>]*>/g) ?? []) expect(tag).toContain(`nonce="${nonce}"`);
      expect(html).not.toMatch(/\son[a-z]+\s*=/i);
      expect(html).not.toContain('<b>');
    }
    expect(newNonce()).not.toBe(newNonce());
    expect(contentSecurityPolicy('src', 'n')).toBe("default-src 'none'; script-src 'nonce-n'; style-src src 'nonce-n'; img-src src data:; font-src src");
    // The bundled extension and webviews carry no policy that relaxes it.
    const bundles = [path.join(ROOT, 'dist', 'extension.js'), ...(existsSync(path.join(ROOT, 'dist', 'webviews')) ? readdirSync(path.join(ROOT, 'dist', 'webviews')).filter((f) => /\.(js|html)$/.test(f)).map((f) => path.join(ROOT, 'dist', 'webviews', f)) : [])];
    for (const b of bundles.filter((f) => existsSync(f))) expect(readFileSync(b, 'utf8'), b).not.toMatch(/'unsafe-inline'|'unsafe-eval'/);
  });

  describe('traces from others cannot read or write local files', () => {
    const canary = path.join(dir, 'canary.csv');
    const evil = (name: string): string => path.join(dir, `${name}.duckdb`);
    beforeAll(async () => {
      await writeRealTrace(evil('view'), { drop: ['predictions'], views: [`CREATE VIEW predictions AS SELECT * FROM read_csv('/etc/passwd', header = false)`] });
      await writeRealTrace(evil('baseline-view'), { views: [`CREATE VIEW evil_rows AS SELECT * FROM read_text('/etc/passwd')`, `UPDATE baselines SET table_name = 'evil_rows'`] });
      await writeRealTrace(evil('macro'), { macros: [`CREATE MACRO quantile_cont(x, q) AS 0`, `CREATE MACRO leak() AS TABLE SELECT * FROM read_text('/etc/passwd')`] });
      // Only tables, but hostile names where Sightline builds SQL from stored names.
      await writeRealTrace(evil('names'), {});
      const db = await DuckDBInstance.create(evil('names'));
      const c = await db.connect();
      await c.run(`UPDATE baselines SET table_name = 'baseline__ref"; COPY (SELECT 1) TO ''${canary}''; --'`);
      await c.run(`INSERT INTO models (id, name, version, card) VALUES ('m2', 'x''; COPY (SELECT 1) TO ''${canary}''; --', '1', '{"name":"x","version":"1"}')`);
      c.closeSync();
      db.closeSync();
      await writeRealTrace(evil('columns'), {});
      const db2 = await DuckDBInstance.create(evil('columns'));
      const c2 = await db2.connect();
      await c2.run(`UPDATE feature_columns SET column_name = 'f_1" FROM predictions; COPY (SELECT 1) TO ''${canary}''; --'`);
      c2.closeSync();
      db2.closeSync();
    });

    it('serve --read-only and drift --db refuse files that bring views or macros, or map features to columns that are not there; nothing of /etc/passwd comes out', async () => {
      for (const name of ['view', 'baseline-view', 'macro', 'columns']) {
        const served = await runCli(['serve', '--read-only', '--trace', evil(name), '--port', '0'], { SIGHTLINE_HOME: path.join(dir, `h-${name}`) });
        expect(served.code, `${name}: ${served.stderr}`).toBe(2);
        expect(served.stderr).toMatch(name === 'columns' ? /maps feature .* which predictions does not have.*\[bad_file\]/ : /holds SQL of its own.*\[bad_file\]/);
        const drift = await runCli(['drift', '--db', evil(name), '--baseline', 'ref'], { SIGHTLINE_HOME: path.join(dir, `h-${name}`) });
        expect(drift.code, `${name}: ${drift.stderr}`).toBe(2);
        expect(drift.stderr).toMatch(/\[bad_file\]/);
        for (const out of [served.stdout, served.stderr, drift.stdout, drift.stderr]) expect(out).not.toMatch(PASSWD_LINE);
      }
    });

    it('a read-only daemon over a file with hostile stored names answers typed errors, reads no local file, writes none', async () => {
      const ro = await startDaemon(['--read-only'], { trace: evil('names'), dir: mkdtempSync(path.join(dir, 'ro-')) });
      daemons.push(ro);
      const answers = [
        await call(ro, 'POST', '/v1/drift', { baseline: 'ref' }),
        await call(ro, 'POST', '/v1/quality', { baseline: 'ref' }),
        await call(ro, 'POST', '/v1/slices', { no_labels: true }),
        // Requests that would read local files through the daemon: refused (read-only, external access off).
        await call(ro, 'POST', '/v1/baselines', { name: 'pw', file: '/etc/passwd' }),
        await call(ro, 'POST', '/v1/skew', { training: '/etc/passwd', mode: 'distribution' }),
        await call(ro, 'POST', '/v1/models', { path: MODEL_V1 }),
        await call(ro, 'POST', '/v1/predictions', { model: { name: 'x', version: '1' }, predictions: [{ features: { a: 1 } }] }),
      ];
      for (const a of answers) {
        expect(a.status, a.text).toBeGreaterThanOrEqual(400);
        const e = ErrorBody.parse(a.json).error;
        expect(e.code, a.text).not.toBe('internal');
        expect(a.text).not.toMatch(PASSWD_LINE);
      }
      const s = await openSocket(ro.info.port, { headers: { Authorization: `Bearer ${ro.info.token}` } });
      for (const [id, method, params] of [[1, 'drift', { baseline: 'ref' }], [2, 'predictions', {}], [3, 'baselines', undefined], [4, 'findings', {}]] as const) {
        s.send({ type: 'query', id, method, params });
        const r = await s.next((m) => m.type === 'response' && m.id === id, method);
        expect(JSON.stringify(r)).not.toMatch(PASSWD_LINE);
        if (r.type === 'response' && r.error) expect((r.error as { code: string }).code, method).not.toBe('internal');
      }
      await s.close();
      expect(await ro.stop()).toBe(0);
      expect(existsSync(canary), 'a stored name wrote a file').toBe(false);
      // `drift --db` on the same file, in-process: typed, no file written either.
      const r = await runCli(['drift', '--db', evil('names'), '--baseline', 'ref'], { SIGHTLINE_HOME: path.join(dir, 'h-names') });
      expect([0, 2]).toContain(r.code);
      expect(r.stderr).not.toMatch(/unexpected error/);
      expect(existsSync(canary)).toBe(false);
    });
  });
});
