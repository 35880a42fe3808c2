import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ChaosInjector, chaosFromOptions, loadChaosConfig, parseChaosSpec } from '../../../daemon/chaos';
import { SightlineError } from '../../../protocol';
import type { LoadedModel, RowOutput } from '../../../daemon/runtime/registry';
import type { ConvertedBatch } from '../../../daemon/runtime/tensors';
import { batchValue, newBatch, type PredictionBatch } from '../../../daemon/store/prediction-batch';

/** The chaos spec grammar and the injector's semantics, in-process (no daemon). */

/** Just enough of a loaded model for the injector: a binary classifier with one numeric and one categorical feature. */
function fakeModel(name = 'm', version = 'v1', task = 'binary_classification'): LoadedModel {
  return {
    id: 'ab'.repeat(32), name, version, ref: `${name}@${version}`,
    card: { name, version, task, features: [], outputs: { probability: 'probability', label: 'label' }, slice_attributes: [], threshold: 0.5 },
    layout: {
      mode: 'per_feature',
      features: [{ name: 'distance', kind: 'numeric' }, { name: 'origin', kind: 'categorical' }],
      slots: [{ name: 'distance', type: 'float32', rank: 2 }, { name: 'origin', type: 'string', rank: 2 }],
      sliceAttributes: [],
    },
  } as unknown as LoadedModel;
}

function batch(n: number): ConvertedBatch {
  return { rows: n, values: [Array.from({ length: n }, (_, i) => 100 + i), Array.from({ length: n }, () => 'ORD')], attributes: Array.from({ length: n }, () => ({})) };
}

function results(n: number, score = 0.2): RowOutput[] {
  return Array.from({ length: n }, () => ({ outputs: { probability: [1 - score, score], label: score >= 0.5 ? 1 : 0 }, score, label: score >= 0.5 ? 1 : 0 }));
}

function rows(n: number): PredictionBatch {
  return newBatch(n, 0n);
}

/** The `chaos` column of each logged row (null: unmarked). */
function chaosOf(logged: PredictionBatch): (string | number | null)[] {
  return Array.from({ length: logged.rows }, (_, i) => batchValue(logged, 'chaos', i));
}

