import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorBody, type FeatureRecord, type ServerMessage } from '../../../protocol';
import { MODEL_V1, startDaemon, type RunningDaemon } from '../../helpers/daemon';
import { FEATURES, queryTrace, sampleRecords } from '../../helpers/sample';
import { call, openSocket, waitFor, type TestSocket } from '../../helpers/wire';
import { expectRefused } from '../../helpers/refused';

const MAX_BODY = 64 * 1024;


describe('daemon: every malformed request is refused with a typed error and changes nothing', () => {
  let d: RunningDaemon;
  let records: FeatureRecord[];
  let flightIds: string[];
  let events: TestSocket;
  const served: string[] = [];

  beforeAll(async () => {
    d = await startDaemon(['--model', MODEL_V1, '--max-body', String(MAX_BODY), '--flush-interval', '50']);
    ({ records, flightIds } = await sampleRecords(4));
    events = await openSocket(d.info.port, { headers: { Authorization: `Bearer ${d.info.token}` } });
    events.send({ type: 'subscribe', events: ['prediction', 'label'] });
    // A valid request first, so the model is registered and its columns exist.
    const ok = await call(d, 'POST', '/v1/predict', { model: 'flights-delay', records: records.slice(0, 3), join_keys: flightIds.slice(0, 3) });
    expect(ok.status).toBe(200);
    served.push(...ok.json.predictions.map((p: { id: string }) => p.id));
  });
  afterAll(async () => {
    await events?.close();
    await d?.stop();
    d?.cleanup();
  });

  const good = (): FeatureRecord => ({ ...records[0]! });

  it('malformed JSON → 400 bad_json', async () => {
    expectRefused(await call(d, 'POST', '/v1/predict', undefined, { raw: '{"model": "flights-delay", "records": [' }), 400, 'bad_json');
    expectRefused(await call(d, 'POST', '/v1/predict', undefined, { raw: '' }), 400, 'bad_json');
    expectRefused(await call(d, 'POST', '/v1/labels', undefined, { raw: 'labels=1' }), 400, 'bad_json');
  });

  it('schema violations → 400 invalid_request with the path of the offending field', async () => {
    expectRefused(await call(d, 'POST', '/v1/predict', { records: [good()] }), 400, 'invalid_request', ['model']);
    expectRefused(await call(d, 'POST', '/v1/predict', { model: 'flights-delay', records: 'all of them' }), 400, 'invalid_request', ['records']);
    expectRefused(await call(d, 'POST', '/v1/predict', { model: 'flights-delay', records: [] }), 400, 'invalid_request', ['records']);
    expectRefused(await call(d, 'POST', '/v1/predict', { model: 'flights-delay', records: [good()], join_keys: [42] }), 400, 'invalid_request', ['join_keys', 0]);
    expectRefused(await call(d, 'POST', '/v1/predict', { model: 'flights-delay', records: [{ ...good(), distance: [1, 2] }] }), 400, 'invalid_request', ['records', 0, 'distance']);
    expectRefused(await call(d, 'POST', '/v1/models', { path: '' }), 400, 'invalid_request', ['path']);
  });

  it('exactly one of records or tensors', async () => {
    const both = { model: 'flights-delay', records: [good()], tensors: { distance: { type: 'float32', dims: [1, 1], data: [1] } } };
    expectRefused(await call(d, 'POST', '/v1/predict', both), 400, 'invalid_request', ['records']);
    expectRefused(await call(d, 'POST', '/v1/predict', { model: 'flights-delay' }), 400, 'invalid_request', ['records']);
  });

  it('unknown feature → unknown_feature at [records, i, name]; missing or null feature → missing_feature', async () => {
    expectRefused(await call(d, 'POST', '/v1/predict', { model: 'flights-delay', records: [good(), { ...good(), carrier: 'AA' }] }), 400, 'unknown_feature', ['records', 1, 'carrier']);
    const { distance: _omit, ...lacking } = good();
    expectRefused(await call(d, 'POST', '/v1/predict', { model: 'flights-delay', records: [lacking] }), 400, 'missing_feature', ['records', 0, 'distance']);
    expectRefused(await call(d, 'POST', '/v1/predict', { model: 'flights-delay', records: [good(), good(), { ...good(), origin: null }] }), 400, 'missing_feature', ['records', 2, 'origin']);
  });

  it('a string, or a non-finite number, for a numeric feature → bad_value', async () => {
    expectRefused(await call(d, 'POST', '/v1/predict', { model: 'flights-delay', records: [good(), { ...good(), distance: 'far' }] }), 400, 'bad_value', ['records', 1, 'distance']);
    // 1e400 is valid JSON that parses to Infinity.
    const raw = JSON.stringify({ model: 'flights-delay', records: [{ ...good(), distance: 12345 }] }).replace('12345', '1e400');
    const inf = await call(d, 'POST', '/v1/predict', undefined, { raw });
    expect(inf.status).toBe(400);
    expect(['bad_value', 'invalid_request']).toContain(ErrorBody.parse(inf.json).error.code);
    expect(ErrorBody.parse(inf.json).error.path).toEqual(['records', 0, 'distance']);
  });

  it('unknown model → 404 unknown_model', async () => {
    expectRefused(await call(d, 'POST', '/v1/predict', { model: 'no-such-model', records: [good()] }), 404, 'unknown_model', ['model']);
    expectRefused(await call(d, 'POST', '/v1/predict', { model: 'flights-delay@v9', records: [good()] }), 404, 'unknown_model', ['model']);
    expectRefused(await call(d, 'DELETE', '/v1/models/no-such-model'), 404, 'unknown_model');
  });

  it('a body over --max-body → 413 payload_too_large (declared length, and streamed without a length)', async () => {
    const big = { model: 'flights-delay', records: Array.from({ length: 2000 }, () => good()) };
    const text = JSON.stringify(big);
    expect(text.length).toBeGreaterThan(MAX_BODY * 4);
    expectRefused(await call(d, 'POST', '/v1/predict', undefined, { raw: text }), 413, 'payload_too_large');
    // Chunked transfer (no Content-Length): the limit is enforced while reading.
    const bytes = Buffer.from(text);
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let o = 0; o < bytes.length; o += 16 * 1024) controller.enqueue(bytes.subarray(o, o + 16 * 1024));
        controller.close();
      },
    });
    const res = await fetch(`http://127.0.0.1:${d.info.port}/v1/predict`, {
      method: 'POST', body: stream, duplex: 'half', headers: { Authorization: `Bearer ${d.info.token}`, 'Content-Type': 'application/json' },
    } as RequestInit);
    const body = await res.text();
    expectRefused({ status: res.status, json: JSON.parse(body), text: body }, 413, 'payload_too_large');
  });

  it('join_keys or attributes of the wrong length → bad_shape', async () => {
    expectRefused(await call(d, 'POST', '/v1/predict', { model: 'flights-delay', records: [good(), good()], join_keys: ['only-one'] }), 400, 'bad_shape', ['join_keys']);
    expectRefused(await call(d, 'POST', '/v1/predict', { model: 'flights-delay', records: [good()], attributes: [{ a: 1 }, { a: 2 }] }), 400, 'bad_shape', ['attributes']);
  });

  it('a raw tensor whose data does not match its dims → bad_shape', async () => {
    const tensors = Object.fromEntries(FEATURES.map((f) => {
      const v = good()[f];
      return [f, typeof v === 'string' ? { type: 'string', dims: [2, 1], data: [v, v] } : { type: 'float32', dims: [2, 1], data: [v, v] }];
    }));
    tensors.distance = { type: 'float32', dims: [2, 1], data: [100, 200, 300] };
    expectRefused(await call(d, 'POST', '/v1/predict', { model: 'flights-delay', tensors }), 400, 'bad_shape', ['tensors', 'distance', 'data']);
    expectRefused(await call(d, 'POST', '/v1/predict', { model: 'flights-delay', tensors: { ...tensors, bogus: tensors.distance } }), 400, 'unknown_feature', ['tensors', 'bogus']);
  });

  it('labels without prediction_id or join_key → invalid_request; a prediction_id that is not a UUID → bad_value', async () => {
    expectRefused(await call(d, 'POST', '/v1/labels', { labels: [{ join_key: 'k', value: 1 }, { value: 1 }] }), 400, 'invalid_request', ['labels', 1, 'prediction_id']);
    expectRefused(await call(d, 'POST', '/v1/labels', { labels: [] }), 400, 'invalid_request', ['labels']);
    expectRefused(await call(d, 'POST', '/v1/labels', { labels: [{ join_key: 'k', value: 1 }, { prediction_id: 'not-a-uuid', value: 0 }] }), 400, 'bad_value', ['labels', 1, 'prediction_id']);
  });

  it('logged predictions with a bad id → bad_value, and the trace learns nothing of them', async () => {
    const req = { model: { name: 'elsewhere', version: '1' }, predictions: [{ features: { temp: 3 } }, { id: 'nope', features: { temp: 4 } }] };
    expectRefused(await call(d, 'POST', '/v1/predictions', req), 400, 'bad_value', ['predictions', 1, 'id']);
  });

  it('unknown routes → 404 not_found', async () => {
    expectRefused(await call(d, 'GET', '/v1/predict'), 404, 'not_found');
    expectRefused(await call(d, 'POST', '/v2/predict', { model: 'flights-delay', records: [good()] }), 404, 'not_found');
  });

  it('after all of that the daemon still serves, and only valid requests were logged or streamed', async () => {
    const ok = await call(d, 'POST', '/v1/predict', { model: 'flights-delay', records: [records[3]!], join_keys: [flightIds[3]!] });
    expect(ok.status).toBe(200);
    expect(ok.json.predictions).toHaveLength(1);
    served.push(ok.json.predictions[0].id);
    const health = await call(d, 'GET', '/v1/health');
    expect(health.status).toBe(200);

    // The stream saw exactly the valid predictions and no label event.
    const streamed = (): string[] => events.messages
      .filter((m): m is Extract<ServerMessage, { type: 'event' }> => m.type === 'event')
      .flatMap((m) => (m.event === 'prediction' ? (m.data as { id: string }[]).map((p) => p.id) : [`${m.event}!`]));
    await waitFor(() => streamed().length >= served.length, 'prediction events of the valid requests');
    expect(streamed()).toEqual(served);

    expect(await d.stop()).toBe(0);
    const rows = await queryTrace<{ id: string; join_key: string }>(d.trace, 'SELECT id::VARCHAR AS id, join_key FROM predictions ORDER BY id');
    expect(rows.map((r) => r.id)).toEqual([...served].sort());
    expect(rows.map((r) => r.join_key).sort()).toEqual([...flightIds].sort());
    const labels = await queryTrace<{ n: number }>(d.trace, 'SELECT count(*)::INT AS n FROM labels');
    expect(labels[0]!.n).toBe(0);
    const models = await queryTrace<{ name: string }>(d.trace, 'SELECT name FROM models ORDER BY name');
    expect(models.map((m) => m.name)).toEqual(['flights-delay']);
    const columns = await queryTrace<{ feature: string }>(d.trace, 'SELECT feature FROM feature_columns');
    expect(columns.map((c) => c.feature)).not.toContain('temp');
  });
});
