/**
 * Soak: steady, realistic load on one daemon for `minutes` — predict requests at a fixed rate
 * (with join keys and attributes), labels arriving for them, a WebSocket subscriber receiving
 * every prediction event, health polls, and an editor query and a drift run now and then —
 * while the daemon's RSS is sampled. After the warm-up (a fifth of the run, at least a minute),
 * RSS must grow by less than `maxGrowth` (10 %) between the first and the last minute.
 * Bounded in time and count, 127.0.0.1 only. Run by `npm run stress` (`--minutes`, default 10).
 */
import { readFileSync } from 'node:fs';
import WebSocket from 'ws';
import type { FeatureRecord, HealthResponse } from '../../protocol';
import { MODEL_V1, startDaemon, type RunningDaemon } from '../helpers/daemon';
import { queryTrace, sampleRecords } from '../helpers/sample';
import { featuresOf, project } from '../helpers/wire';

export interface SoakOptions {
  minutes: number;
  /** Predict requests per second. */
  rate?: number;
  /** Rows per request. */
  rows?: number;
  maxGrowth?: number;
  log?: (line: string) => void;
}

export interface SoakReport {
  minutes: number;
  requests: number;
  errors: number;
  rowsLogged: number;
  labels: number;
  /** Drift runs answered 200 (one every 30 s). */
  driftRuns: number;
  events: number;
  latencyMs: { p50: number; p99: number; max: number };
  rssMb: { start: number; afterWarmup: number; end: number; max: number };
  /** (median of the last minute − median of the first minute after warm-up) / the latter */
  growth: number;
  /** The same window's change in MB of RSS, V8's heap, native memory V8 knows of, and DuckDB's accounting: where growth went. */
  deltaMb: { rss: number; heap: number; heapTotal: number; external: number; duckdb: number };
  /** RSS and, from /v1/health, V8's heap, native memory V8 knows of, and DuckDB's own accounting (MB). */
  samples: { t: number; rssMb: number; heapMb?: number; heapTotalMb?: number; externalMb?: number; duckdbMb?: number }[];
  /** Exit code of the daemon after SIGTERM (0: a clean stop). */
  stopCode?: number | null;
  rowsInFile?: number;
  passed: boolean;
}

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)]! : NaN;
}

