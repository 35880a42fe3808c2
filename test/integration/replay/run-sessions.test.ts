/**
 * Replay and evaluation sessions make their first calls on placeholder rows at the batch size
 * while the traffic is read (replay/score.ts `warmUp`). That is only about speed: afterwards the
 * sample model's scores must be bit for bit those of a fresh serving session, batch after batch,
 * on real sample rows.
 */
import { DuckDBInstance } from '@duckdb/node-api';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, test } from 'vitest';
import { openSession } from '../../../daemon/runtime/session';
import { openRunRegistry, outputPlan } from '../../../daemon/replay/models';
import { warmUp } from '../../../daemon/replay/score';
import { literal } from '../../../daemon/store/sql';
import { computeFeatures, FEATURE_NAMES, type RawFlight } from '../../../samples/flights/serving/features';

const SAMPLE = path.join(__dirname, '..', '..', '..', 'samples', 'flights');
const TEXT = new Set(['day_of_week', 'origin', 'destination']);

async function sampleColumns(rows: number): Promise<Map<string, (number | string)[]>> {
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  try {
    const raw = (await c.runAndReadAll(`SELECT date, origin, destination, distance FROM read_parquet(${literal(path.join(SAMPLE, 'traffic', 'requests.parquet'))}) ORDER BY flight_id LIMIT ${rows}`)).getRowObjectsJS();
    const cols = new Map<string, (number | string)[]>(FEATURE_NAMES.map((f) => [f, []]));
    for (const r of raw) {
      const f = computeFeatures({ ...(r as unknown as RawFlight), distance: Number(r.distance) });
      for (const name of FEATURE_NAMES) cols.get(name)!.push(f[name]);
    }
    return cols;
  } finally {
    c.closeSync();
    db.closeSync();
  }
}

describe('warmed-up run sessions score like serving sessions', () => {
  test('the sample model, three batches of real rows after a warm-up at the batch size: identical probabilities', async () => {
    const cols = await sampleColumns(3000);
    const file = path.join(SAMPLE, 'models', 'flights-delay-v2.onnx');
    const serving = await openSession(readFileSync(file), { provider: 'cpu', intraOpThreads: 1 });
    const registry = openRunRegistry({ provider: 'cpu', intraOpThreads: 1 });
    try {
      const model = await registry.load(file);
      await warmUp([{ model, plan: outputPlan(model), prefix: 'c' }], 1000);
      for (let off = 0; off < 3000; off += 1000) {
        const feeds = Object.fromEntries(FEATURE_NAMES.map((f) => {
          const col = cols.get(f)!.slice(off, off + 1000);
          return [f, TEXT.has(f) ? new ort.Tensor('string', col as string[], [1000, 1]) : new ort.Tensor('float32', Float32Array.from(col as number[]), [1000, 1])];
        }));
        const a = (await serving.session.run(feeds)).probability!.data as Float32Array;
        const b = (await model.opened.session.run(feeds)).probability!.data as Float32Array;
        expect(b.length).toBe(1000);
        expect(Buffer.from(b.buffer, b.byteOffset, b.byteLength).equals(Buffer.from(a.buffer, a.byteOffset, a.byteLength))).toBe(true);
        // Real probabilities, not a constant output of a broken session.
        expect(new Set(a).size).toBeGreaterThan(50);
      }
    } finally {
      await serving.session.release();
      await registry.close();
    }
  });

  // warmUp (score.ts): the sessions' first calls on placeholder rows while the traffic is read.
  test('warming up calls each model on placeholders, counts no predictions, and never fails the run', async () => {
    const registry = openRunRegistry({ provider: 'cpu', intraOpThreads: 1 });
    try {
      const loaded = await Promise.all(['v1', 'v2'].map((v) => registry.load(path.join(SAMPLE, 'models', `flights-delay-${v}.onnx`))));
      const models = loaded.map((model, i) => ({ model, plan: outputPlan(model), prefix: (i ? 'c' : 'b') as 'b' | 'c' }));
      await expect(warmUp(models, 4096)).resolves.toBeUndefined();
      for (const m of loaded) expect([m.batches, m.predictions]).toEqual([0, 0]);
      // Placeholders a model cannot take (here: a session already released) leave it cold, quietly.
      await registry.close();
      await expect(warmUp(models, 4096)).resolves.toBeUndefined();
    } finally {
      await registry.close();
    }
  });
});
