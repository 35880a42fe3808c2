import { describe, expect, it } from 'vitest';
import type { ArtifactRow, RunRow } from '../../../daemon/lineage/snapshot';
import { datasetName, OPENLINEAGE_SCHEMA_URL, runUuid, toRunEvent } from '../../../daemon/sharing/openlineage';
import { OpenLineageRunEvent } from './spec-schemas';

const run: RunRow = {
  id: 'train-2001-run', component: 'train', start: Date.parse('2026-01-10T10:00:00Z'), end: Date.parse('2026-01-10T10:05:00Z'), status: 'ok',
  git_commit: 'b88ee983256d0613be51e6609343608e67929a58', git_dirty: false, code_file: 'train.py', code_line: 42, params: { lr: 0.1 }, metrics: { auc: 0.71 }, notes: null,
};
const art = (name: string, uri: string | null, hash: string | null): ArtifactRow => ({ id: `a_${name}`, name, kind: 'data', uri, content_hash: hash, size: 10, created: run.start });

describe('component runs as OpenLineage RunEvents', () => {
  it('keeps UUID run ids and maps other ids to a stable UUID', () => {
    expect(runUuid('3A3934D0-D97F-4A6C-A73D-D15395AA4B49')).toBe('3a3934d0-d97f-4a6c-a73d-d15395aa4b49');
    const u = runUuid('train-2001-run');
    expect(u).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(runUuid('train-2001-run')).toBe(u);
    expect(runUuid('train-2001-run2')).not.toBe(u);
  });

  it('names datasets by the OpenLineage naming conventions', () => {
    expect(datasetName({ name: 'x', uri: 'file:///work/data/clean%20v1.csv' }, 'ns')).toEqual({ namespace: 'file', name: '/work/data/clean v1.csv' });
    expect(datasetName({ name: 'x', uri: 's3://bucket/path/to/part.parquet' }, 'ns')).toEqual({ namespace: 's3://bucket', name: 'path/to/part.parquet' });
    expect(datasetName({ name: 'x', uri: 'gs://b/k' }, 'ns')).toEqual({ namespace: 'gs://b', name: 'k' });
    expect(datasetName({ name: 'x', uri: 'hdfs://nn:8020/data/t' }, 'ns')).toEqual({ namespace: 'hdfs://nn:8020', name: '/data/t' });
    expect(datasetName({ name: 'features.parquet', uri: null }, 'ns')).toEqual({ namespace: 'ns', name: 'features.parquet' });
    expect(datasetName({ name: 'odd', uri: 'not a uri' }, 'ns')).toEqual({ namespace: 'ns', name: 'odd' });
  });

  it('maps a run to a COMPLETE event (FAIL when it failed) with datasets and the custom facets, valid against the spec', () => {
    const hash = 'c'.repeat(64);
    const e = toRunEvent(run, [art('raw.csv', 'file:///d/raw.csv', hash)], [art('model.onnx', 'file:///m/model.onnx', 'd'.repeat(64))], { namespace: 'flights' });
    const parsed = OpenLineageRunEvent.parse(JSON.parse(JSON.stringify(e)));
    expect(parsed.eventType).toBe('COMPLETE');
    expect(parsed.eventTime).toBe('2026-01-10T10:05:00.000Z');
    expect(parsed.schemaURL).toBe(OPENLINEAGE_SCHEMA_URL);
    expect(parsed.job).toEqual({ namespace: 'flights', name: 'train', facets: {} });
    expect(parsed.run.runId).toBe(runUuid('train-2001-run'));
    expect(e.inputs[0]!.facets.sightline_contentHash).toMatchObject({ algorithm: 'sha256', contentHash: hash, size: 10 });
    expect(e.inputs[0]!.facets.sightline_contentHash!._schemaURL).toMatch(/^https:\/\//);
    expect(e.run.facets.sightline_run).toMatchObject({ sightlineRunId: 'train-2001-run', gitCommit: run.git_commit, params: { lr: 0.1 }, metrics: { auc: 0.71 } });
    const failed = toRunEvent({ ...run, status: 'failed', end: null }, [], [], { namespace: 'flights' });
    expect(failed.eventType).toBe('FAIL');
    expect(failed.eventTime).toBe('2026-01-10T10:00:00.000Z');
    expect(OpenLineageRunEvent.safeParse(failed).success).toBe(true);
  });

  it('the spec schema rejects events missing required fields', () => {
    const e = JSON.parse(JSON.stringify(toRunEvent(run, [], [], { namespace: 'n' })));
    expect(OpenLineageRunEvent.safeParse({ ...e, run: { runId: 'not-a-uuid' } }).success).toBe(false);
    expect(OpenLineageRunEvent.safeParse({ ...e, job: { name: 'x' } }).success).toBe(false);
    expect(OpenLineageRunEvent.safeParse({ ...e, producer: undefined }).success).toBe(false);
    expect(OpenLineageRunEvent.safeParse({ ...e, inputs: [{ namespace: 'file', name: '/x', facets: { f: { a: 1 } } }] }).success).toBe(false);
  });
});
