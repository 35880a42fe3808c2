import { DuckDBInstance } from '@duckdb/node-api';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServerMessage } from '../../../protocol';
import { MODEL_V1, runCli, startDaemon, type RunningDaemon } from '../../helpers/daemon';
import { queryTrace, sampleRecords } from '../../helpers/sample';
import { call, featuresOf, openSocket, project } from '../../helpers/wire';

describe('daemon: labels by prediction id and by join key', () => {
  let d: RunningDaemon;
  beforeAll(async () => {
    d = await startDaemon(['--model', MODEL_V1, '--flush-interval', '50']);
  });
  afterAll(async () => {
    await d?.stop();
    d?.cleanup();
  });

  it('lands labels in `labels`, joinable to their predictions either way', async () => {
    const sample = await sampleRecords(6);
    const records = project(sample.records, await featuresOf(d, 'flights-delay'));
    const res = await d.client.predict({ model: 'flights-delay', records, join_keys: sample.flightIds });
    const ids = res.predictions.map((p) => p.id);

    const events = await openSocket(d.info.port, { headers: { Authorization: `Bearer ${d.info.token}` } });
    events.send({ type: 'subscribe', events: ['label'] });
    events.send({ type: 'ping', id: 1 });
    await events.next((m) => m.type === 'pong', 'pong');

    const byId = await call(d, 'POST', '/v1/labels', { source: 'ops', labels: [
      { prediction_id: ids[0], value: sample.labels[0] },
      { prediction_id: ids[1], value: true },
    ] });
    expect(byId.status).toBe(200);
    expect(byId.json).toEqual({ logged: 2 });
    const byKey = await call(d, 'POST', '/v1/labels', { labels: [
      { join_key: sample.flightIds[2], value: sample.labels[2] },
      { join_key: sample.flightIds[3], value: 'delayed', time: '2001-03-01T10:00:00Z' },
    ] });
    expect(byKey.json).toEqual({ logged: 2 });
    const ev = await events.next<Extract<ServerMessage, { type: 'event' }>>((m) => m.type === 'event' && m.event === 'label', 'label event');
    expect(ev.data).toEqual([{ count: 2, source: 'ops' }]);
    await events.close();

    expect(await d.stop()).toBe(0);
    const labels = await queryTrace<Record<string, unknown>>(d.trace, `
      SELECT l.prediction_id::VARCHAR AS pid, l.join_key, l.value, l.value_text, l.source, strftime(l.time AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%S') AS t,
             coalesce(p1.join_key, p2.join_key) AS prediction_key
        FROM labels l
        LEFT JOIN predictions p1 ON p1.id = l.prediction_id
        LEFT JOIN predictions p2 ON p2.join_key = l.join_key
       ORDER BY prediction_key`);
    expect(labels).toHaveLength(4);
    const byPrediction = Object.fromEntries(labels.map((l) => [l.prediction_key, l]));
    expect(byPrediction[sample.flightIds[0]!]).toMatchObject({ pid: ids[0], join_key: null, value: sample.labels[0], source: 'ops' });
    expect(byPrediction[sample.flightIds[1]!]).toMatchObject({ pid: ids[1], value: 1, source: 'ops' });
    expect(byPrediction[sample.flightIds[2]!]).toMatchObject({ pid: null, join_key: sample.flightIds[2], value: sample.labels[2], source: 'api' });
    expect(byPrediction[sample.flightIds[3]!]).toMatchObject({ join_key: sample.flightIds[3], value: null, value_text: 'delayed', t: '2001-03-01T10:00:00' });
  });
});

