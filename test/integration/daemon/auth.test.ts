import { request } from 'node:http';
import { connect } from 'node:net';
import os from 'node:os';
import { statSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorBody } from '../../../protocol';
import { MODEL_V1, startDaemon, type RunningDaemon } from '../../helpers/daemon';
import { call, openSocket } from '../../helpers/wire';

/** An HTTP request with a Host header of our choosing (fetch forbids setting Host). */
function withHost(port: number, host: string, token: string): Promise<{ status: number; json: unknown }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/v1/health', method: 'GET', headers: { Host: host, Authorization: `Bearer ${token}` } }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(text) }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Resolves with the connect error code, or 'connected'. */
function tryConnect(host: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const s = connect({ host, port });
    s.setTimeout(5000, () => { s.destroy(); resolve('timeout'); });
    s.once('connect', () => { s.destroy(); resolve('connected'); });
    s.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? String(err)));
  });
}

function expectError(json: unknown, code: string): void {
  const parsed = ErrorBody.safeParse(json);
  expect(parsed.success, `error body ${JSON.stringify(json)}`).toBe(true);
  expect(parsed.data!.error.code).toBe(code);
  expect(parsed.data!.error.message.length).toBeGreaterThan(10);
}

describe('daemon: authentication, origin and host checks, loopback binding', () => {
  let d: RunningDaemon;
  beforeAll(async () => {
    d = await startDaemon(['--model', MODEL_V1]);
  });
  afterAll(async () => {
    await d?.stop();
    d?.cleanup();
  });

  it('accepts the token from daemon.json', async () => {
    const res = await call(d, 'GET', '/v1/health');
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ status: 'ok', pid: d.info.pid });
  });

  it('refuses requests without a token or with a wrong one (401 unauthorized), on every route', async () => {
    for (const [method, route, body] of [['GET', '/v1/health'], ['GET', '/v1/models'], ['POST', '/v1/predict', { model: 'flights-delay', records: [{}] }], ['GET', '/no/such/route']] as const) {
      const none = await call(d, method, route, body, { token: null });
      expect(none.status, `${method} ${route} without token`).toBe(401);
      expectError(none.json, 'unauthorized');
      const wrong = await call(d, method, route, body, { token: `${d.info.token.slice(0, -2)}xx` });
      expect(wrong.status, `${method} ${route} with wrong token`).toBe(401);
      expectError(wrong.json, 'unauthorized');
    }
    // A token of another length, and a non-Bearer scheme, are refused as well.
    expectError((await call(d, 'GET', '/v1/health', undefined, { token: 'short' })).json, 'unauthorized');
    const basic = await call(d, 'GET', '/v1/health', undefined, { token: null, headers: { Authorization: `Basic ${d.info.token}` } });
    expect(basic.status).toBe(401);
  });

  it('refuses a foreign Origin even with the right token (403 forbidden_origin)', async () => {
    const res = await call(d, 'GET', '/v1/health', undefined, { headers: { Origin: 'http://evil.example' } });
    expect(res.status).toBe(403);
    expectError(res.json, 'forbidden_origin');
    const nullOrigin = await call(d, 'GET', '/v1/models', undefined, { headers: { Origin: 'null' } });
    expect(nullOrigin.status).toBe(403);
  });

  it('refuses a foreign Host header (DNS rebinding) with 403 forbidden_host, accepts localhost', async () => {
    const evil = await withHost(d.info.port, `evil.example:${d.info.port}`, d.info.token);
    expect(evil.status).toBe(403);
    expectError(evil.json, 'forbidden_host');
    // The right name on the wrong port is a different origin too.
    const otherPort = await withHost(d.info.port, `127.0.0.1:${d.info.port + 1}`, d.info.token);
    expect(otherPort.status).toBe(403);
    expectError(otherPort.json, 'forbidden_host');
    const local = await withHost(d.info.port, `localhost:${d.info.port}`, d.info.token);
    expect(local.status).toBe(200);
  });

  it('refuses a WebSocket upgrade without a token, with a wrong token, or from a foreign origin', async () => {
    const none = await openSocket(d.info.port).then(() => 'opened', (e: unknown) => e);
    expect(none).toMatchObject({ status: 401 });
    expectError((none as { body: unknown }).body, 'unauthorized');
    const wrong = await openSocket(d.info.port, { headers: { Authorization: 'Bearer nope' } }).then(() => 'opened', (e: unknown) => e);
    expect(wrong).toMatchObject({ status: 401 });
    const wrongProto = await openSocket(d.info.port, { protocols: ['sightline.v1', 'bearer.nope'] }).then(() => 'opened', (e: unknown) => e);
    expect(wrongProto).toMatchObject({ status: 401 });
    const evil = await openSocket(d.info.port, { headers: { Authorization: `Bearer ${d.info.token}` }, origin: 'http://evil.example' }).then(() => 'opened', (e: unknown) => e);
    expect(evil).toMatchObject({ status: 403 });
    expectError((evil as { body: unknown }).body, 'forbidden_origin');
  });

  it('accepts a WebSocket with the token in the Authorization header, and answers on it', async () => {
    const s = await openSocket(d.info.port, { headers: { Authorization: `Bearer ${d.info.token}` } });
    expect(s.messages[0]).toMatchObject({ type: 'welcome', protocol: 1 });
    s.send({ type: 'ping', id: 7 });
    expect(await s.next((m) => m.type === 'pong', 'pong')).toEqual({ type: 'pong', id: 7 });
    await s.close();
  });

  it('accepts a WebSocket with the token as subprotocol bearer.<token> (browsers cannot set headers)', async () => {
    // With the protocol name alongside, as a browser client sends it: the daemon selects
    // sightline.v1 and never echoes the token back.
    const s = await openSocket(d.info.port, { protocols: ['sightline.v1', `bearer.${d.info.token}`] });
    expect(s.ws.protocol).toBe('sightline.v1');
    s.send({ type: 'query', id: 1, method: 'health' });
    expect(await s.next((m) => m.type === 'response', 'health response')).toMatchObject({ type: 'response', id: 1, result: { status: 'ok' } });
    await s.close();
    // The bearer subprotocol alone is enough too: the daemon must select one offered
    // subprotocol or the client fails the handshake, so it answers with the client's own one.
    const alone = await openSocket(d.info.port, { protocols: [`bearer.${d.info.token}`] });
    expect(alone.ws.protocol).toBe(`bearer.${d.info.token}`);
    alone.send({ type: 'ping' });
    expect(await alone.next((m) => m.type === 'pong', 'pong')).toEqual({ type: 'pong' });
    await alone.close();
  });

  it('listens on 127.0.0.1 only', async () => {
    expect(d.info.host).toBe('127.0.0.1');
    expect(await tryConnect('127.0.0.1', d.info.port)).toBe('connected');
    const external = Object.values(os.networkInterfaces()).flat().filter((i) => i && !i.internal && i.family === 'IPv4').map((i) => i!.address);
    for (const ip of external) expect(await tryConnect(ip, d.info.port), `connect via ${ip}`).toBe('ECONNREFUSED');
    // ::1 is loopback too, but the daemon binds the IPv4 loopback address only.
    expect(await tryConnect('::1', d.info.port)).not.toBe('connected');
  });

  it('writes daemon.json with mode 0600 (in a 0700 folder) holding port, token and pid', () => {
    expect(statSync(`${d.home}/daemon.json`).mode & 0o777).toBe(0o600);
    expect(statSync(d.home).mode & 0o777).toBe(0o700);
    expect(d.info.token.length).toBeGreaterThanOrEqual(32);
    expect(d.info.pid).toBe(d.process.pid);
    expect(d.info.trace).toBe(d.trace);
  });
});