export async function runSoak(o: SoakOptions): Promise<SoakReport> {
  const rate = o.rate ?? 50;
  const rowsPer = o.rows ?? 10;
  const durationMs = o.minutes * 60_000;
  const warmupMs = Math.max(60_000, durationMs / 5);
  const log = o.log ?? (() => undefined);
  const d: RunningDaemon = await startDaemon(['--model', MODEL_V1, '--flush-interval', '200']);
  try {
    const sample = await sampleRecords(2000);
    const records: FeatureRecord[] = project(sample.records, await featuresOf(d, 'flights-delay'));
    const base = `http://127.0.0.1:${d.info.port}`;
    const headers = { Authorization: `Bearer ${d.info.token}`, 'Content-Type': 'application/json' };
    const report: SoakReport = {
      minutes: o.minutes, requests: 0, errors: 0, rowsLogged: 0, labels: 0, driftRuns: 0, events: 0,
      latencyMs: { p50: 0, p99: 0, max: 0 }, rssMb: { start: rssMb(d.info.pid), afterWarmup: NaN, end: NaN, max: 0 }, growth: NaN,
      deltaMb: { rss: NaN, heap: NaN, heapTotal: NaN, external: NaN, duckdb: NaN }, samples: [], passed: false,
    };
    // A subscriber that reads every event (an editor left open).
    const ws = new WebSocket(`ws://127.0.0.1:${d.info.port}/v1/stream`, { headers: { Authorization: `Bearer ${d.info.token}` } });
    await new Promise<void>((resolve, reject) => { ws.once('open', () => resolve()); ws.once('error', reject); });
    ws.on('message', (m) => {
      const msg = JSON.parse(m.toString()) as { type: string; data?: unknown[] };
      if (msg.type === 'event') report.events += msg.data?.length ?? 0;
    });
    ws.send(JSON.stringify({ type: 'subscribe', events: ['prediction', 'label', 'finding'] }));

    const latencies: number[] = [];
    const pendingLabels: { join_key: string; value: number }[] = [];
    let seq = 0;
    const t0 = Date.now();
    const inflight = new Set<Promise<void>>();
    /** Side requests (labels, health, drift): awaited before the daemon is stopped. */
    const side = new Set<Promise<unknown>>();
    const track = (p: Promise<unknown>): void => {
      side.add(p);
      void p.finally(() => side.delete(p));
    };
    const predictOnce = async (): Promise<void> => {
      const i = seq++;
      const at = (i * rowsPer) % (records.length - rowsPer);
      const keys = Array.from({ length: rowsPer }, (_, k) => `s${i}-${k}`);
      const t = performance.now();
      try {
        const res = await fetch(`${base}/v1/predict`, {
          method: 'POST', headers,
          body: JSON.stringify({ model: 'flights-delay', records: records.slice(at, at + rowsPer), join_keys: keys, attributes: keys.map((_, k) => ({ tier: k % 3 === 0 ? 'gold' : 'basic' })) }),
          signal: AbortSignal.timeout(30_000),
        });
        await res.text();
        if (res.status !== 200) report.errors++;
        else keys.forEach((k, j) => { if ((i + j) % 4 === 0) pendingLabels.push({ join_key: k, value: sample.labels[(at + j) % sample.labels.length]! }); });
      } catch {
        report.errors++;
      }
      latencies.push(performance.now() - t);
      report.requests++;
    };
    let lastMemory: HealthResponse['memory'];
    let nextSample = t0;
    let nextSide = t0 + 1000;
    let nextHeavy = t0 + 30_000;
    let lastLog = t0;
    // A fixed schedule: request k goes out at t0 + k/rate, at most 64 in flight.
    for (let k = 0; ; k++) {
      const due = t0 + (k * 1000) / rate;
      const now = Date.now();
      if (now - t0 >= durationMs) break;
      if (due > now) await new Promise((r) => setTimeout(r, due - now));
      if (inflight.size < 64) {
        const p = predictOnce().finally(() => inflight.delete(p));
        inflight.add(p);
      }
      if (Date.now() >= nextSide) {
        nextSide += 1000;
        // Labels for the predictions of the last second, and a health poll.
        const batch = pendingLabels.splice(0);
        if (batch.length) {
          track(fetch(`${base}/v1/labels`, { method: 'POST', headers, body: JSON.stringify({ source: 'soak', labels: batch }) })
            .then(async (r) => { await r.text(); if (r.status === 200) report.labels += batch.length; else report.errors++; }, () => report.errors++));
        }
        track(fetch(`${base}/v1/health`, { headers }).then((r) => r.json() as Promise<HealthResponse>).then((h) => {
          report.rowsLogged = h.predictions_logged;
          lastMemory = h.memory;
        }, () => report.errors++));
      }
      if (Date.now() >= nextHeavy) {
        nextHeavy += 30_000;
        // What an editor does now and then: a page of predictions, a drift against the previous window.
        ws.send(JSON.stringify({ type: 'query', id: k, method: 'predictions', params: { limit: 50 } }));
        // The last 30 s against the 30 s before: a bounded window, as the drift view sends.
        const until = new Date();
        const since = new Date(until.getTime() - 30_000);
        track(fetch(`${base}/v1/drift`, { method: 'POST', headers, body: JSON.stringify({ baseline: 'previous', window: { since: since.toISOString(), until: until.toISOString() } }) })
          .then(async (r) => { const text = await r.text(); if (r.status === 200) report.driftRuns++; else { report.errors++; log(`soak: drift answered ${r.status}: ${text.slice(0, 300)}`); } }, () => report.errors++));
      }
      if (Date.now() >= nextSample) {
        nextSample += 5000;
        const rss = rssMb(d.info.pid);
        report.samples.push({ t: Math.round((Date.now() - t0) / 1000), rssMb: Math.round(rss), heapMb: lastMemory?.heap_used_mb, heapTotalMb: lastMemory?.heap_total_mb, externalMb: lastMemory?.external_mb, duckdbMb: lastMemory?.duckdb_mb });
        report.rssMb.max = Math.max(report.rssMb.max, rss);
        if (Number.isNaN(report.rssMb.afterWarmup) && Date.now() - t0 >= warmupMs) report.rssMb.afterWarmup = rss;
      }
      if (Date.now() - lastLog >= 60_000) {
        lastLog = Date.now();
        log(`soak: ${((Date.now() - t0) / 60_000).toFixed(0)}/${o.minutes} min, ${report.requests} requests, ${report.errors} errors, RSS ${rssMb(d.info.pid).toFixed(0)} MB (V8 heap ${lastMemory?.heap_used_mb ?? '?'}/${lastMemory?.heap_total_mb ?? '?'} MB, external ${lastMemory?.external_mb ?? '?'} MB, DuckDB ${lastMemory?.duckdb_mb ?? '?'} MB ${JSON.stringify(lastMemory?.duckdb_tags_mb ?? {})})`);
      }
    }
    await Promise.all(inflight);
    await Promise.all(side);
    ws.close();
    report.rssMb.end = rssMb(d.info.pid);
    const sorted = [...latencies].sort((a, b) => a - b);
    report.latencyMs = { p50: +sorted[Math.floor(sorted.length * 0.5)]!.toFixed(2), p99: +sorted[Math.floor(sorted.length * 0.99)]!.toFixed(2), max: +sorted[sorted.length - 1]!.toFixed(2) };
    const after = report.samples.filter((s) => s.t * 1000 >= warmupMs);
    const firstMinute = after.filter((s) => s.t * 1000 < warmupMs + 60_000);
    const lastMinute = after.filter((s) => s.t * 1000 >= durationMs - 60_000);
    const delta = (pick: (s: SoakReport['samples'][number]) => number | undefined): number =>
      median(lastMinute.map(pick).filter((x): x is number => x !== undefined)) - median(firstMinute.map(pick).filter((x): x is number => x !== undefined));
    report.growth = delta((s) => s.rssMb) / median(firstMinute.map((s) => s.rssMb));
    report.deltaMb = { rss: delta((s) => s.rssMb), heap: delta((s) => s.heapMb), heapTotal: delta((s) => s.heapTotalMb), external: delta((s) => s.externalMb), duckdb: delta((s) => s.duckdbMb) };
    const h = (await (await fetch(`${base}/v1/health`, { headers })).json()) as { predictions_logged: number };
    report.rowsLogged = h.predictions_logged;
    report.passed = report.errors === 0 && report.growth < (o.maxGrowth ?? 0.1);
    // A clean stop, and the file opens afterwards with every row.
    report.stopCode = await d.stop();
    report.rowsInFile = (await queryTrace<{ n: number }>(d.trace, 'SELECT count(*)::INT AS n FROM predictions'))[0]!.n;
    if (report.stopCode !== 0 || report.rowsInFile !== (report.requests - report.errors) * rowsPer) report.passed = false;
    return report;
  } finally {
    await d.kill();
    d.cleanup();
  }
}

