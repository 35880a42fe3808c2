import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FeatureRecord, ModelInfo, ServerMessage } from '../../../protocol';
import { MODEL_V1, MODEL_V2, startDaemon, type RunningDaemon } from '../../helpers/daemon';
import { sampleRecords } from '../../helpers/sample';
import { call, featuresOf, openSocket, project, rssBytes, waitFor, type TestSocket } from '../../helpers/wire';

type EventMsg = Extract<ServerMessage, { type: 'event' }>;

/** Ids of the prediction events a socket has received so far. */
function predictionIds(s: TestSocket): string[] {
  return s.messages
    .filter((m): m is EventMsg => m.type === 'event' && m.event === 'prediction')
    .flatMap((m) => (m.data as { id: string }[]).map((p) => p.id));
}

/**
 * A barrier: the daemon writes events to a socket before it answers the HTTP request that caused
 * them, so once a ping sent after those answers is ponged, every event due has arrived.
 */
let pingId = 1000;
async function settled(s: TestSocket): Promise<void> {
  const id = pingId++;
  s.send({ type: 'ping', id });
  await s.next((m) => m.type === 'pong' && m.id === id, `pong ${id}`);
}

describe('daemon: WebSocket event stream', () => {
  let d: RunningDaemon;
  let records: FeatureRecord[];
  let joinKeys: string[];
  const sockets: TestSocket[] = [];
  const open = async (): Promise<TestSocket> => {
    const s = await openSocket(d.info.port, { headers: { Authorization: `Bearer ${d.info.token}` } });
    sockets.push(s);
    return s;
  };

  beforeAll(async () => {
    d = await startDaemon(['--model', MODEL_V1, '--flush-interval', '100']);
    const sample = await sampleRecords(500);
    records = project(sample.records, await featuresOf(d, 'flights-delay'));
    joinKeys = sample.flightIds;
  });
  afterAll(async () => {
    for (const s of sockets) s.ws.terminate();
    await d?.stop();
    d?.cleanup();
  });

  it('delivers one prediction event per predicted row, with the ids the predict call returned', async () => {
    const s = await open();
    s.send({ type: 'subscribe', events: ['prediction'] });
    await settled(s); // the subscription is in place before we predict
    const returned: string[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await d.client.predict({ model: 'flights-delay', records: records.slice(i * 7, i * 7 + 7), join_keys: joinKeys.slice(i * 7, i * 7 + 7) });
      returned.push(...res.predictions.map((p) => p.id));
    }
    await waitFor(() => predictionIds(s).length >= returned.length, 'all prediction events');
    expect(predictionIds(s)).toEqual(returned);
    const first = s.messages.find((m): m is EventMsg => m.type === 'event')!.data[0] as Record<string, unknown>;
    expect(first).toMatchObject({ model: 'flights-delay', version: 'v1', source: 'served', execution_provider: 'cpu' });
    expect(typeof first.score).toBe('number');
  });

  it('announces a model loaded via POST /v1/models, and filters prediction events by model', async () => {
    const all = await open();
    const onlyV2 = await open();
    const other = await open();
    all.send({ type: 'subscribe', events: ['prediction', 'model'] });
    other.send({ type: 'subscribe', events: ['prediction'], models: ['some-other-model'] });
    await settled(all);
    await settled(other);

    const loaded = await call<ModelInfo>(d, 'POST', '/v1/models', { path: MODEL_V2, make_default: false });
    expect(loaded.status).toBe(200);
    const event = await all.next<EventMsg>((m) => m.type === 'event' && m.event === 'model', 'model event');
    expect(event.data).toEqual([expect.objectContaining({ action: 'loaded', model: expect.objectContaining({ id: loaded.json.id, name: 'flights-delay', version: 'v2', is_default: false }) })]);

    onlyV2.send({ type: 'subscribe', events: ['prediction'], models: [loaded.json.id] });
    await settled(onlyV2);
    const v2Records = project(records, await featuresOf(d, 'flights-delay@v2'));
    const v1 = await d.client.predict({ model: 'flights-delay@v1', records: records.slice(0, 3) });
    const v2 = await d.client.predict({ model: 'flights-delay@v2', records: v2Records.slice(0, 4) });
    await Promise.all([settled(all), settled(onlyV2), settled(other)]);
    expect(predictionIds(all)).toEqual([...v1.predictions, ...v2.predictions].map((p) => p.id));
    expect(predictionIds(onlyV2)).toEqual(v2.predictions.map((p) => p.id));
    expect(predictionIds(other)).toEqual([]);

    // Unsubscribing stops the flow.
    all.send({ type: 'unsubscribe', events: ['prediction'] });
    await settled(all);
    await d.client.predict({ model: 'flights-delay@v1', records: records.slice(0, 2) });
    await settled(all);
    expect(predictionIds(all)).toHaveLength(7);
  });

  it('answers an invalid message with a typed error and keeps the socket usable', async () => {
    const s = await open();
    const cases: [unknown, string, (string | number)[] | undefined][] = [
      ['this is not json', 'bad_json', undefined],
      [{ type: 'launch' }, 'invalid_request', ['type']],
      [{ type: 'subscribe', events: ['gossip'] }, 'invalid_request', ['events', 0]],
      [{ type: 'subscribe', events: [] }, 'invalid_request', ['events']],
      [{ type: 'query', id: 'one', method: 'health' }, 'invalid_request', ['id']],
      [[1, 2, 3], 'invalid_request', undefined],
    ];
    for (const [msg, code, path] of cases) {
      const from = s.messages.length;
      s.send(msg);
      const err = await s.next<Extract<ServerMessage, { type: 'error' }>>((m) => m.type === 'error', `error for ${JSON.stringify(msg)}`, from);
      expect(err.error.code, JSON.stringify(msg)).toBe(code);
      expect(err.error.message.length).toBeGreaterThan(5);
      if (path) expect(err.error.path).toEqual(path);
      await settled(s);
    }
    // A binary frame is not part of the protocol.
    const from = s.messages.length;
    s.ws.send(Buffer.from([1, 2, 3]), { binary: true });
    expect(await s.next((m) => m.type === 'error', 'binary error', from)).toMatchObject({ error: { code: 'bad_json' } });
    // A client speaking a newer protocol is told so.
    const from2 = s.messages.length;
    s.send({ type: 'hello', protocol: 99 });
    expect(await s.next((m) => m.type === 'error', 'hello error', from2)).toMatchObject({ error: { code: 'unsupported' } });
    // Still usable: a subscription made now works.
    s.send({ type: 'subscribe', events: ['prediction'] });
    await settled(s);
    const res = await d.client.predict({ model: 'flights-delay@v1', records: records.slice(0, 1) });
    await waitFor(() => predictionIds(s).includes(res.predictions[0]!.id), 'event after errors');
    expect(s.ws.readyState).toBe(s.ws.OPEN);
  });

  it('answers queries: models and health; an unknown method gets an error response', async () => {
    const s = await open();
    s.send({ type: 'query', id: 1, method: 'models' });
    s.send({ type: 'query', id: 2, method: 'health' });
    s.send({ type: 'query', id: 3, method: 'drop_tables' });
    const models = await s.next<Extract<ServerMessage, { type: 'response' }>>((m) => m.type === 'response' && m.id === 1, 'models');
    expect((models.result as { models: ModelInfo[] }).models.map((m) => m.version).sort()).toEqual(['v1', 'v2']);
    const health = await s.next<Extract<ServerMessage, { type: 'response' }>>((m) => m.type === 'response' && m.id === 2, 'health');
    expect(health.result).toMatchObject({ status: 'ok', pid: d.info.pid, protocol: 1 });
    const unknown = await s.next<Extract<ServerMessage, { type: 'response' }>>((m) => m.type === 'response' && m.id === 3, 'unknown');
    expect(unknown.result).toBeUndefined();
    expect(unknown.error).toMatchObject({ code: 'not_found', message: expect.stringContaining('drop_tables') });
  });

  it('a subscriber that stops reading costs bounded memory, and is told how many events it missed', async () => {
    const REQUESTS = 200;
    const ROWS = 500;
    const rows = records.slice(0, ROWS);
    expect(rows).toHaveLength(ROWS);
    // Only the two sockets of this test from here on.
    for (const s of sockets.splice(0)) await s.close();
    await waitFor(async () => (await d.client.health()).stream!.subscribers === 0, 'earlier sockets closed');
    // A healthy subscriber next to the slow one.
    const healthy = await open();
    healthy.send({ type: 'subscribe', events: ['prediction'] });
    await settled(healthy);
    const slow = await open();
    slow.send({ type: 'subscribe', events: ['prediction'] });
    await settled(slow);
    const before = predictionIds(slow).length;
    const healthyBefore = predictionIds(healthy).length;
    (slow.ws as unknown as { _socket: import('node:net').Socket })._socket.pause();

    // Warm up (first large request allocates), then measure from there.
    await d.client.predict({ model: 'flights-delay@v1', records: rows });
    const pid = d.info.pid;
    const rssStart = rssBytes(pid);
    let rssMax = rssStart;
    let queuedMax = 0;
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < REQUESTS) {
        next++;
        const res = await d.client.predict({ model: 'flights-delay@v1', records: rows });
        expect(res.predictions).toHaveLength(ROWS);
        rssMax = Math.max(rssMax, rssBytes(pid));
        if (next % 10 === 0) queuedMax = Math.max(queuedMax, (await d.client.health()).stream!.queued_events);
      }
    };
    await Promise.all([worker(), worker(), worker(), worker()]);
    // Still answering while a subscriber is stalled.
    const health = await d.client.health();
    expect(health.status).toBe('ok');
    rssMax = Math.max(rssMax, rssBytes(pid));
    const growthMb = (rssMax - rssStart) / 2 ** 20;
    console.log(`slow subscriber: daemon RSS ${(rssStart / 2 ** 20).toFixed(0)} MB → max ${(rssMax / 2 ** 20).toFixed(0)} MB (+${growthMb.toFixed(0)} MB) over ${REQUESTS}×${ROWS} rows; queued ≤ ${queuedMax}, dropped ${health.stream!.dropped_events}`);
    // The hub holds a bounded number of events for a stalled subscriber (not the ~100 000
    // published), and drops the rest.
    expect(queuedMax).toBeLessThanOrEqual(5000);
    expect(health.stream!.queued_events).toBeLessThanOrEqual(5000);
    expect(health.stream!.dropped_events).toBeGreaterThan(0);
    // RSS: normal operation (logging 100 000 rows, parsing 100 MB of requests) grows by ~100 MB
    // here; keeping every event for the stalled socket would add several hundred MB more.
    expect(growthMb).toBeLessThan(250);

    const total = (REQUESTS + 1) * ROWS;
    // The healthy subscriber got every event, undisturbed by the stalled one.
    await waitFor(() => predictionIds(healthy).length - healthyBefore >= total, 'healthy subscriber receives everything', 60_000);
    expect(predictionIds(healthy).length - healthyBefore).toBe(total);

    // The slow one resumes: it gets a `dropped` notice, and every event is either delivered or counted.
    (slow.ws as unknown as { _socket: import('node:net').Socket })._socket.resume();
    const dropped = (): number => slow.messages.filter((m): m is Extract<ServerMessage, { type: 'dropped' }> => m.type === 'dropped').reduce((a, m) => a + m.count, 0);
    await waitFor(() => dropped() > 0 && predictionIds(slow).length - before + dropped() >= total, 'dropped notice and full accounting', 60_000);
    console.log(`slow subscriber: ${predictionIds(slow).length - before} events delivered, ${dropped()} dropped`);
    expect(dropped()).toBeGreaterThan(0);
    expect(predictionIds(slow).length - before + dropped()).toBe(total);
    // What the subscriber was told matches the daemon's own count.
    const after = await d.client.health();
    expect(after.stream!.dropped_events).toBe(dropped());
    expect(after.stream!.queued_events).toBe(0);
    // Coalesced frames carry several payloads; the socket is usable again.
    await settled(slow);
    expect((await d.client.health()).status).toBe('ok');
  });
});
