import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { HealthResponse } from '../../../protocol';
import { TraceStore } from '../../../daemon/store/trace-store';
import { MODEL_V1, startDaemon } from '../../helpers/daemon';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function rssMb(): number {
  return process.memoryUsage().rss / 1048576;
}

describe('daemon memory', () => {
  it('releaseFreedMemory gives DuckDB\'s freed memory back to the OS without evicting its cache or changing the limit', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sightline-memory-'));
    dirs.push(dir);
    const store = await TraceStore.open(path.join(dir, 'trace.duckdb'), { memoryLimit: '512MB' });
    try {
      const q = async (sql: string): Promise<Record<string, unknown>[]> => (await store.conn.runAndReadAll(sql)).getRowObjectsJS();
      // A scratch table of 3M rows and a grouping over it: DuckDB allocates and then frees a few hundred MB.
      await store.conn.run(`CREATE TABLE scratch AS SELECT range AS a, random() AS b, md5(range::VARCHAR) AS s FROM range(3000000)`);
      await store.checkpoint();
      await q(`SELECT count(DISTINCT s), sum(b) FROM scratch`);
      const limitBefore = (await q(`SELECT current_setting('memory_limit') AS l`))[0]!.l;
      const cachedBefore = (await store.memoryUsage()).usedBytes;
      const before = rssMb();
      await store.releaseFreedMemory();
      const after = rssMb();
      // Measured here: ~390 → ~110 MB. The freed memory goes back; what DuckDB still caches stays.
      expect(before - after, `RSS ${before.toFixed(0)} → ${after.toFixed(0)} MB`).toBeGreaterThan(100);
      expect((await q(`SELECT current_setting('memory_limit') AS l`))[0]!.l).toBe(limitBefore);
      expect((await store.memoryUsage()).usedBytes).toBe(cachedBefore);
      // The data is all there and queries still run.
      expect(Number((await q(`SELECT count(*) AS n FROM scratch`))[0]!.n)).toBe(3_000_000);
    } finally {
      store.close();
    }
  });

  it('health reports where the daemon\'s memory is, with DuckDB\'s limit as configured', async () => {
    const d = await startDaemon(['--model', MODEL_V1, '--memory-limit', '200MB']);
    try {
      const health = HealthResponse.parse(await d.client.health());
      const m = health.memory!;
      expect(m.rss_mb).toBeGreaterThan(m.heap_used_mb);
      expect(m.heap_used_mb).toBeGreaterThan(0);
      expect(m.duckdb_mb).toBeGreaterThanOrEqual(0);
      // 200 MB as DuckDB reports it (190.7 MiB).
      expect(m.duckdb_limit_mb).toBe(Math.round(200e6 / 1048576));
    } finally {
      await d.stop();
      d.cleanup();
    }
  });
});