export function summarizeSoak(r: SoakReport): string {
  return `soak ${r.minutes} min: ${r.requests} requests (${r.rowsLogged} rows logged, ${r.labels} labels, ${r.events} events streamed, ${r.driftRuns} drift runs), ${r.errors} errors, latency p50 ${r.latencyMs.p50} ms p99 ${r.latencyMs.p99} ms; RSS ${r.rssMb.start.toFixed(0)} MB at start, ${r.rssMb.afterWarmup.toFixed(0)} MB after warm-up, ${r.rssMb.end.toFixed(0)} MB at end (max ${r.rssMb.max.toFixed(0)}); growth after warm-up ${(r.growth * 100).toFixed(1)} % (RSS ${signed(r.deltaMb.rss)} MB: V8 heap ${signed(r.deltaMb.heap)} used, ${signed(r.deltaMb.heapTotal)} committed, external ${signed(r.deltaMb.external)}, DuckDB ${signed(r.deltaMb.duckdb)}, the rest native allocators); clean stop ${r.stopCode === 0}, ${r.rowsInFile} rows in the file → ${r.passed ? 'PASS' : 'FAIL'}`;
}

function signed(mb: number): string {
  return Number.isNaN(mb) ? '?' : `${mb >= 0 ? '+' : ''}${mb.toFixed(0)}`;
}