describe('chaos specs', () => {
  it('parses every fault kind, shares as fractions or percentages, and a model scope', () => {
    expect(parseChaosSpec('latency=50ms@0.1')).toEqual({ fault: 'latency', ms: 50, share: 0.1 });
    expect(parseChaosSpec('latency=1.5s')).toEqual({ fault: 'latency', ms: 1500, share: 1 });
    expect(parseChaosSpec('latency=20-200ms@50%')).toEqual({ fault: 'latency', ms: 20, max_ms: 200, share: 0.5 });
    expect(parseChaosSpec('drop@0.05')).toEqual({ fault: 'drop', share: 0.05 });
    expect(parseChaosSpec('flip@30%')).toEqual({ fault: 'flip', share: 0.3 });
    expect(parseChaosSpec('noise=0.1@0.5')).toEqual({ fault: 'noise', sigma: 0.1, share: 0.5 });
    expect(parseChaosSpec('shift:distance=+500@0.2')).toEqual({ fault: 'shift', feature: 'distance', op: 'add', value: 500, share: 0.2 });
    expect(parseChaosSpec('shift:distance=-500')).toEqual({ fault: 'shift', feature: 'distance', op: 'add', value: -500, share: 1 });
    expect(parseChaosSpec('shift:distance=*1.5@1.0')).toEqual({ fault: 'shift', feature: 'distance', op: 'mul', value: 1.5, share: 1 });
    expect(parseChaosSpec('shift:origin=ORD@0.1')).toEqual({ fault: 'shift', feature: 'origin', op: 'set', value: 'ORD', share: 0.1 });
    expect(parseChaosSpec('shift:distance=0')).toEqual({ fault: 'shift', feature: 'distance', op: 'set', value: 0, share: 1 });
    expect(parseChaosSpec('flip@0.3,model=flights-delay@v1')).toEqual({ fault: 'flip', share: 0.3, model: 'flights-delay@v1' });
  });

  it('refuses malformed specs with invalid_request and an example', () => {
    for (const bad of ['flip@1.5', 'flip@-0.1', 'flip@x', 'boom', 'latency', 'latency=soon', 'noise=big', 'noise=-1', 'drop=3', 'shift:distance', 'shift:=3', 'shift:distance=*x', 'latency=200-20ms', '']) {
      let err: unknown;
      try {
        parseChaosSpec(bad);
      } catch (e) {
        err = e;
      }
      expect(err, bad).toBeInstanceOf(SightlineError);
      expect((err as SightlineError).code).toBe('invalid_request');
      expect((err as SightlineError).message).toContain('Examples:');
    }
  });

  it('reads a JSON chaos file: strings, objects and a seed', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sightline-chaosfile-'));
    try {
      const file = path.join(dir, 'faults.json');
      writeFileSync(file, JSON.stringify({ seed: 9, faults: ['flip@0.3', { fault: 'shift', feature: 'distance', op: 'mul', value: 2, share: 0.5 }] }));
      expect(loadChaosConfig([file])).toEqual({ seed: 9, faults: [{ fault: 'flip', share: 0.3 }, { fault: 'shift', feature: 'distance', op: 'mul', value: 2, share: 0.5 }] });
      expect(chaosFromOptions([file], undefined)!.seed).toBe(9);
      expect(chaosFromOptions([file], '3')!.seed).toBe(3);
      writeFileSync(file, JSON.stringify([{ fault: 'shift', feature: 'distance', op: 'mul', value: 'two' }]));
      expect(() => loadChaosConfig([file])).toThrow(/fault 0/);
      writeFileSync(file, '{not json');
      expect(() => loadChaosConfig([file])).toThrow(SightlineError);
      expect(() => chaosFromOptions([], '3')).toThrow(/needs --chaos/);
      expect(chaosFromOptions([], undefined)).toBeNull();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('chaos injector', () => {
  it('is deterministic for a seed: same requests, same faults', async () => {
    const run = async (seed: number): Promise<string[]> => {
      const chaos = new ChaosInjector([parseChaosSpec('flip@0.3'), parseChaosSpec('shift:distance=*2@0.5'), parseChaosSpec('noise=0.05@0.2')], seed);
      const marks: string[] = [];
      for (let r = 0; r < 20; r++) {
        const req = chaos.begin(fakeModel())!;
        const b = batch(10);
        await req.beforeInference(b);
        const out = results(10);
        req.afterInference(out);
        const logged = rows(10);
        req.mark(logged);
        marks.push(...chaosOf(logged).map((x, i) => `${String(x ?? '-')}|${b.values[0]![i]}|${out[i]!.score!.toFixed(6)}`));
      }
      return marks;
    };
    expect(await run(7)).toEqual(await run(7));
    expect(await run(7)).not.toEqual(await run(8));
  });

  it('hits the declared share of rows, and of requests for drops', async () => {
    const chaos = new ChaosInjector([parseChaosSpec('flip@0.3'), parseChaosSpec('drop@0.1')], 1);
    let flipped = 0;
    let dropped = 0;
    for (let r = 0; r < 2000; r++) {
      let req;
      try {
        req = chaos.begin(fakeModel());
      } catch (e) {
        expect((e as SightlineError).code).toBe('chaos_dropped');
        dropped++;
        continue;
      }
      const out = results(10);
      req!.afterInference(out);
      flipped += out.filter((o) => o.label === 1).length;
    }
    expect(dropped / 2000).toBeGreaterThan(0.08);
    expect(dropped / 2000).toBeLessThan(0.12);
    expect(flipped / ((2000 - dropped) * 10)).toBeGreaterThan(0.28);
    expect(flipped / ((2000 - dropped) * 10)).toBeLessThan(0.32);
    expect(chaos.stats).toMatchObject({ dropped, flipped });
  });

  it('flip: label to the other class, score → 1 − score, outputs follow; noise stays in [0, 1] and moves the label with the threshold', () => {
    const chaos = new ChaosInjector([parseChaosSpec('flip')], 1);
    const out = results(1, 0.2);
    chaos.begin(fakeModel())!.afterInference(out);
    expect(out[0]).toEqual({ outputs: { probability: [0.2, 0.8], label: 1 }, score: 0.8, label: 1 });
    const noisy = new ChaosInjector([parseChaosSpec('noise=5')], 3);
    const many = results(200, 0.5);
    noisy.begin(fakeModel())!.afterInference(many);
    for (const o of many) {
      expect(o.score).toBeGreaterThanOrEqual(0);
      expect(o.score).toBeLessThanOrEqual(1);
      expect(o.label).toBe(o.score! >= 0.5 ? 1 : 0);
      expect((o.outputs.probability as number[])[1]).toBe(o.score);
    }
    // A regression model's value is not "flipped".
    const reg = results(3, 12.5);
    new ChaosInjector([parseChaosSpec('flip')], 1).begin(fakeModel('r', 'v1', 'regression'))!.afterInference(reg.map((r) => ({ ...r, label: null })));
    expect(reg.every((r) => r.score === 12.5)).toBe(true);
  });

  it('shift: +, *, set; only the named feature; only matching models; marks the rows', async () => {
    const b = batch(3);
    const req = new ChaosInjector([parseChaosSpec('shift:distance=+1000'), parseChaosSpec('shift:origin=LAX')], 1).begin(fakeModel())!;
    await req.beforeInference(b);
    expect(b.values).toEqual([[1100, 1101, 1102], ['LAX', 'LAX', 'LAX']]);
    const logged = rows(3);
    req.mark(logged);
    expect(chaosOf(logged)).toEqual(Array(3).fill('shift:distance=+1000;shift:origin=LAX'));
    const scoped = new ChaosInjector([parseChaosSpec('flip,model=other')], 1);
    expect(scoped.begin(fakeModel())).toBeNull();
    expect(() => scoped.check([fakeModel()])).toThrow(/no loaded model matches/);
    expect(() => new ChaosInjector([parseChaosSpec('shift:origin=*2')], 1).check([fakeModel()])).toThrow(/categorical/);
    expect(() => new ChaosInjector([parseChaosSpec('shift:distance=far')], 1).check([fakeModel()])).toThrow(/numeric/);
    expect(() => new ChaosInjector([parseChaosSpec('shift:distance=*2,model=m@v1')], 1).check([fakeModel()])).not.toThrow();
  });

  it('latency waits before inference and marks every row of the request', async () => {
    const req = new ChaosInjector([parseChaosSpec('latency=40ms')], 1).begin(fakeModel())!;
    const t0 = performance.now();
    await req.beforeInference(batch(2));
    expect(performance.now() - t0).toBeGreaterThanOrEqual(35);
    const logged = rows(2);
    req.mark(logged);
    expect(chaosOf(logged)).toEqual(['latency=40ms', 'latency=40ms']);
  });
});