describe('sightline import: predictions made elsewhere, from CSV, Parquet and JSONL', () => {
  let dir: string;
  let trace: string;
  let sample: Awaited<ReturnType<typeof sampleRecords>>;
  const N = 40;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'sightline-import-'));
    trace = path.join(dir, 'trace.duckdb');
    sample = await sampleRecords(N);
    const header = 'flight_id,score,dep_hour,origin,distance';
    const lines = sample.records.map((r, i) => `${sample.flightIds[i]},${(i % 10) / 10 + 0.05},${r.dep_hour},${r.origin},${r.distance}`);
    writeFileSync(path.join(dir, 'scored.csv'), [header, ...lines].join('\n') + '\n');
    writeFileSync(path.join(dir, 'scored.jsonl'), sample.records.map((r, i) => JSON.stringify({ flight_id: `J-${sample.flightIds[i]}`, score: 0.5, dep_hour: r.dep_hour, origin: r.origin, distance: r.distance })).join('\n') + '\n');
    const db = await DuckDBInstance.create(':memory:');
    const c = await db.connect();
    const csv = path.join(dir, 'scored.csv').replace(/'/g, "''");
    const pq = path.join(dir, 'scored.parquet').replace(/'/g, "''");
    await c.run(`COPY (SELECT 'P-' || flight_id AS flight_id, score, dep_hour, origin, distance FROM read_csv('${csv}')) TO '${pq}' (FORMAT parquet)`);
    c.closeSync();
    db.closeSync();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const importFile = (file: string, model: string, extra: string[] = []) =>
    runCli(['import', path.join(dir, file), '--model', model, '--trace', trace, '--join-key', 'flight_id', '--score', 'score', '--json', ...extra]);

  async function counts(): Promise<Record<string, number>> {
    const rows = await queryTrace<{ model_version: string; n: number }>(trace, `SELECT model_version, count(*)::INT AS n FROM predictions GROUP BY ALL`);
    return Object.fromEntries(rows.map((r) => [r.model_version, r.n]));
  }

  it('imports each format with source `imported`, the join key, the score and typed feature columns', async () => {
    for (const [file, version, prefix] of [['scored.csv', 'csv', ''], ['scored.parquet', 'parquet', 'P-'], ['scored.jsonl', 'jsonl', 'J-']] as const) {
      const res = await importFile(file, `delay-ext@${version}`);
      expect(res.code, res.stderr).toBe(0);
      expect(JSON.parse(res.stdout)).toEqual({ imported: N, model: `delay-ext@${version}`, trace });

      const cols = Object.fromEntries((await queryTrace<{ feature: string; kind: string; column_name: string }>(trace, 'SELECT * FROM feature_columns')).map((c) => [`${c.feature}:${c.kind}`, c.column_name]));
      expect(Object.keys(cols).sort()).toEqual(['dep_hour:numeric', 'distance:numeric', 'origin:categorical']);
      const rows = await queryTrace<Record<string, unknown>>(trace, `
        SELECT join_key, score, source, model_name, "${cols['dep_hour:numeric']}" AS dep_hour, "${cols['origin:categorical']}" AS origin, "${cols['distance:numeric']}" AS distance
          FROM predictions WHERE model_version = '${version}' ORDER BY join_key`);
      expect(rows).toHaveLength(N);
      const order = sample.flightIds.map((id, i) => ({ id: `${prefix}${id}`, i })).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      rows.forEach((r, k) => {
        const i = order[k]!.i;
        expect(r).toMatchObject({ join_key: `${prefix}${sample.flightIds[i]}`, source: 'imported', model_name: 'delay-ext', origin: sample.records[i]!.origin, dep_hour: sample.records[i]!.dep_hour, distance: sample.records[i]!.distance });
        expect(r.score).toBeCloseTo(version === 'jsonl' ? 0.5 : (i % 10) / 10 + 0.05, 9);
      });
    }
    expect(await counts()).toEqual({ csv: N, parquet: N, jsonl: N });
  });

  it('imports into the running daemon when no --trace is given', async () => {
    const d = await startDaemon(['--flush-interval', '50']);
    try {
      const res = await runCli(['import', path.join(dir, 'scored.jsonl'), '--model', 'delay-ext@live', '--join-key', 'flight_id', '--score', 'score', '--json'], { SIGHTLINE_HOME: d.home });
      expect(res.code, res.stderr).toBe(0);
      expect(JSON.parse(res.stdout)).toMatchObject({ imported: N, trace: d.trace });
      expect(await d.stop()).toBe(0);
      const rows = await queryTrace<{ n: number; src: string }>(d.trace, `SELECT count(*)::INT AS n, min(source) AS src FROM predictions WHERE model_name = 'delay-ext'`);
      expect(rows[0]).toEqual({ n: N, src: 'imported' });
    } finally {
      await d.stop();
      d.cleanup();
    }
  });

  it('refuses a malformed file with exit code 2 and a clear message, and leaves the trace unchanged', async () => {
    const before = await counts();
    const size = statSync(trace).size;
    // Unbalanced quotes and varying field counts near the top.
    writeFileSync(path.join(dir, 'broken.csv'), 'flight_id,score,dep_hour\nF1,0.2,7\nF2,0.3,8,extra,fields\nF3,"unterminated,9\n');
    // Well-formed for the first 45 000 rows (past DuckDB's sniffing sample), then one row with a
    // field too many, or a value that does not fit its column: nothing may be imported.
    const good = Array.from({ length: 60_000 }, (_, i) => `F${i},0.${i % 10},${i % 24}`);
    writeFileSync(path.join(dir, 'late-fields.csv'), ['flight_id,score,dep_hour', ...good.slice(0, 45_000), 'F-bad,0.5,3,surplus', ...good.slice(45_000)].join('\n') + '\n');
    writeFileSync(path.join(dir, 'late-type.csv'), ['flight_id,score,dep_hour', ...good.slice(0, 45_000), 'F-bad,0.5,noon', ...good.slice(45_000)].join('\n') + '\n');
    writeFileSync(path.join(dir, 'bad-score.csv'), ['flight_id,score,dep_hour', 'F1,0.5,3', 'F2,high,4'].join('\n') + '\n');
    for (const [file, message] of [
      ['broken.csv', /not well-formed CSV/],
      ['late-fields.csv', /malformed.*Line: 45002.*Expected Number of Columns/],
      ['late-type.csv', /malformed.*Line: 45002.*"noon"/],
      ['bad-score.csv', /score column "score" are not numbers/],
    ] as const) {
      const res = await importFile(file, 'delay-ext@broken');
      expect(res.code, `${file}: ${res.stderr}`).toBe(2);
      expect(res.stderr).toMatch(message);
      expect(res.stderr).not.toMatch(/unexpected error|at .*\.js:\d+/);
      expect(res.stdout).toBe('');
    }
    const missing = await importFile('no-such-file.csv', 'delay-ext@broken');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/not found/);
    expect(await counts()).toEqual(before);
    expect(statSync(trace).size).toBe(size);
  });
});
