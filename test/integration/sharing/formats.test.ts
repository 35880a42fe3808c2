import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExportReport } from '../../../protocol';
import { runCli } from '../../helpers/daemon';
import { queryTrace } from '../../helpers/sample';
import { OpenLineageRunEvent, OtlpExportTraceServiceRequest } from '../../unit/sharing/spec-schemas';
import { buildSharingTrace, type SharingTrace } from './fixture';

describe('export formats: Hive-partitioned Parquet, OTLP/JSON spans, OpenLineage events', () => {
  let dir: string;
  let src: SharingTrace;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'sightline-formats-'));
    src = await buildSharingTrace(dir, 900);
  }, 300_000); // builds a trace with the real daemon: slow on a loaded machine
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes predictions as predictions/date=YYYY-MM-DD/model=name@ver/*.parquet with features as named columns, which plain DuckDB reads', async () => {
    const out = path.join(dir, 'parquet');
    const r = await runCli(['export', src.trace, '--format', 'parquet', '--out', out, '--with-baselines', '--redact', 'client_ip=drop', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const report = ExportReport.parse(JSON.parse(r.stdout));
    expect(report.counts.predictions).toBe(src.requests);
    const days = readdirSync(path.join(out, 'predictions')).sort();
    expect(days[0]).toMatch(/^date=2001-04-\d\d$/);
    expect(days.every((d) => /^date=2001-0[456]-\d\d$/.test(d))).toBe(true);
    expect(readdirSync(path.join(out, 'predictions', days[0]!))).toEqual(['model=flights-delay@v1']);
    expect(readdirSync(path.join(out, 'predictions', days[0]!, 'model=flights-delay@v1')).every((f) => f.endsWith('.parquet'))).toBe(true);
    for (const t of ['labels', 'models', 'findings', 'component_runs', 'artifacts', 'run_io', 'meta', 'feature_columns']) expect(existsSync(path.join(out, `${t}.parquet`))).toBe(true);
    expect(existsSync(path.join(out, 'baselines', 'train-v1.parquet'))).toBe(true);

    // An engine that knows nothing about Sightline: hive partitions + named feature columns.
    const glob = path.join(out, 'predictions', '**', '*.parquet').replaceAll("'", "''");
    const cols = (await queryTrace<{ column_name: string; column_type: string }>(':memory:', `DESCRIBE SELECT * FROM read_parquet('${glob}', hive_partitioning = true)`));
    const names = cols.map((c) => c.column_name);
    for (const n of ['id', 'time', 'score', 'join_key', 'dep_hour', 'origin', 'route_delay_rate', 'customer_email', 'fare_class', 'date', 'model']) expect(names).toContain(n);
    expect(names).not.toContain('client_ip');
    expect(names.some((n) => /^[fa]_\d+$/.test(n))).toBe(false);
    const [agg] = await queryTrace<{ n: number; days: number; model: string; ok: number }>(':memory:',
      `SELECT count(*)::INTEGER AS n, count(DISTINCT date)::INTEGER AS days, any_value(model) AS model, count(*) FILTER (WHERE strftime(time AT TIME ZONE 'UTC', '%Y-%m-%d') = CAST(date AS VARCHAR))::INTEGER AS ok
       FROM read_parquet('${glob}', hive_partitioning = true)`,
    );
    expect(Number(agg!.n)).toBe(src.requests);
    expect(Number(agg!.days)).toBe(days.length);
    expect(Number(agg!.ok)).toBe(src.requests);
    expect(agg!.model).toBe('flights-delay@v1');
    // Values survive: the mean score per day equals the trace's.
    const [fromTrace] = await queryTrace<{ s: number; o: number }>(src.trace, `SELECT sum(score) AS s, count(*) FILTER (WHERE f_4 = 'ORD')::INTEGER AS o FROM predictions`);
    const [fromParquet] = await queryTrace<{ s: number; o: number }>(':memory:', `SELECT sum(score) AS s, count(*) FILTER (WHERE origin = 'ORD')::INTEGER AS o FROM read_parquet('${glob}', hive_partitioning = true)`);
    expect(Number(fromParquet!.s)).toBeCloseTo(Number(fromTrace!.s), 6);
    expect(Number(fromParquet!.o)).toBe(Number(fromTrace!.o));

    // `sightline open DIR` reads the folder back into an in-memory trace and summarises it.
    const open = await runCli(['open', out, '--json']);
    expect(open.code, open.stderr).toBe(0);
    const summary = JSON.parse(open.stdout);
    expect(summary.path).toBe(out);
    expect(summary.totals.predictions).toBe(src.requests);
    expect(summary.totals.labels).toBe(report.counts.labels);
    expect(summary.groups[0]).toMatchObject({ model: 'flights-delay@v1', predictions: src.requests });
    const fromFile = JSON.parse((await runCli(['open', src.trace, '--json'])).stdout);
    expect(summary.groups[0].auc).toBeCloseTo(fromFile.groups[0].auc, 12);
    expect(summary.groups[0].labelled).toBe(fromFile.groups[0].labelled);
    // …and `diff` compares a folder with the file it came from: same models, counts and findings.
    const diff = await runCli(['diff', src.trace, out, '--json']);
    expect(diff.code, diff.stderr).toBe(0);
    const d = JSON.parse(diff.stdout);
    expect(d.models.unchanged).toHaveLength(1);
    expect(d.predictions).toEqual([{ model: 'flights-delay@v1', source: 'served', a: src.requests, b: src.requests, delta: 0 }]);
    expect(d.findings.added.length + d.findings.removed.length + d.findings.changed.length).toBe(0);

    const again = await runCli(['export', src.trace, '--format', 'parquet', '--out', out]);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('not an empty folder');
  });

  it('writes predictions as OTLP/JSON spans that match the spec', async () => {
    const out = path.join(dir, 'spans.jsonl');
    const r = await runCli(['export', src.trace, '--format', 'otlp', '--out', out, '--limit', '600', '--redact', 'customer_email=drop', 'client_ip=drop', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const report = ExportReport.parse(JSON.parse(r.stdout));
    expect(report.counts.records).toBe(600);
    const lines = readFileSync(out, 'utf8').trim().split('\n');
    expect(lines.length).toBe(2); // 500 spans per request line
    const spans = lines.flatMap((l) => OtlpExportTraceServiceRequest.parse(JSON.parse(l)).resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans)));
    expect(spans).toHaveLength(600);
    expect(new Set(spans.map((s) => s.traceId)).size).toBe(600);
    const first = JSON.parse(lines[0]!);
    expect(first.resourceSpans[0].resource.attributes).toContainEqual({ key: 'service.name', value: { stringValue: 'flights-delay' } });
    const span = spans[0]!;
    const attr = (k: string): unknown => span.attributes?.find((a: { key: string }) => a.key === k)?.value;
    expect(attr('sightline.model')).toEqual({ stringValue: 'flights-delay@v1' });
    expect(typeof (attr('sightline.score') as { doubleValue: number }).doubleValue).toBe('number');
    expect(attr('sightline.feature.dep_hour')).toHaveProperty('doubleValue');
    expect(attr('sightline.feature.origin')).toHaveProperty('stringValue');
    expect(attr('sightline.attribute.fare_class')).toHaveProperty('stringValue');
    expect(attr('sightline.attribute.customer_email')).toBeUndefined(); // dropped before the conversion
    // traceId is the prediction id; start time is the prediction's time.
    const id = `${span.traceId.slice(0, 8)}-${span.traceId.slice(8, 12)}-${span.traceId.slice(12, 16)}-${span.traceId.slice(16, 20)}-${span.traceId.slice(20)}`;
    const [row] = await queryTrace<{ ns: string }>(src.trace, `SELECT epoch_ns(time)::VARCHAR AS ns FROM predictions WHERE id = '${id}'`);
    expect(span.startTimeUnixNano).toBe(row!.ns);
  });

  it('writes component runs as OpenLineage RunEvents that match the spec, with the content hash facet', async () => {
    const out = path.join(dir, 'lineage.jsonl');
    const r = await runCli(['export', src.trace, '--format', 'openlineage', '--out', out, '--namespace', 'flights-team', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const events = readFileSync(out, 'utf8').trim().split('\n').map((l) => OpenLineageRunEvent.parse(JSON.parse(l)));
    const [runs] = await queryTrace<{ n: number }>(src.trace, 'SELECT count(*)::INTEGER AS n FROM component_runs');
    expect(events.length).toBeGreaterThan(0);
    expect(events.length).toBe(ExportReport.parse(JSON.parse(r.stdout)).counts.component_runs);
    expect(events.length).toBeLessThanOrEqual(Number(runs!.n));
    for (const e of events) {
      expect(['COMPLETE', 'FAIL']).toContain(e.eventType);
      expect(e.job.namespace).toBe('flights-team');
    }
    // The training run's output is the model file: its content hash is the model id.
    const outputs = events.flatMap((e) => e.outputs ?? []);
    const model = outputs.find((o) => (o.facets?.sightline_contentHash as { contentHash?: string } | undefined)?.contentHash === src.modelId);
    expect(model).toBeDefined();
    expect(model!.namespace).toBe('file');
    expect(model!.name.endsWith('.onnx')).toBe(true);
    // Lineage joins across runs by dataset identity: every input of a later run is an output of an earlier one or raw data.
    const names = new Set(outputs.map((o) => `${o.namespace}|${o.name}`));
    const inputs = events.flatMap((e) => e.inputs ?? []);
    expect(inputs.some((i) => names.has(`${i.namespace}|${i.name}`))).toBe(true);
  });
});
