import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MODEL_V1, startDaemon, type RunningDaemon } from '../../helpers/daemon';
import { queryTrace, sampleRecords } from '../../helpers/sample';
import { featuresOf, project, waitFor } from '../../helpers/wire';
import { runKillCycles } from '../../stress/kill-cycles';

/** SIGKILL cycles under load in the normal suite; `npm run stress` sets 20. */
const KILL_CYCLES = Number(process.env.SIGHTLINE_KILL_CYCLES ?? 5);

/**
 * What a crash may cost. `--durable`: nothing that was acknowledged, even when the kill lands
 * mid-load. Non-durable: nothing older than the flush interval (once health says nothing is
 * pending). Both hold across repeated SIGKILLs of daemons writing the same trace file.
 */
describe('daemon: durability across SIGKILL', () => {
  const dirs: string[] = [];
  let current: RunningDaemon | undefined;
  afterAll(async () => {
    await current?.kill();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  async function loggedIds(trace: string): Promise<Set<string>> {
    const rows = await queryTrace<{ id: string }>(trace, 'SELECT id::VARCHAR AS id FROM predictions');
    return new Set(rows.map((r) => r.id));
  }

  it(`--durable: SIGKILL during load, ${KILL_CYCLES} cycles on the same trace: the file opens and keeps every acknowledged prediction`, async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sightline-durable-'));
    dirs.push(dir);
    const trace = path.join(dir, 'trace.duckdb');
    // Concurrent clients, killed at a random moment while requests are in flight (test/stress/kill-cycles.ts;
    // `npm run stress` runs 20 cycles).
    const report = await runKillCycles({ cycles: KILL_CYCLES, trace, dir, seed: 11, onDaemon: (d) => (current = d) });
    console.log(`durability: ${KILL_CYCLES} SIGKILLs under load, ${report.acknowledged} acknowledged, ${report.rowsInFile} rows in the file; per cycle ${report.cycles.map((c) => `${c.acknowledged} acked/${c.inFlight} in flight`).join(', ')}`);
    expect(report.missing, 'acknowledged but not in the trace').toEqual([]);
    expect(report.cycles.every((c) => c.acknowledged > 0)).toBe(true);
    // Whole rows (model, join key, score, features), none twice; rows of requests in flight at the kill may be there too.
    expect(report.duplicates).toBe(0);
    expect(report.incompleteRows).toBe(0);
    expect(report.rowsInFile).toBeGreaterThanOrEqual(report.acknowledged);
  });

  it('non-durable: rows older than the flush interval survive SIGKILL once pending_rows is 0, cycle after cycle', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sightline-flush-'));
    dirs.push(dir);
    const trace = path.join(dir, 'trace.duckdb');
    const sample = await sampleRecords(300);
    const flightIds = sample.flightIds;
    let records = sample.records;
    const acknowledged: string[] = [];
    for (let cycle = 0; cycle < 3; cycle++) {
      current = await startDaemon(['--model', MODEL_V1, '--flush-interval', '100'], { trace, dir });
      expect((await current.client.health()).durable).toBe(false);
      records = project(sample.records, await featuresOf(current, 'flights-delay'));
      for (let k = 0; k < 5; k++) {
        const i = (cycle * 5 + k) * 20;
        const res = await current.client.predict({ model: 'flights-delay', records: records.slice(i, i + 20), join_keys: flightIds.slice(i, i + 20) });
        acknowledged.push(...res.predictions.map((p) => p.id));
      }
      const client = current.client;
      const health = await waitFor(async () => {
        const h = await client.health();
        return h.pending_rows === 0 ? h : null;
      }, 'pending_rows == 0');
      expect(health.predictions_logged).toBe(100);
      await current.kill();
      const ids = await loggedIds(trace);
      expect(acknowledged.filter((id) => !ids.has(id)), `cycle ${cycle}`).toEqual([]);
      expect(ids.size).toBe(acknowledged.length);
    }
    const joined = await queryTrace<{ join_key: string }>(trace, 'SELECT join_key FROM predictions ORDER BY join_key');
    expect(joined.map((r) => r.join_key)).toEqual([...flightIds].sort());
  });
});
