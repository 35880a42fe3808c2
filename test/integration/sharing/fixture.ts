/**
 * A demo-like trace for the sharing tests, made the way the demo makes one (and independent of
 * samples/flights/.sightline): the real daemon serving the sample's model v1 with `--log-raw`, the
 * training pipeline's lineage ingested from its spool, April–June booking requests through the
 * real serving feature code at their original times, labels by join key, the training table as
 * baseline `train-v1`, drift and quality findings — plus, as a real service would log them, slice
 * attributes that are personal (a passenger's email, the client's IP and user agent, a free-text
 * note) and a skew finding whose examples name flight ids.
 */
import { copyFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { replaceFindings } from '../../../daemon/findings/findings-store';
import { TraceStore } from '../../../daemon/store/trace-store';
import { MODEL_V1, SAMPLE, startDaemon } from '../../helpers/daemon';
import { loadRequests, servedFeatures } from '../skew/sample-traffic';
import { sampleLabels } from '../../helpers/sample';

export const BASELINE_FILE = path.join(SAMPLE, 'baselines', 'train-v1.parquet');
const AGENTS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148',
  'okhttp/4.12.0',
];

export interface SharingTrace {
  trace: string;
  flightIds: string[];
  requests: number;
  modelId: string;
  /** Flight ids named in the skew finding's examples. */
  exampleKeys: string[];
}

/** Personal attributes of request i (deterministic). */
export function personalAttributes(i: number): Record<string, string> {
  return {
    customer_email: `passenger${i % 500}@example.com`,
    client_ip: `10.${i % 200}.${(i * 7) % 250}.${(i * 13) % 250}`,
    user_agent: AGENTS[i % AGENTS.length]!,
    booking_note: i % 2 === 0 ? `Passenger ${i} asked for an aisle seat near the front and travels with a small dog` : 'none',
    fare_class: ['economy', 'premium', 'business'][i % 3]!,
  };
}

export async function buildSharingTrace(dir: string, requests = 1500): Promise<SharingTrace> {
  mkdirSync(path.join(dir, 'home', 'spool'), { recursive: true });
  copyFileSync(path.join(SAMPLE, 'lineage', 'pipeline-runs.jsonl'), path.join(dir, 'home', 'spool', 'pipeline-runs.jsonl'));
  const daemon = await startDaemon(['--model', MODEL_V1, '--log-raw'], { dir });
  let modelId = '';
  let flightIds: string[] = [];
  try {
    const raws = (await loadRequests(requests)).sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : a.flight_id < b.flight_id ? -1 : 1));
    const features = servedFeatures(raws);
    for (let i = 0; i < raws.length; i += 250) {
      const res = await daemon.client.predict({
        model: 'flights-delay',
        records: features.slice(i, i + 250).map((f) => ({ ...f })),
        join_keys: raws.slice(i, i + 250).map((r) => r.flight_id),
        times: raws.slice(i, i + 250).map((r) => r.date),
        attributes: raws.slice(i, i + 250).map((_, j) => personalAttributes(i + j)),
        // The raw request is what --log-raw keeps (it carries the flight id: the join key under its own name).
        raw: raws.slice(i, i + 250).map((r) => ({ ...r })),
      });
      modelId = res.model.id;
    }
    flightIds = raws.map((r) => r.flight_id);
    const labels = await sampleLabels(flightIds);
    await daemon.client.logLabels({ source: 'ops-delays', labels: labels.map((l) => ({ join_key: l.flight_id, value: l.is_delayed })) });
    await daemon.client.request('POST', '/v1/baselines', { name: 'train-v1', file: BASELINE_FILE, replace: true });
    await daemon.client.request('POST', '/v1/drift', { baseline: 'train-v1', window: { model: 'flights-delay' }, save: true });
    await daemon.client.request('POST', '/v1/quality', { baseline: 'train-v1', window: { model: 'flights-delay' }, save: true });
  } finally {
    const code = await daemon.stop();
    if (code !== 0) throw new Error(`daemon exited with ${code}: ${daemon.stderr()}`);
  }
  // A row-level skew finding as the skew analysis stores it (examples are keyed by flight id).
  const exampleKeys = [flightIds[3]!, flightIds[10]!];
  const store = await TraceStore.open(daemon.trace);
  try {
    await replaceFindings(store, { kind: 'skew', model_name: 'flights-delay', baseline: 'features.py' }, [{
      kind: 'skew', feature: 'route_delay_rate', model_name: 'flights-delay', score: 0.97, threshold: 0.1, metric: 'mismatch_rate',
      baseline: 'features.py', window_desc: '2001-04-01..2001-07-01, flights-delay',
      details: { mode: 'replay', mismatch_rate: 0.97, examples: exampleKeys.map((k) => ({ key: k, training: 0.2391, serving: 0.2183 })) },
    }]);
  } finally {
    store.close();
  }
  return { trace: daemon.trace, flightIds, requests: flightIds.length, modelId, exampleKeys };
}
