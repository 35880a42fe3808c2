import { cpSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { literal } from '../../../daemon/store/sql';
import { TraceStore } from '../../../daemon/store/trace-store';
import { SAMPLE } from '../../helpers/daemon';

export interface FindingRow {
  id: string;
  time: string;
  kind: string;
  feature: string | null;
  model_name: string | null;
  score: number | null;
  threshold: number | null;
  metric: string | null;
  baseline: string | null;
  window_desc: string | null;
  details: unknown;
}

const WINDOW = '2001-04-01..2001-06-30';
const BASELINE = 'train-v1';

/**
 * Findings as the analysis engine records them for the sample: the planted serving bug
 * (serving/features.ts keys routes "ORD|LAX" where training keys "ORD>LAX", so almost every route
 * falls back to the global rate) as row-level skew of route_delay_rate; spring drift of dep_hour
 * (PSI over training-quantile bins) and origin (JS over categories); a failing slice on
 * origin × dep_hour; unseen destination categories; a calm distance; and an older, superseded skew result.
 */
export const SAMPLE_FINDINGS: FindingRow[] = [
  {
    id: 'f-skew-old', time: '2001-06-30T12:00:00Z', kind: 'skew', feature: 'route_delay_rate', model_name: 'flights-delay',
    score: 0.12, threshold: 0.1, metric: 'js', baseline: BASELINE, window_desc: '2001-04-01..2001-04-30', details: { mode: 'replay', mismatch_rate: 0.5 },
  },
  {
    id: 'f-skew', time: '2001-07-01T09:00:00Z', kind: 'skew', feature: 'route_delay_rate', model_name: 'flights-delay',
    score: 0.41, threshold: 0.1, metric: 'js', baseline: BASELINE, window_desc: WINDOW,
    details: {
      mode: 'replay', mismatch_rate: 0.968, mean_abs_diff: 0.0612,
      examples: [
        { key: 'F1477911', training: 0.2391, serving: 0.1846 },
        { key: 'F1477912', training: 0.1513, serving: 0.1846 },
      ],
    },
  },
  {
    id: 'f-drift-hour', time: '2001-07-01T09:00:00Z', kind: 'drift', feature: 'dep_hour', model_name: 'flights-delay',
    score: 0.31, threshold: 0.2, metric: 'psi', baseline: BASELINE, window_desc: WINDOW,
    details: {
      histogram: { edges: [7, 9, 11, 12, 14, 15, 17, 18, 20] },
      ref: [0.08, 0.11, 0.1, 0.09, 0.11, 0.1, 0.12, 0.09, 0.11, 0.09],
      cur: [0.05, 0.07, 0.08, 0.08, 0.1, 0.1, 0.14, 0.12, 0.14, 0.12],
      missing_ref: 0, missing_cur: 0.004, n_ref: 869549, n_cur: 412733,
      metrics: { psi: 0.31, js: 0.142, wasserstein_norm: 0.118, ks: { statistic: 0.093, p_value: 0 } },
    },
  },
  {
    id: 'f-drift-origin', time: '2001-07-01T09:00:00Z', kind: 'drift', feature: 'origin', model_name: 'flights-delay',
    score: 0.23, threshold: 0.1, metric: 'js', baseline: BASELINE, window_desc: WINDOW,
    details: {
      histogram: { categories: ['ATL', 'ORD', 'DFW', 'LAX', 'PHX', 'DEN', 'OTHER'] },
      ref: [0.091, 0.083, 0.071, 0.052, 0.041, 0.039, 0.623],
      cur: [0.062, 0.088, 0.064, 0.049, 0.071, 0.045, 0.621],
      missing_ref: 0, missing_cur: 0, n_ref: 869549, n_cur: 412733,
      metrics: { js: 0.23, linf: 0.03, psi: 0.05, chi2: { statistic: 5211.4, dof: 6, p_value: 0 } },
    },
  },
  {
    id: 'f-drift-distance', time: '2001-07-01T09:00:00Z', kind: 'drift', feature: 'distance', model_name: 'flights-delay',
    score: 0.02, threshold: 0.2, metric: 'psi', baseline: BASELINE, window_desc: WINDOW,
    details: { missing_ref: 0, missing_cur: 0, metrics: { psi: 0.02 } },
  },
  {
    id: 'f-quality-dest', time: '2001-07-01T09:00:00Z', kind: 'quality', feature: 'destination', model_name: 'flights-delay',
    score: 0.0041, threshold: null, metric: 'unseen_categories', baseline: BASELINE, window_desc: WINDOW,
    details: { severity: 'warning', observed: { share: 0.0041, values: ['XNA', 'ACV'] }, expected: { categories: 61 } },
  },
  {
    id: 'f-slice', time: '2001-07-01T09:00:00Z', kind: 'slice', feature: 'origin', model_name: 'flights-delay',
    score: 0.62, threshold: 0.2, metric: 'error_rate', baseline: null, window_desc: WINDOW,
    details: {
      predicates: [{ feature: 'origin', op: '=', value: 'ORD' }, { feature: 'dep_hour', op: '>', value: 17 }],
      n: 1204, metric: 0.41, ci: [0.382, 0.438], effect_size: 0.62, p_adjusted: 1.2e-9,
    },
  },
];

/** Creates (or extends) a real trace file with these findings and (unless `models: false`) the sample's model versions. */
export async function writeTrace(file: string, rows: FindingRow[], opts: { replace?: boolean; models?: boolean } = {}): Promise<void> {
  const store = await openWithRetry(file);
  try {
    for (const v of opts.models === false ? [] : ['v1', 'v2']) {
      const card = JSON.parse(readFileSync(path.join(SAMPLE, 'models', `flights-delay-${v}.sightline.json`), 'utf8'));
      await store.upsertModel({ id: `sha-${v}`, name: card.name, version: card.version, path: null, inputs: [], outputs: [], card });
    }
    if (opts.replace) await store.conn.run('DELETE FROM findings');
    for (const r of rows) {
      const v = (x: string | null): string => (x === null ? 'NULL' : literal(x));
      const n = (x: number | null): string => (x === null ? 'NULL' : String(x));
      await store.conn.run(
        `INSERT INTO findings (id, time, kind, feature, model_name, score, threshold, metric, baseline, window_desc, details)
         VALUES (${literal(r.id)}, ${literal(r.time)}::TIMESTAMPTZ, ${literal(r.kind)}, ${v(r.feature)}, ${v(r.model_name)}, ${n(r.score)}, ${n(r.threshold)}, ${v(r.metric)}, ${v(r.baseline)}, ${v(r.window_desc)}, ${literal(JSON.stringify(r.details))})`,
      );
    }
    await store.checkpoint();
  } finally {
    store.close();
  }
}

/** The language server opens the file read-only now and then; a writer retries past that moment. */
async function openWithRetry(file: string): Promise<TraceStore> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await TraceStore.open(file);
    } catch (err) {
      if (attempt >= 50) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/**
 * A copy of the sample's feature code and configuration, for tests that write into the workspace
 * (mark as expected writes `.sightline/suppressions.json`); samples/ itself stays untouched.
 */
export function copySampleWorkspace(dir: string): string {
  const root = path.join(dir, 'flights');
  mkdirSync(root, { recursive: true });
  for (const f of ['sightline.json', 'features.py', 'serving', 'models', 'route_stats.json', 'airports.json']) {
    cpSync(path.join(SAMPLE, f), path.join(root, f), { recursive: true });
  }
  return root;
}
