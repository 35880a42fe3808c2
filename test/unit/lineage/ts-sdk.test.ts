/** The TypeScript lineage SDK: hashing, payloads, delivery (sent / spooled / refused), never failing the step. */
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { componentRun, hashFile, hashValue, spoolDir, startRun, withRun } from '../../../clients/typescript/lineage';

let dir: string;
let home: string;

beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'sightline-ts-sdk-'));
  home = path.join(dir, 'home');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function spooled(): Record<string, any>[] {
  try {
    return readdirSync(spoolDir(home)).filter((f) => f.endsWith('.jsonl')).map((f) => JSON.parse(readFileSync(path.join(spoolDir(home), f), 'utf8')));
  } catch {
    return [];
  }
}

/** A stand-in daemon answering POST /v1/runs with `status` after `delayMs`. */
async function fakeDaemon(status: number, delayMs = 0): Promise<{ server: Server; bodies: any[] }> {
  const bodies: any[] = [];
  const server = createServer((req, res) => {
    let text = '';
    req.on('data', (c) => (text += c));
    req.on('end', () => {
      bodies.push(JSON.parse(text));
      setTimeout(() => {
        res.writeHead(status, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(status === 200 ? { id: 'x' } : { error: { code: status === 400 ? 'invalid_request' : 'internal', message: 'no' } }));
      }, delayMs);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  mkdirSync(home, { recursive: true });
  writeFileSync(path.join(home, 'daemon.json'), JSON.stringify({ port: (server.address() as AddressInfo).port, token: 't' }));
  return { server, bodies };
}

describe('TypeScript lineage SDK', () => {
  test('hashFile streams sha256; hashValue is canonical', async () => {
    const f = path.join(dir, 'blob.bin');
    const data = randomBytes(3 * (1 << 20) + 5);
    writeFileSync(f, data);
    expect(await hashFile(f)).toEqual({ hash: createHash('sha256').update(data).digest('hex'), size: data.length });
    expect(hashValue({ b: 1, a: 2 })).toBe(hashValue({ a: 2, b: 1 }));
    expect(hashValue('abc')).toBe(createHash('sha256').update('abc').digest('hex'));
  });

  test('withRun: payload with hashes, params, metrics, code location; spooled with no daemon', async () => {
    const input = path.join(dir, 'in.csv');
    writeFileSync(input, 'a\n1\n');
    const out = path.join(dir, 'model.onnx');
    const warn = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const result = await withRun('train', { home, params: { C: 1, bad: Number.NaN }, owner: 'me' }, async (r) => {
      r.input(input).param('seed', 7);
      writeFileSync(out, 'weights');
      r.output(out).metric('auc', 0.8).metric('broken', Number.POSITIVE_INFINITY);
      return 'done';
    });
    expect(result).toBe('done');
    expect(String(warn.mock.calls[0]?.[0])).toContain('metric "broken" of run "train" ignored');
    warn.mockRestore();
    const [body] = spooled();
    expect(body).toMatchObject({
      component: 'train', status: 'ok', owner: 'me', params: { C: 1, bad: 'NaN', seed: 7 }, metrics: { auc: 0.8 },
      code_file: expect.stringMatching(/ts-sdk\.test\.ts$/), code_line: expect.any(Number),
      inputs: [{ kind: 'data', content_hash: createHash('sha256').update('a\n1\n').digest('hex'), size: 4 }],
      outputs: [{ kind: 'model', content_hash: createHash('sha256').update('weights').digest('hex') }],
    });
  });

  test('a failing step: the error propagates, the run is logged failed', async () => {
    await expect(withRun('flaky', { home }, () => { throw new TypeError('bad column'); })).rejects.toThrow('bad column');
    expect(spooled()).toEqual([expect.objectContaining({ component: 'flaky', status: 'failed', notes: 'failed: TypeError: bad column' })]);
  });

  test('componentRun wraps functions and decorates methods', async () => {
    class Steps {
      factor = 3;
      @componentRun('scale', { home })
      async scale(x: number): Promise<number> {
        return x * this.factor;
      }
    }
    expect(await new Steps().scale(2)).toBe(6);
    const plain = componentRun('plain', { home })((a: number, b: number) => a + b);
    expect(await plain(1, 2)).toBe(3);
    expect(spooled().map((b) => b.component).sort()).toEqual(['plain', 'scale']);
  });

  test('sent to a running daemon; refused payloads are warned about, not spooled', async () => {
    const ok = await fakeDaemon(200);
    try {
      const r = startRun('train', { home });
      expect(await r.end()).toBe('sent');
      expect(ok.bodies.map((b) => b.id)).toEqual([r.id]);
    } finally {
      ok.server.close();
    }
    const refused = await fakeDaemon(400);
    const warn = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      expect(await startRun('train', { home }).end()).toBe('refused');
      expect(String(warn.mock.calls[0]?.[0])).toContain('refused');
    } finally {
      warn.mockRestore();
      refused.server.close();
    }
    expect(spooled()).toEqual([]);
  });

  test('a slow daemon costs at most the timeout, then the run is spooled', async () => {
    const slow = await fakeDaemon(200, 3000);
    try {
      const t0 = performance.now();
      expect(await startRun('train', { home, timeoutMs: 200 }).end()).toBe('spooled');
      expect(performance.now() - t0).toBeLessThan(2000);
    } finally {
      slow.server.closeAllConnections();
      slow.server.close();
    }
  });

  test('SIGHTLINE_LINEAGE=off turns it off', async () => {
    vi.stubEnv('SIGHTLINE_LINEAGE', 'off');
    try {
      expect(await startRun('quiet', { home }).end()).toBe('off');
    } finally {
      vi.unstubAllEnvs();
    }
    expect(spooled()).toEqual([]);
  });
});
