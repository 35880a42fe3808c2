import * as ort from 'onnxruntime-node';
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import type { FeatureRecord, ModelInfo, PredictResponse } from '../../../protocol';
import { MODEL_V1, MODEL_V2, startDaemon, type RunningDaemon } from '../../helpers/daemon';
import { queryTrace, sampleRecords } from '../../helpers/sample';
import { call, featuresOf, project, waitFor } from '../../helpers/wire';

/** The model's probabilities computed by onnxruntime-node directly (no daemon). */
async function directScores(modelPath: string, records: FeatureRecord[]): Promise<number[]> {
  const session = await ort.InferenceSession.create(readFileSync(modelPath));
  try {
    const feeds: Record<string, ort.Tensor> = {};
    for (const input of session.inputMetadata) {
      const col = records.map((r) => r[input.name]);
      const type = input.isTensor ? input.type : 'float32';
      feeds[input.name] = type === 'string'
        ? new ort.Tensor('string', col.map(String), [col.length, 1])
        : new ort.Tensor('float32', Float32Array.from(col as number[]), [col.length, 1]);
    }
    return Array.from((await session.run(feeds)).probability!.data as Float32Array);
  } finally {
    await session.release();
  }
}

async function modelInfo(d: RunningDaemon, ref: string): Promise<ModelInfo> {
  const { models } = await d.client.models();
  const m = models.find((x) => `${x.name}@${x.version}` === ref);
  if (!m) throw new Error(`${ref} not loaded`);
  return m;
}

/**
 * Runs `workers` loops of single-record predict calls until `stop()` says so; records each
 * outcome with whether it started after `mark` was set.
 */
function traffic(d: RunningDaemon, model: string, records: FeatureRecord[], workers = 4, opts: { newAttributes?: boolean } = {}) {
  const outcomes: { ok: boolean; version?: string; status: number; afterMark: boolean; error?: string }[] = [];
  let marked = false;
  let stopping = false;
  let i = 0;
  const loop = async (): Promise<void> => {
    while (!stopping) {
      const afterMark = marked;
      const n = i++;
      const rec = records[n % records.length]!;
      // A new attribute name makes the daemon add a column (I/O) between accepting the request
      // and running the model: a wide window for an unload to land in.
      const attributes = opts.newAttributes && n % 2 === 0 ? { attributes: [{ [`tag_${n}`]: 'x' }, { [`tag_${n}`]: 'y' }] } : {};
      const res = await call<PredictResponse>(d, 'POST', '/v1/predict', { model, records: [rec, rec], ...attributes });
      outcomes.push({ ok: res.status === 200, status: res.status, afterMark, ...(res.status === 200 ? { version: res.json.model.version } : { error: res.text }) });
    }
  };
  const running = Promise.all(Array.from({ length: workers }, loop));
  return {
    outcomes,
    mark: () => { marked = true; },
    count: () => outcomes.length,
    stop: async () => { stopping = true; await running; },
  };
}

