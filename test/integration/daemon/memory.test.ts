import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { HealthResponse } from '../../../protocol';
import { PredictionWriter } from '../../../daemon/store/prediction-writer';
import { TraceStore } from '../../../daemon/store/trace-store';
import { MODEL_V1, startDaemon } from '../../helpers/daemon';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function rssMb(): number {
  return process.memoryUsage().rss / 1048576;
}

describe('daemon memory', () => {
  it('trimMemory gives freed memory back to the OS and keeps the block cache to its bound, without changing the limit', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sightline-memory-'));
    dirs.push(dir);
    const store = await TraceStore.open(path.join(dir, 'trace.duckdb'), { memoryLimit: '512MB' });
    try {
      const q = async (sql: string): Promise<Record<string, unknown>[]> => (await store.conn.runAndReadAll(sql)).getRowObjectsJS();
      const cachedMb = async (): Promise<number> => Number((await q(`SELECT coalesce(sum(memory_usage_bytes) FILTER (WHERE tag = 'BASE_TABLE'), 0)::DOUBLE / 1048576 AS mb FROM duckdb_memory()`))[0]!.mb);
      // A scratch table of 3M rows, a grouping and a scan over it: DuckDB allocates and frees a few
      // hundred MB and caches the table's blocks.
      await store.conn.run(`CREATE TABLE scratch AS SELECT range AS a, random() AS b, md5(range::VARCHAR) AS s FROM range(3000000)`);
      await store.checkpoint();
      await q(`SELECT count(DISTINCT s), sum(b) FROM scratch`);
      await q(`SELECT * FROM scratch WHERE a % 1000 = 0`);
      const limitBefore = (await q(`SELECT current_setting('memory_limit') AS l`))[0]!.l;
      const cachedBefore = await cachedMb();
      expect(cachedBefore).toBeGreaterThan(40);
      const before = rssMb();
      await store.trimMemory(16 * 1048576);
      const after = rssMb();
      // Measured here: ~390 → ~110 MB, the cache ~70 → ~3 MB.
      expect(before - after, `RSS ${before.toFixed(0)} → ${after.toFixed(0)} MB`).toBeGreaterThan(100);
      expect(await cachedMb()).toBeLessThanOrEqual(17);
      expect((await q(`SELECT current_setting('memory_limit') AS l`))[0]!.l).toBe(limitBefore);
      // The data is all there and queries still run (the cache refills from the file).
      expect(Number((await q(`SELECT count(*) AS n FROM scratch WHERE a % 1000 = 0`))[0]!.n)).toBe(3000);
      // A cache already within its bound is left alone; freed memory is still released.
      const cachedNow = await cachedMb();
      await store.trimMemory(512 * 1048576);
      expect(await cachedMb()).toBeCloseTo(cachedNow, 0);
      expect((await q(`SELECT current_setting('memory_limit') AS l`))[0]!.l).toBe(limitBefore);
    } finally {
      store.close();
    }
  });

  it('the writer\'s upkeep walks every DuckDB eviction queue (dropping what finished queries left there) after reads, without changing the limit', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sightline-memory-'));
    dirs.push(dir);
    const store = await TraceStore.open(path.join(dir, 'trace.duckdb'), { memoryLimit: '512MB' });
    // The interval is never reached here: the test calls upkeep() itself.
    const writer = new PredictionWriter(store, { flushIntervalMs: 200, maxPendingRows: 1000, upkeepIntervalMs: 3_600_000 });
    try {
      const q = async (sql: string): Promise<Record<string, unknown>[]> => (await store.conn.runAndReadAll(sql)).getRowObjectsJS();
      const tagMb = async (): Promise<Record<string, number>> =>
        Object.fromEntries((await q(`SELECT tag, memory_usage_bytes::DOUBLE / 1048576 AS mb FROM duckdb_memory()`)).map((r) => [String(r.tag), Number(r.mb)]));
      // Cached table blocks sit in DuckDB's first eviction queue; query memory (hash tables,
      // sorts, temporary tables) in the managed-buffer queues after it, where the entries of
      // finished queries pile up. trimMemory stops in the first queue once under its bound;
      // the upkeep must reach the end of every queue.
      await store.conn.run(`CREATE TABLE scratch AS SELECT range AS a, md5(range::VARCHAR) AS s FROM range(1000000)`);
      await store.checkpoint();
      await store.conn.run(`CREATE TEMP TABLE spill AS SELECT range AS a, md5(range::VARCHAR) AS s FROM range(500000)`);
      await q(`SELECT count(DISTINCT s) FROM scratch`);
      const limitBefore = (await q(`SELECT current_setting('memory_limit') AS l`))[0]!.l;
      const before = await tagMb();
      expect(before.BASE_TABLE).toBeGreaterThan(10);
      expect(before.IN_MEMORY_TABLE).toBeGreaterThan(10);

      await writer.upkeep();
      expect(writer.upkeepRuns).toBe(1);
      const after = await tagMb();
      // Every block nobody was using was unloaded: the pass went through every queue to its end.
      expect(after.BASE_TABLE, JSON.stringify({ before, after })).toBeLessThan(1);
      expect(after.IN_MEMORY_TABLE, JSON.stringify({ before, after })).toBeLessThan(1);
      // DuckDB refused the 0-byte limit it was asked for, and the configured one is stated again.
      expect((await q(`SELECT current_setting('memory_limit') AS l`))[0]!.l).toBe(limitBefore);
      // Nothing was lost: blocks come back from the file and from <trace>.tmp.
      expect(Number((await q(`SELECT count(DISTINCT s) AS n FROM spill`))[0]!.n)).toBe(500000);
      expect(Number((await q(`SELECT count(*) AS n FROM scratch WHERE a % 1000 = 0`))[0]!.n)).toBe(1000);

      // Only after reads: the checks above read, so the next pass runs; one with no query since does nothing.
      await writer.upkeep();
      await writer.upkeep();
      expect(writer.upkeepRuns).toBe(2);
      await q(`SELECT 1`);
      await writer.upkeep();
      expect(writer.upkeepRuns).toBe(3);
    } finally {
      await writer.close();
      store.close();
    }
  });

  it('the pass never leaves DuckDB at a 0-byte limit: 150 passes beside reads and writes, no query fails', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sightline-memory-'));
    dirs.push(dir);
    const store = await TraceStore.open(path.join(dir, 'trace.duckdb'), { memoryLimit: '256MB' });
    const reader = await store.instance.connect();
    const writer = await store.instance.connect();
    let stop = false;
    let reads = 0;
    let writes = 0;
    const errors: string[] = [];
    try {
      await store.conn.run(`CREATE TABLE p AS SELECT range AS id, md5(range::VARCHAR) AS k FROM range(200000)`);
      await store.checkpoint();
      const limitBefore = (await store.conn.runAndReadAll(`SELECT current_setting('memory_limit') AS l`)).getRowObjectsJS()[0]!.l;
      // Sorts and groupings (query memory that finishes and is queued) and appends, back to back,
      // while the passes run: a 0-byte limit accepted even for a moment fails one of them.
      const readLoop = (async () => {
        while (!stop) {
          try {
            await reader.runAndReadAll(`SELECT k, count(*) FROM p WHERE id % 7 = 0 GROUP BY k ORDER BY 2, 1 LIMIT 3`);
            reads++;
          } catch (err) {
            errors.push(`read: ${String(err).slice(0, 120)}`);
          }
        }
      })();
      const writeLoop = (async () => {
        while (!stop) {
          try {
            await writer.run(`INSERT INTO p SELECT range, 'x' FROM range(100)`);
            writes++;
          } catch (err) {
            errors.push(`write: ${String(err).slice(0, 120)}`);
          }
        }
      })();
      let ran = 0;
      for (let i = 0; i < 150; i++) {
        await store.conn.run('CHECKPOINT').catch(() => undefined);
        if (await store.releaseQueryMemory()) ran++;
      }
      stop = true;
      await Promise.all([readLoop, writeLoop]);
      expect(errors).toEqual([]);
      expect(ran).toBe(150);
      expect(reads).toBeGreaterThan(50);
      expect(writes).toBeGreaterThan(50);
      expect((await store.conn.runAndReadAll(`SELECT current_setting('memory_limit') AS l`)).getRowObjectsJS()[0]!.l).toBe(limitBefore);
      // The pin itself is gone after each pass: no sort memory left pinned.
      const orderBy = (await store.conn.runAndReadAll(`SELECT coalesce(sum(memory_usage_bytes), 0)::DOUBLE AS b FROM duckdb_memory() WHERE tag = 'ORDER_BY'`)).getRowObjectsJS()[0]!.b;
      expect(Number(orderBy)).toBe(0);
      expect(Number((await store.conn.runAndReadAll(`SELECT count(*) AS n FROM p`)).getRowObjectsJS()[0]!.n)).toBe(200000 + 100 * writes);
    } finally {
      stop = true;
      reader.closeSync();
      writer.closeSync();
      store.close();
    }
  });

  // DuckDB accepts a 0-byte limit when it can get its usage to 0 (a fresh in-memory DuckDB with
  // nothing in it does, by hand with @duckdb/node-api 1.5), and then cannot even run the SET that
  // restores the limit ("failed to allocate data of size 2.0 KiB (0 bytes/0 bytes used)"): every
  // query fails until the process restarts. The pass holds a pinned block so it never gets
  // there, and skips itself (false) when the pin does not show in DuckDB's accounting; `true`
  // here says the pin was there.
  it('every pass holds its pin, on an in-memory trace too: queries and the limit survive', async () => {
    const store = await TraceStore.open(':memory:', { memoryLimit: '256MB' });
    try {
      const limitBefore = (await store.conn.runAndReadAll(`SELECT current_setting('memory_limit') AS l`)).getRowObjectsJS()[0]!.l;
      for (let i = 0; i < 5; i++) expect(await store.releaseQueryMemory()).toBe(true);
      const sorted = await store.conn.runAndReadAll(`SELECT count(*) AS n FROM (SELECT range AS x FROM range(100000) ORDER BY x DESC)`);
      expect(Number(sorted.getRowObjectsJS()[0]!.n)).toBe(100000);
      expect((await store.conn.runAndReadAll(`SELECT current_setting('memory_limit') AS l`)).getRowObjectsJS()[0]!.l).toBe(limitBefore);
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
