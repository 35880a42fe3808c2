/** Every malformed run, flag or trace query is refused with a typed error and changes nothing. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RunResponse } from '../../../protocol';
import { startDaemon, type RunningDaemon } from '../../helpers/daemon';
import { queryTrace } from '../../helpers/sample';
import { call, openSocket, type TestSocket } from '../../helpers/wire';
import { expectRefused } from '../../helpers/refused';

const H = 'a'.repeat(64);
const good = {
  id: 'run-0001-good', component: 'train', start: '2024-03-01T10:00:00Z', end: '2024-03-01T10:05:00+00:00', status: 'ok',
  git_commit: 'abc1234', git_dirty: false, code_file: 'pipeline/train.py', code_line: 12,
  params: { C: 1, layers: [64, 32], opt: { name: 'adam' } }, metrics: { auc: 0.8 },
  inputs: [{ name: 'features.csv', kind: 'features', content_hash: H, size: 10 }],
  outputs: [{ name: 'model.onnx', kind: 'model', content_hash: 'b'.repeat(64) }],
};


describe('lineage: bad payloads are refused with typed errors and change nothing', () => {
  let d: RunningDaemon;
  let ws: TestSocket;

  beforeAll(async () => {
    d = await startDaemon();
    ws = await openSocket(d.info.port, { headers: { Authorization: `Bearer ${d.info.token}` } });
  });
  afterAll(async () => {
    await ws?.close();
    await d?.stop();
    d?.cleanup();
  });

  it('POST /v1/runs: malformed JSON, schema violations (with the offending path), impossible values', async () => {
    expectRefused(await call(d, 'POST', '/v1/runs', undefined, { raw: '{"component": "train", ' }), 400, 'bad_json');
    const cases: [Record<string, unknown>, (string | number)[]][] = [
      [{ ...good, component: undefined }, ['component']],
      [{ ...good, component: '' }, ['component']],
      [{ ...good, start: undefined }, ['start']],
      [{ ...good, start: 'yesterday' }, ['start']],
      [{ ...good, status: 'maybe' }, ['status']],
      [{ ...good, id: 'x' }, ['id']],
      [{ ...good, git_commit: 'not-a-sha' }, ['git_commit']],
      [{ ...good, code_line: -3 }, ['code_line']],
      [{ ...good, metrics: { auc: 'high' } }, ['metrics', 'auc']],
      [{ ...good, inputs: 'features.csv' }, ['inputs']],
      [{ ...good, inputs: [{ name: 'f.csv', kind: 'spreadsheet' }] }, ['inputs', 0, 'kind']],
      [{ ...good, inputs: [good.inputs[0], { kind: 'data' }] }, ['inputs', 1, 'name']],
      [{ ...good, outputs: [{ name: 'm', content_hash: 'ABC' }] }, ['outputs', 0, 'content_hash']],
      [{ ...good, outputs: [{ name: 'm', content_hash: H.toUpperCase() }] }, ['outputs', 0, 'content_hash']],
      [{ ...good, outputs: [{ name: 'm', size: -1 }] }, ['outputs', 0, 'size']],
      [{ ...good, tags: ['ok', ''] }, ['tags', 1]],
    ];
    for (const [body, path] of cases) expectRefused(await call(d, 'POST', '/v1/runs', body), 400, 'invalid_request', path);
    expectRefused(await call(d, 'POST', '/v1/runs', { ...good, end: '2024-03-01T09:00:00Z' }), 400, 'bad_value', ['end']);
    expectRefused(await call(d, 'POST', '/v1/runs', { ...good, params: { blob: 'x'.repeat(300_000) } }), 400, 'bad_value', ['params']);
  });

  it('a valid run is stored once: a retry with the same id is a no-op (duplicate), even with other content', async () => {
    const first = await call(d, 'POST', '/v1/runs', good);
    expect(first.status, first.text).toBe(200);
    expect(RunResponse.parse(first.json)).toMatchObject({ id: good.id, duplicate: false, linked_models: [] });
    const again = await call(d, 'POST', '/v1/runs', { ...good, params: { C: 99 }, outputs: [] });
    expect(again.status).toBe(200);
    expect(again.json).toMatchObject({ id: good.id, duplicate: true });
  });

  it('trace queries: exactly one target, known targets, sane options', async () => {
    let id = 100;
    const ask = async (params: unknown): Promise<{ code: string; path?: unknown[] }> => {
      const qid = id++;
      ws.send({ type: 'query', id: qid, method: 'trace', params });
      const res = await ws.next<{ type: 'response'; id: number; error: { code: string; path?: unknown[] } }>((m) => m.type === 'response' && m.id === qid, `response ${qid}`);
      return res.error;
    };
    expect(await ask({})).toMatchObject({ code: 'invalid_request' });
    expect(await ask({ run: good.id, artifact: 'model.onnx' })).toMatchObject({ code: 'invalid_request', path: ['artifact'] });
    expect(await ask({ run: 'run-9999-nope' })).toMatchObject({ code: 'not_found', path: ['run'] });
    expect(await ask({ prediction: '01900000-0000-7000-8000-000000000000' })).toMatchObject({ code: 'not_found', path: ['prediction'] });
    expect(await ask({ target: good.id, max_age_days: -1 })).toMatchObject({ code: 'invalid_request', path: ['max_age_days'] });
    expect(await ask({ target: 42 })).toMatchObject({ code: 'invalid_request', path: ['target'] });
    expectRefused(await call(d, 'POST', '/v1/trace', { artifact: 'nothing-like-it' }), 404, 'not_found', ['artifact']);
    const ok = await call(d, 'POST', '/v1/trace', { target: 'model.onnx' });
    expect(ok.status, ok.text).toBe(200);
    expect(ok.json.nodes.map((n: { key: string }) => n.key.split(':')[0])).toEqual(['artifact', 'run', 'artifact']);
  });

  it('the trace file holds exactly the one valid run', async () => {
    expect(await d.stop()).toBe(0);
    const q = <T>(sql: string) => queryTrace<T>(d.trace, sql);
    expect(await q(`SELECT id, component, params::VARCHAR AS params FROM component_runs`)).toEqual([{ id: good.id, component: 'train', params: JSON.stringify(good.params) }]);
    expect(await q(`SELECT count(*)::INTEGER AS n FROM artifacts`)).toEqual([{ n: 2 }]);
    expect(await q(`SELECT direction, count(*)::INTEGER AS n FROM run_io GROUP BY direction ORDER BY direction`)).toEqual([{ direction: 'input', n: 1 }, { direction: 'output', n: 1 }]);
    expect(await q(`SELECT name FROM components`)).toEqual([{ name: 'train' }]);
    expect(await q(`SELECT count(*)::INTEGER AS n FROM flags`)).toEqual([{ n: 0 }]);
  });
});
