import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { servedBatch } from '../../../daemon/serving/predictor';
import { batchIdText, constant, newBatch, perRow, type PredictionBatch } from '../../../daemon/store/prediction-batch';
import { PredictionWriter } from '../../../daemon/store/prediction-writer';
import { TraceStore } from '../../../daemon/store/trace-store';
import { CHUNK_ROWS as CHUNK } from '../../../daemon/store/vector-fill';

/**
 * The columnar writer against a real DuckDB file: every value it copies into vectors by hand
 * (UUIDs, times, numbers with NULLs, inlined and out-of-line UTF-8 strings, per-request constants)
 * reads back exactly, across chunk boundaries and reused chunks.
 */
describe('prediction writer (columnar batches)', () => {
  let dir: string;
  let store: TraceStore;
  let writer: PredictionWriter;
  let num: string;
  let cat: string;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'sightline-writer-'));
    store = await TraceStore.open(path.join(dir, 't.duckdb'));
    await store.ensureFeatureColumns([{ name: 'x', kind: 'numeric' }, { name: 'c', kind: 'categorical' }]);
    num = store.featureColumn('x', 'numeric')!.column;
    cat = store.featureColumn('c', 'categorical')!.column;
    writer = new PredictionWriter(store, { flushIntervalMs: 50, maxPendingRows: 100_000 });
  });

  afterAll(async () => {
    await writer.close();
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const texts = ['', 'a', 'twelve bytes', 'thirteen byte', 'é', 'ünïcödé text longer than twelve', '日本語のテキスト', '🙂 emoji', 'x'.repeat(5000), '{"probability":[0.7512345314025879,0.2487654685974121],"label":0}'];

  it('stores every kind of value exactly, with NULLs, across chunks', async () => {
    const n = 5000; // three chunks, the last partial
    const xs: (number | null)[] = Array.from({ length: n }, (_, i) => (i % 7 === 3 ? null : i * 0.5 - 100));
    const cs: (string | null)[] = Array.from({ length: n }, (_, i) => (i % 11 === 5 ? null : texts[i % texts.length]!));
    const outputs = Array.from({ length: n }, (_, i) => (i % 13 === 0 ? null : `{"i":${i}}`));
    const times = new BigInt64Array(n);
    for (let i = 0; i < n; i++) times[i] = 1_700_000_000_000_000n + BigInt(i) * 1000n;
    const batch = newBatch(n, times, new Map([
      ['model_id', constant('m'.repeat(64))],
      ['model_name', constant('model')],
      ['model_version', constant('v1')],
      ['request_id', perRow(Array.from({ length: n }, (_, i) => `request-${Math.floor(i / 8)}-of-a-long-name`))],
      ['source', constant('served')],
      ['execution_provider', constant(null)],
      ['latency_ms', constant(1.5)],
      ['score', perRow(xs)],
      ['label_pred', perRow(cs.map((c) => (c === null ? null : c.slice(0, 3))))],
      ['outputs', perRow(outputs)],
      [num, perRow(xs)],
      [cat, perRow(cs)],
    ]));
    await writer.enqueue([batch], [], { soon: true });
    const ids = Array.from({ length: n }, (_, i) => batchIdText(batch, i));
    const rows = await store.query<Record<string, unknown>>(
      `SELECT id::VARCHAR AS id, epoch_us(time) AS t, model_id, model_name, model_version, request_id, source, execution_provider, latency_ms, score, label_pred, outputs, ${num} AS x, ${cat} AS c, join_key, raw, chaos
       FROM predictions WHERE model_name = 'model' ORDER BY id`,
    );
    expect(rows.length).toBe(n);
    rows.forEach((r, i) => {
      expect(r.id).toBe(ids[i]);
      expect(Number(r.t)).toBe(1_700_000_000_000_000 + i * 1000);
      expect(r.model_id).toBe('m'.repeat(64));
      expect(r.model_version).toBe('v1');
      expect(r.request_id).toBe(`request-${Math.floor(i / 8)}-of-a-long-name`);
      expect(r.source).toBe('served');
      expect(r.execution_provider).toBeNull();
      expect(r.latency_ms).toBe(1.5);
      expect(r.score).toBe(xs[i]);
      expect(r.x).toBe(xs[i]);
      expect(r.c).toBe(cs[i]);
      expect(r.label_pred).toBe(cs[i] === null ? null : cs[i]!.slice(0, 3));
      expect(r.outputs).toBe(outputs[i]);
      expect(r.join_key).toBeNull();
      expect(r.raw).toBeNull();
      expect(r.chaos).toBeNull();
    });
  });

  it('keeps batches in order and constants per batch when many small batches share a chunk', async () => {
    const batches: PredictionBatch[] = [];
    for (let b = 0; b < 700; b++) {
      batches.push(newBatch(3, BigInt(b), new Map([
        ['model_id', constant(b % 2 ? 'odd-model-with-a-long-id' : 'even')],
        ['model_name', constant('many')],
        ['model_version', constant(`v${b % 3}`)],
        ['request_id', constant(`r${b}`)],
        ['source', constant('served')],
        ['latency_ms', constant(b)],
        ['score', perRow([b, null, -b])],
        [cat, b % 5 === 0 ? constant(null) : perRow(['a', null, `long value number ${b}`])],
      ])));
    }
    await writer.enqueue(batches, [], { soon: true });
    const rows = await store.query<{ model_id: string; model_version: string; request_id: string; latency_ms: number; score: number | null; c: string | null; t: number }>(
      `SELECT model_id, model_version, request_id, latency_ms, score, ${cat} AS c, epoch_us(time) AS t FROM predictions WHERE model_name = 'many' ORDER BY id`,
    );
    expect(rows.length).toBe(2100);
    rows.forEach((r, i) => {
      const b = Math.floor(i / 3);
      const k = i % 3;
      expect(r.model_id).toBe(b % 2 ? 'odd-model-with-a-long-id' : 'even');
      expect(r.model_version).toBe(`v${b % 3}`);
      expect(r.request_id).toBe(`r${b}`);
      expect(r.latency_ms).toBe(b);
      expect(Number(r.t)).toBe(b);
      expect(r.score).toBe([b, null, -b][k] ?? null);
      expect(r.c).toBe(b % 5 === 0 ? null : ['a', null, `long value number ${b}`][k]);
    });
  });

  it('a reused chunk forgets the NULLs of the previous chunk and flush', async () => {
    const mk = (name: string, nulls: boolean): PredictionBatch => newBatch(CHUNK, 7n, new Map([
      ['model_id', constant('m')], ['model_name', constant(name)], ['model_version', constant('v')], ['source', constant('served')],
      ['score', nulls ? constant(null) : constant(0.5)],
      ['label_pred', perRow(Array.from({ length: CHUNK }, (_, i) => (nulls && i % 2 ? null : 'yes')))],
      [cat, nulls ? constant(null) : constant('a long categorical value')],
    ]));
    await writer.enqueue([mk('reuse', true), mk('reuse', false), mk('reuse', true)], [], { soon: true });
    await writer.enqueue([mk('reuse2', false)], [], { soon: true });
    const r = await store.query<{ model_name: string; n: number; scores: number; cats: number; labels: number }>(
      `SELECT model_name, count(*)::INT AS n, count(score)::INT AS scores, count(${cat})::INT AS cats, count(label_pred)::INT AS labels FROM predictions WHERE model_name LIKE 'reuse%' GROUP BY ALL ORDER BY 1`,
    );
    expect(r).toEqual([
      { model_name: 'reuse', n: 3 * CHUNK, scores: CHUNK, cats: CHUNK, labels: CHUNK + CHUNK },
      { model_name: 'reuse2', n: CHUNK, scores: CHUNK, cats: CHUNK, labels: CHUNK },
    ]);
  });

  it('builds served batches as the predictor logs them (constants once, outputs JSON, attributes, times)', async () => {
    const batch = servedBatch({
      model: { id: 'h'.repeat(64), name: 'served-model', version: 'v2', provider: 'cpu' },
      featureColumns: [num, cat],
      attributeColumn: () => undefined,
      source: 'served',
      requestId: 'req-1',
      latencyMs: 2.25,
      results: [{ outputs: { probability: [0.75, 0.25], label: 0 }, score: 0.25, label: 0 }, { outputs: { value: 3 }, score: null, label: null }],
      values: [[1, 2], ['ORD', 'ATL']],
      recordAttributes: null,
      attributes: null,
      joinKeys: ['k1', 'k2'],
      raw: [{ x: 1, c: 'ORD' }, { x: 2, c: 'ATL' }],
      times: ['2024-01-01T00:00:00Z', '2024-01-02T00:00:00'],
    });
    await writer.enqueue([batch], [], { soon: true });
    const rows = await store.query<Record<string, unknown>>(
      `SELECT id::VARCHAR AS id, strftime(time AT TIME ZONE 'UTC', '%Y-%m-%d') AS d, request_id, join_key, execution_provider, latency_ms, score, label_pred, outputs, raw, ${num} AS x, ${cat} AS c FROM predictions WHERE model_name = 'served-model' ORDER BY id`,
    );
    expect(rows).toEqual([
      { id: batchIdText(batch, 0), d: '2024-01-01', request_id: 'req-1', join_key: 'k1', execution_provider: 'cpu', latency_ms: 2.25, score: 0.25, label_pred: '0', outputs: '{"probability":[0.75,0.25],"label":0}', raw: '{"x":1,"c":"ORD"}', x: 1, c: 'ORD' },
      { id: batchIdText(batch, 1), d: '2024-01-02', request_id: 'req-1', join_key: 'k2', execution_provider: 'cpu', latency_ms: 2.25, score: null, label_pred: null, outputs: '{"value":3}', raw: '{"x":2,"c":"ATL"}', x: 2, c: 'ATL' },
    ]);
  });

  it('a batch that cannot be stored fails its commit and spills to <trace>.unwritten.jsonl after 3 tries, without partial rows', async () => {
    const w = new PredictionWriter(store, { flushIntervalMs: 10, maxPendingRows: 100_000 });
    // model_id is NOT NULL: DuckDB refuses the batch at commit.
    const bad = newBatch(2, 5n, new Map([['model_name', constant('bad')], ['model_version', constant('v')], ['source', constant('served')]]));
    await expect(w.enqueue([bad], [], { soon: true })).rejects.toThrow();
    for (let i = 0; i < 20 && w.pendingRows > 0; i++) await new Promise((r) => setTimeout(r, 30));
    expect(w.pendingRows).toBe(0);
    const lines = readFileSync(`${store.path}.unwritten.jsonl`, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { table: string; row: Record<string, unknown> });
    expect(lines.map((l) => l.row.id)).toEqual([batchIdText(bad, 0), batchIdText(bad, 1)]);
    expect(lines[0]!.row.model_name).toBe('bad');
    const n = await store.query<{ n: number }>(`SELECT count(*)::INT AS n FROM predictions WHERE model_name = 'bad'`);
    expect(n[0]!.n).toBe(0);
    await w.close();
  });
});