describe('daemon: micro-batching, hot swap, unload under load, shadow models', () => {
  let d: RunningDaemon | undefined;
  afterEach(async () => {
    await d?.stop();
    d?.cleanup();
    d = undefined;
  });

  it('merges concurrent single-record requests into fewer inference calls, with the same scores as one by one', async () => {
    d = await startDaemon(['--model', MODEL_V1, '--max-batch', '32', '--max-wait', '20']);
    const sample = await sampleRecords(64);
    const records = project(sample.records, await featuresOf(d, 'flights-delay'));
    const b0 = (await modelInfo(d, 'flights-delay@v1')).batches!;
    expect(b0).toBe(0);

    const sequential: number[] = [];
    for (const r of records) sequential.push((await d.client.predict({ model: 'flights-delay', records: [r] })).predictions[0]!.score!);
    const b1 = (await modelInfo(d, 'flights-delay@v1')).batches!;
    expect(b1 - b0).toBe(64); // one inference call per request when they come one at a time

    const parallel = await Promise.all(records.map((r, i) => d!.client.predict({ model: 'flights-delay', records: [r], join_keys: [sample.flightIds[i]!] })));
    const info = await modelInfo(d, 'flights-delay@v1');
    const batches = info.batches! - b1;
    console.log(`64 concurrent single-record requests ran in ${batches} inference calls`);
    expect(batches).toBeGreaterThanOrEqual(2); // --max-batch 32: at least two calls for 64 rows
    expect(batches).toBeLessThan(64);
    expect(info.predictions).toBe(128);
    parallel.forEach((res, i) => {
      expect(res.predictions).toHaveLength(1);
      expect(res.predictions[0]!.score).toBeCloseTo(sequential[i]!, 6);
    });
    // And those are the model's own probabilities.
    const direct = await directScores(MODEL_V1, records);
    sequential.forEach((s, i) => expect(s).toBeCloseTo(direct[i]!, 6));

    // Each caller's rows were logged under its own join key, with its own score.
    expect(await d.stop()).toBe(0);
    const rows = await queryTrace<{ join_key: string; score: number }>(d.trace, 'SELECT join_key, score FROM predictions WHERE join_key IS NOT NULL');
    const byKey = new Map(rows.map((r) => [r.join_key, r.score]));
    expect(byKey.size).toBe(64);
    sample.flightIds.forEach((k, i) => expect(byKey.get(k)).toBeCloseTo(sequential[i]!, 6));
  });

  it('hot-swaps the default version under load with zero failed requests', async () => {
    d = await startDaemon(['--model', MODEL_V1, '--max-wait', '5']);
    const records = project((await sampleRecords(50)).records, await featuresOf(d, 'flights-delay'));
    const t = traffic(d, 'flights-delay', records);
    await waitFor(() => t.count() >= 40, 'traffic on v1');
    const loaded = await call<ModelInfo>(d, 'POST', '/v1/models', { path: MODEL_V2, make_default: true });
    expect(loaded.status).toBe(200);
    expect(loaded.json).toMatchObject({ version: 'v2', is_default: true });
    t.mark();
    const at = t.count();
    await waitFor(() => t.count() >= at + 40, 'traffic after the swap');
    await t.stop();

    const failed = t.outcomes.filter((o) => !o.ok);
    expect(failed, JSON.stringify(failed.slice(0, 3))).toEqual([]);
    expect(t.outcomes.slice(0, 40).every((o) => o.version === 'v1')).toBe(true);
    const after = t.outcomes.filter((o) => o.afterMark);
    expect(after.length).toBeGreaterThanOrEqual(40);
    expect(after.every((o) => o.version === 'v2')).toBe(true);
    expect((await modelInfo(d, 'flights-delay@v1')).is_default).toBe(false);
  });

  it('unloads the serving version under load: nothing accepted fails, traffic moves to the remaining version', async () => {
    // v2 first, then v1: v1 becomes the default and takes the traffic.
    d = await startDaemon(['--model', MODEL_V2, MODEL_V1, '--max-wait', '10', '--max-batch', '64']);
    expect((await modelInfo(d, 'flights-delay@v1')).is_default).toBe(true);
    const records = project((await sampleRecords(50)).records, await featuresOf(d, 'flights-delay'));
    const t = traffic(d, 'flights-delay', records, 8, { newAttributes: true });
    await waitFor(() => t.count() >= 40, 'traffic on v1');
    const unloaded = await call(d, 'DELETE', '/v1/models/flights-delay@v1');
    expect(unloaded.status).toBe(200);
    t.mark();
    const at = t.count();
    await waitFor(() => t.count() >= at + 40, 'traffic after the unload');
    await t.stop();

    const failed = t.outcomes.filter((o) => !o.ok);
    expect(failed, JSON.stringify(failed.slice(0, 3))).toEqual([]);
    const after = t.outcomes.filter((o) => o.afterMark);
    expect(after.every((o) => o.version === 'v2')).toBe(true);
    expect(t.outcomes.filter((o) => o.version === 'v1').length).toBeGreaterThanOrEqual(40);
    // The unloaded version is gone for good.
    const gone = await call(d, 'POST', '/v1/predict', { model: 'flights-delay@v1', records: [records[0]] });
    expect(gone.status).toBe(404);
    expect(gone.json.error.code).toBe('unknown_model');
    expect((await d.client.models()).models.map((m) => m.version)).toEqual(['v2']);
  });

  it('runs a shadow on the same rows: callers get the primary\'s scores, the trace gets both', async () => {
    d = await startDaemon(['--model', MODEL_V1, '--shadow', `${MODEL_V2}=flights-delay`, '--flush-interval', '50']);
    const v1 = await modelInfo(d, 'flights-delay@v1');
    const v2 = await modelInfo(d, 'flights-delay@v2');
    expect(v1.is_default).toBe(true);
    expect(v2).toMatchObject({ is_default: false, shadow_of: 'flights-delay' });

    const sample = await sampleRecords(60);
    const records = project(sample.records, await featuresOf(d, 'flights-delay'));
    const res = await d.client.predict({ model: 'flights-delay', records, join_keys: sample.flightIds, request_id: 'shadowed' });
    expect(res.model.version).toBe('v1');
    expect(res.shadow).toEqual({ model: 'flights-delay@v2', execution_provider: 'cpu' });
    const [direct1, direct2] = await Promise.all([directScores(MODEL_V1, records), directScores(MODEL_V2, project(sample.records, v2.card.features.map((f) => f.name)))]);
    res.predictions.forEach((p, i) => expect(p.score).toBeCloseTo(direct1[i]!, 6));
    expect(direct1.some((s, i) => Math.abs(s - direct2[i]!) > 1e-4), 'v1 and v2 score differently').toBe(true);

    // Calling the shadow's version directly does not shadow it with itself.
    const self = await d.client.predict({ model: 'flights-delay@v2', records: records.slice(0, 2), request_id: 'direct-v2' });
    expect(self.shadow).toBeUndefined();

    const client = d.client;
    await waitFor(async () => (await client.health()).predictions_logged >= 122, 'shadow rows committed');
    expect(await d.stop()).toBe(0);
    const rows = await queryTrace<{ join_key: string; source: string; model_version: string; score: number; request_id: string }>(
      d.trace, `SELECT join_key, source, model_version, score, request_id FROM predictions ORDER BY request_id, source, join_key`);
    const served = rows.filter((r) => r.request_id === 'shadowed' && r.source === 'served');
    const shadow = rows.filter((r) => r.request_id === 'shadowed' && r.source === 'shadow');
    expect(served).toHaveLength(60);
    expect(shadow).toHaveLength(60);
    expect(served.every((r) => r.model_version === 'v1')).toBe(true);
    expect(shadow.every((r) => r.model_version === 'v2')).toBe(true);
    expect(shadow.map((r) => r.join_key)).toEqual(served.map((r) => r.join_key));
    const index = new Map(sample.flightIds.map((k, i) => [k, i]));
    for (const r of shadow) expect(r.score).toBeCloseTo(direct2[index.get(r.join_key)!]!, 6);
    for (const r of served) expect(r.score).toBeCloseTo(direct1[index.get(r.join_key)!]!, 6);
    expect(rows.filter((r) => r.request_id === 'direct-v2').map((r) => r.source)).toEqual(['served', 'served']);
  });

  it('keeps the shadow rows of an answered request when the daemon stops right after answering', async () => {
    // --max-wait 20: the shadow's rows come well after the caller's answer.
    d = await startDaemon(['--model', MODEL_V1, '--shadow', `${MODEL_V2}=flights-delay`, '--max-wait', '20']);
    const sample = await sampleRecords(20);
    const records = project(sample.records, await featuresOf(d, 'flights-delay'));
    const res = await d.client.predict({ model: 'flights-delay', records, join_keys: sample.flightIds });
    expect(res.shadow).toBeDefined();
    expect(await d.stop()).toBe(0);
    const rows = await queryTrace<{ source: string; n: number; keys: number }>(d.trace, 'SELECT source, count(*)::INT AS n, count(DISTINCT join_key)::INT AS keys FROM predictions GROUP BY ALL ORDER BY 1');
    expect(rows).toEqual([{ source: 'served', n: 20, keys: 20 }, { source: 'shadow', n: 20, keys: 20 }]);
  });
});
