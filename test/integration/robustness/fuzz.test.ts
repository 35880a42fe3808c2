import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MODEL_V1, startDaemon, type RunningDaemon } from '../../helpers/daemon';
import { queryTrace, sampleRecords } from '../../helpers/sample';
import { featuresOf, project } from '../../helpers/wire';
import { memoryFlat, runFuzz, summarize } from '../../stress/fuzz';

/** The normal suite's share of the protocol fuzzer (the full 100 000 run is `npm run stress`). */
const MUTATIONS = Number(process.env.SIGHTLINE_FUZZ_MUTATIONS ?? 2000);
const SEED = Number(process.env.SIGHTLINE_FUZZ_SEED ?? 20_240_601);

describe(`protocol fuzzing: ${MUTATIONS} seeded mutations of valid HTTP and WebSocket messages`, () => {
  let d: RunningDaemon;
  beforeAll(async () => {
    d = await startDaemon(['--model', MODEL_V1, '--max-body', String(128 * 1024), '--flush-interval', '100']);
  });
  afterAll(async () => {
    await d?.kill();
    d?.cleanup();
  });

  it('no crash, every answer a success or a typed error, RSS flat', async () => {
    const sample = await sampleRecords(1);
    const record = project(sample.records, await featuresOf(d, 'flights-delay'))[0]!;
    const report = await runFuzz({ port: d.info.port, token: d.info.token, pid: d.info.pid }, {
      mutations: MUTATIONS, seed: SEED, timeBudgetMs: 90_000, record, model: 'flights-delay', onnx: MODEL_V1, concurrency: 6,
    });
    console.log(summarize(report));
    expect(report.problems).toEqual([]);
    expect(report.alive).toBe(true);
    expect(report.sent).toBe(MUTATIONS);
    // Flat: the second half of the run adds (almost) nothing to what the first half reached.
    const flat = memoryFlat(report);
    expect(flat.growthMb, `RSS grew ${flat.growthMb.toFixed(0)} MB over the second half`).toBeLessThan(flat.boundMb);
    // The daemon stops cleanly, and the file it wrote opens.
    expect(await d.stop()).toBe(0);
    const rows = await queryTrace<{ n: number }>(d.trace, 'SELECT count(*)::INT AS n FROM predictions');
    expect(rows[0]!.n).toBeGreaterThan(0);
  });
});
