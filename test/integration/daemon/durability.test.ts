import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MODEL_V1, startDaemon, type RunningDaemon } from '../../helpers/daemon';
import { queryTrace, sampleRecords } from '../../helpers/sample';
import { featuresOf, project, waitFor } from '../../helpers/wire';

/**
 * What a crash may cost. `--durable`: nothing that was acknowledged. Non-durable: nothing older
 * than the flush interval (once health says nothing is pending). Both hold across repeated
 * SIGKILLs of daemons writing the same trace file.
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

  it('--durable: every acknowledged prediction survives SIGKILL, cycle after cycle on the same trace', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sightline-durable-'));
    dirs.push(dir);
    const trace = path.join(dir, 'trace.duckdb');
    const sample = await sampleRecords(60);
    const flightIds = sample.flightIds;
    let records = sample.records;
    // A long flush interval: in durable mode an acknowledgement must not depend on the timer.
    const acknowledged: string[] = [];
    for (let cycle = 0; cycle < 3; cycle++) {
      current = await startDaemon(['--model', MODEL_V1, '--durable', '--flush-interval', '60000'], { trace, dir });
      expect((await current.client.health()).durable).toBe(true);
      records = project(sample.records, await featuresOf(current, 'flights-delay'));
      for (let k = 0; k < 10; k++) {
        const i = (cycle * 10 + k) * 2;
        const res = await current.client.predict({ model: 'flights-delay', records: records.slice(i, i + 2), join_keys: flightIds.slice(i, i + 2) });
        acknowledged.push(...res.predictions.map((p) => p.id));
      }
      await current.kill();
      expect(current.process.signalCode).toBe('SIGKILL');
      const ids = await loggedIds(trace);
      const missing = acknowledged.filter((id) => !ids.has(id));
      expect(missing, `cycle ${cycle}: acknowledged but not in the trace`).toEqual([]);
      expect(ids.size).toBe(acknowledged.length);
    }
    // The rows are whole: model, join keys and feature columns came back with them.
    const rows = await queryTrace<{ n: number; keys: number; models: number }>(
      trace, `SELECT count(*)::INT AS n, count(DISTINCT join_key)::INT AS keys, count(DISTINCT model_id)::INT AS models FROM predictions WHERE source = 'served'`,
    );
    expect(rows[0]).toEqual({ n: 60, keys: 60, models: 1 });
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
