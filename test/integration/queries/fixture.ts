/**
 * A real trace for the editor's queries and views, made the way a user makes one:
 * a Python pipeline (raw → clean → features → train) logged through the lineage SDK; the real
 * daemon serving the sample's model v1 with v2 in shadow; April–June booking requests through the
 * real serving feature code (with its route-key bug), each at its original time; labels that
 * arrive late (only up to mid-June); the training table as baseline `train-v1`; drift and slices
 * saved as findings.
 */
import { sampleLabels } from '../../helpers/sample';
import path from 'node:path';
import { MODEL_V2, SAMPLE, startDaemon, type RunningDaemon } from '../../helpers/daemon';
import { makePipelineRepo, runPipeline } from '../../helpers/lineage';
import { loadRequests, servedFeatures } from '../skew/sample-traffic';

export const BASELINE_FILE = path.join(SAMPLE, 'baselines', 'train-v1.parquet');
/** Labels arrive late: none yet for flights from this day on. */
export const LABELS_UNTIL = '2001-06-16';

export interface SampleTrace {
  daemon: RunningDaemon;
  /** Requests sent (each scored by v1, served, and by v2 in shadow). */
  requests: number;
  labelled: number;
  /** Flight ids (join keys) in request order. */
  flightIds: string[];
  trainRunId: string;
  commit: string;
  repo: string;
}

/** Starts a daemon on a fresh trace and fills it (≈ 10–20 s for 6000 requests). */
export async function buildSampleTrace(opts: { requests?: number; dir?: string } = {}): Promise<SampleTrace> {
  const n = opts.requests ?? 6000;
  const daemon = await startDaemon([], opts.dir ? { dir: opts.dir } : {});
  try {
    const repo = makePipelineRepo(daemon.dir);
    const { result } = await runPipeline(repo, daemon.home, [path.join(SAMPLE, 'models', 'flights-delay-v1.onnx')]);
    await daemon.client.loadModel({ path: result.models[0]!, make_default: true });
    await daemon.client.loadModel({ path: MODEL_V2, make_default: false, shadow_of: 'flights-delay' });

    const raws = (await loadRequests(n)).sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0));
    const features = servedFeatures(raws);
    const BATCH = 500;
    for (let i = 0; i < raws.length; i += BATCH) {
      await daemon.client.predict({
        model: 'flights-delay',
        records: features.slice(i, i + BATCH).map((f) => ({ ...f })),
        join_keys: raws.slice(i, i + BATCH).map((r) => r.flight_id),
        times: raws.slice(i, i + BATCH).map((r) => r.date),
      });
    }
    const flightIds = raws.map((r) => r.flight_id);
    const late = new Set(raws.filter((r) => r.date >= LABELS_UNTIL).map((r) => r.flight_id));
    const labels = (await sampleLabels(flightIds)).filter((l) => !late.has(l.flight_id));
    for (let i = 0; i < labels.length; i += 5000) {
      await daemon.client.logLabels({ source: 'ops-delays', labels: labels.slice(i, i + 5000).map((l) => ({ join_key: l.flight_id, value: l.is_delayed })) });
    }
    await daemon.client.request('POST', '/v1/baselines', { name: 'train-v1', file: BASELINE_FILE, replace: true });
    await daemon.client.request('POST', '/v1/drift', { baseline: 'train-v1', window: { model: 'flights-delay' }, save: true });
    return { daemon, requests: raws.length, labelled: labels.length, flightIds, trainRunId: result.runs.train[0]!, commit: repo.commit, repo: repo.repo };
  } catch (err) {
    await daemon.stop();
    throw err;
  }
}
