import * as ort from 'onnxruntime-node';
import { readFileSync, statSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MODEL_V1, MODEL_V2, startDaemon, type RunningDaemon } from '../../helpers/daemon';
import { FEATURES, queryTrace, sampleRecords } from '../../helpers/sample';

describe('daemon: predict and log (real daemon, real ORT, real DuckDB)', () => {
  let d: RunningDaemon;
  beforeAll(async () => {
    d = await startDaemon(['--model', MODEL_V1, MODEL_V2, '--flush-interval', '50']);
  });
  afterAll(async () => {
    await d?.stop();
    d?.cleanup();
  });

  it('writes daemon.json readable only by the user, with the port it listens on', () => {
    const mode = statSync(`${d.home}/daemon.json`).mode & 0o777;
    expect(mode).toBe(0o600);
    expect(d.info.port).toBeGreaterThan(0);
    expect(d.stdout()).toContain(`listening on http://127.0.0.1:${d.info.port}`);
  });

  it('lists both models with their hash, signature and the provider that ran', async () => {
    const { models } = await d.client.models();
    expect(models.map((m) => `${m.name}@${m.version}`).sort()).toEqual(['flights-delay@v1', 'flights-delay@v2']);
    for (const m of models) {
      expect(m.id).toMatch(/^[0-9a-f]{64}$/);
      expect(m.execution_provider).toBe('cpu');
      expect(m.inputs.map((i) => i.name).sort()).toEqual([...FEATURES].sort());
    }
    expect(models.find((m) => m.version === 'v2')!.is_default).toBe(true);
  });

  it('returns the same probabilities as onnxruntime-node run directly, and logs every row', async () => {
    const { records, flightIds } = await sampleRecords(200);
    const res = await d.client.predict({ model: 'flights-delay@v1', records, join_keys: flightIds, request_id: 'req-1' });
    expect(res.predictions).toHaveLength(200);
    expect(res.execution_provider).toBe('cpu');

    const session = await ort.InferenceSession.create(readFileSync(MODEL_V1));
    const feeds: Record<string, ort.Tensor> = {};
    for (const input of session.inputMetadata) {
      const col = records.map((r) => r[input.name]);
      feeds[input.name] = typeof col[0] === 'string'
        ? new ort.Tensor('string', col as string[], [col.length, 1])
        : new ort.Tensor('float32', Float32Array.from(col as number[]), [col.length, 1]);
    }
    const direct = (await session.run(feeds)).probability!.data as Float32Array;
    res.predictions.forEach((p, i) => expect(p.score).toBeCloseTo(direct[i]!, 6));

    await d.client.health();
    await new Promise((r) => setTimeout(r, 300)); // > flush interval
    const health = await d.client.health();
    expect(health.pending_rows).toBe(0);
  });

  it('keeps logged rows with typed feature columns after a clean stop', async () => {
    const code = await d.stop();
    expect(code).toBe(0);
    const cols = await queryTrace<{ feature: string; kind: string; column_name: string }>(d.trace, 'SELECT * FROM feature_columns');
    const byName = Object.fromEntries(cols.map((c) => [c.feature, c.column_name]));
    const types = await queryTrace<{ name: string; type: string }>(d.trace, "SELECT name, type FROM pragma_table_info('predictions')");
    const typeOf = Object.fromEntries(types.map((t) => [t.name, t.type]));
    expect(typeOf[byName.distance!]).toBe('DOUBLE');
    expect(typeOf[byName.origin!]).toBe('VARCHAR');
    const rows = await queryTrace<Record<string, unknown>>(
      d.trace,
      `SELECT count(*)::INT AS n, count(DISTINCT id)::INT AS ids, min(request_id) AS req, min(source) AS src,
              min(execution_provider) AS ep, count(join_key)::INT AS keys, min(model_version) AS v
         FROM predictions`,
    );
    expect(rows[0]).toMatchObject({ n: 200, ids: 200, req: 'req-1', src: 'served', ep: 'cpu', keys: 200, v: 'v1' });
    const { records, flightIds } = await sampleRecords(3);
    const logged = await queryTrace<Record<string, unknown>>(
      d.trace,
      `SELECT join_key, "${byName.distance}" AS distance, "${byName.origin}" AS origin FROM predictions ORDER BY md5(join_key) LIMIT 3`,
    );
    expect(logged.map((r) => r.join_key)).toEqual(flightIds);
    expect(logged.map((r) => r.distance)).toEqual(records.map((r) => r.distance));
    expect(logged.map((r) => r.origin)).toEqual(records.map((r) => r.origin));
  });
});
