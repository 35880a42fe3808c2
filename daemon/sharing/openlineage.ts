import { createHash } from 'node:crypto';
import type { ArtifactRow, RunRow } from '../lineage/snapshot';
import { VERSION } from '../version';

/**
 * Component runs as OpenLineage RunEvents (spec 2-0-2): one COMPLETE or FAIL event per run, with
 * its input and output artifacts as datasets named by the OpenLineage naming conventions
 * (`file:///p` → namespace `file`, name `/p`; `s3://b/k` → `s3://b`, `k`), and custom facets:
 * `sightline_contentHash` on datasets (the sha256 that links runs by content) and `sightline_run`
 * on the run (commit, code location, params, metrics). Pure.
 */

export const OPENLINEAGE_SCHEMA_URL = 'https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent';
export const PRODUCER = `https://github.com/sightline/sightline/tree/v${VERSION}`;
const FACET_BASE = 'https://sightline.dev/spec/facets/1-0-0';

export interface OlDataset {
  namespace: string;
  name: string;
  facets: Record<string, Record<string, unknown>>;
}

export interface OlRunEvent {
  eventType: 'COMPLETE' | 'FAIL';
  eventTime: string;
  producer: string;
  schemaURL: string;
  run: { runId: string; facets: Record<string, Record<string, unknown>> };
  job: { namespace: string; name: string; facets: Record<string, Record<string, unknown>> };
  inputs: OlDataset[];
  outputs: OlDataset[];
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** OpenLineage run ids are UUIDs; other run ids map to a stable name-based UUID (version 5 layout over sha256). */
export function runUuid(id: string): string {
  if (UUID.test(id)) return id.toLowerCase();
  const h = createHash('sha256').update(`sightline-run:${id}`).digest();
  h[6] = (h[6]! & 0x0f) | 0x50;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20, 32)}`;
}

/** Dataset namespace and name of an artifact, from its URI; artifacts without one live in `fallback`. */
export function datasetName(a: Pick<ArtifactRow, 'name' | 'uri'>, fallback: string): { namespace: string; name: string } {
  if (a.uri) {
    try {
      const u = new URL(a.uri);
      const scheme = u.protocol.replace(/:$/, '');
      if (scheme === 'file') return { namespace: 'file', name: decodeURIComponent(u.pathname) };
      if (['s3', 's3a', 'gs', 'gcs', 'abfs', 'abfss', 'wasbs'].includes(scheme)) return { namespace: `${scheme}://${u.host}`, name: decodeURIComponent(u.pathname.replace(/^\//, '')) };
      if (u.host) return { namespace: `${scheme}://${u.host}`, name: decodeURIComponent(u.pathname) || '/' };
    } catch {
      /* not a URL: fall back to the artifact's name */
    }
  }
  return { namespace: fallback, name: a.name };
}

function facet(name: string, fields: Record<string, unknown>): Record<string, unknown> {
  return { _producer: PRODUCER, _schemaURL: `${FACET_BASE}/${name}.json#/$defs/${name}`, ...fields };
}

export function toDataset(a: ArtifactRow, namespace: string): OlDataset {
  return {
    ...datasetName(a, namespace),
    facets: {
      sightline_contentHash: facet('ContentHashFacet', { algorithm: 'sha256', contentHash: a.content_hash, size: a.size, kind: a.kind, artifactId: a.id }),
    },
  };
}

export function toRunEvent(run: RunRow, inputs: ArtifactRow[], outputs: ArtifactRow[], opts: { namespace: string }): OlRunEvent {
  const time = run.end ?? run.start;
  return {
    eventType: run.status === 'failed' ? 'FAIL' : 'COMPLETE',
    eventTime: new Date(time).toISOString(),
    producer: PRODUCER,
    schemaURL: OPENLINEAGE_SCHEMA_URL,
    run: {
      runId: runUuid(run.id),
      facets: {
        sightline_run: facet('RunFacet', {
          sightlineRunId: run.id, startTime: new Date(run.start).toISOString(), endTime: run.end === null ? null : new Date(run.end).toISOString(),
          gitCommit: run.git_commit, gitDirty: run.git_dirty, codeFile: run.code_file, codeLine: run.code_line,
          params: run.params, metrics: run.metrics, notes: run.notes,
        }),
      },
    },
    job: { namespace: opts.namespace, name: run.component, facets: {} },
    inputs: inputs.map((a) => toDataset(a, opts.namespace)),
    outputs: outputs.map((a) => toDataset(a, opts.namespace)),
  };
}
