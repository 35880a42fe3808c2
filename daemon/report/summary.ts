import { statSync } from 'node:fs';
import type { TraceStore } from '../store/trace-store';

/** What a trace holds, per model version and month: the CLI's `open` and the demo print this. */
export interface TraceSummary {
  path: string;
  bytes: number;
  schemaVersion: number | null;
  models: { id: string; name: string; version: string; path: string | null }[];
  groups: {
    model: string;
    source: string;
    month: string;
    predictions: number;
    labelled: number;
    positiveRate: number | null;
    accuracy: number | null;
    auc: number | null;
    p50Ms: number | null;
    p99Ms: number | null;
    providers: string;
  }[];
  totals: { predictions: number; labels: number; featureColumns: number };
}

/**
 * Label join: a label matches a prediction by prediction id or, failing that, by join key.
 * AUC is the Mann–Whitney form, AUC = (R₊ − n₊(n₊+1)/2) / (n₊·n₋), with R₊ the sum of the
 * positives' average ranks (ties share their mean rank), which equals sklearn's roc_auc_score.
 */
export async function summarizeTrace(store: TraceStore): Promise<TraceSummary> {
  const models = await store.query<{ id: string; name: string; version: string; path: string | null }>(
    'SELECT id, name, version, path FROM models ORDER BY name, version',
  );
  const groups = await store.query<Record<string, unknown>>(`
    WITH lab AS (
      SELECT p.*, coalesce(l1.value, l2.value) AS y
      FROM predictions p
      LEFT JOIN (SELECT prediction_id, any_value(value) AS value FROM labels WHERE prediction_id IS NOT NULL GROUP BY 1) l1
             ON l1.prediction_id = p.id
      LEFT JOIN (SELECT join_key, any_value(value) AS value FROM labels WHERE join_key IS NOT NULL GROUP BY 1) l2
             ON l2.join_key = p.join_key
    ),
    ranked AS (
      SELECT *, model_name || '@' || model_version AS model, strftime(time, '%Y-%m') AS month_served,
             avg(rn) OVER (PARTITION BY model_name, model_version, source, score) AS avg_rank
      FROM (SELECT *, row_number() OVER (PARTITION BY model_name, model_version, source ORDER BY score) AS rn FROM lab WHERE y IS NOT NULL AND score IS NOT NULL)
    ),
    auc AS (
      SELECT model, source,
             (sum(avg_rank) FILTER (WHERE y = 1) - count(*) FILTER (WHERE y = 1) * (count(*) FILTER (WHERE y = 1) + 1) / 2.0)
               / nullif(count(*) FILTER (WHERE y = 1) * count(*) FILTER (WHERE y = 0), 0) AS auc
      FROM ranked GROUP BY ALL
    )
    SELECT l.model_name || '@' || l.model_version AS model, l.source,
           count(*)::BIGINT AS predictions,
           count(l.y)::BIGINT AS labelled,
           avg(l.y) AS positive_rate,
           avg(CASE WHEN l.y IS NULL OR l.label_pred IS NULL THEN NULL WHEN TRY_CAST(l.label_pred AS DOUBLE) = l.y THEN 1.0 ELSE 0.0 END) AS accuracy,
           any_value(a.auc) AS auc,
           quantile_cont(l.latency_ms, 0.5) AS p50,
           quantile_cont(l.latency_ms, 0.99) AS p99,
           string_agg(DISTINCT l.execution_provider, ',') AS providers
    FROM lab l LEFT JOIN auc a ON a.model = l.model_name || '@' || l.model_version AND a.source = l.source
    GROUP BY ALL ORDER BY model, source
  `);
  const totals = (await store.query<Record<string, unknown>>(`
    SELECT (SELECT count(*) FROM predictions)::BIGINT AS predictions, (SELECT count(*) FROM labels)::BIGINT AS labels,
           (SELECT count(*) FROM feature_columns)::BIGINT AS feature_columns`))[0] ?? {};
  const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
  return {
    path: store.path,
    bytes: store.path === ':memory:' ? 0 : statSync(store.path).size,
    schemaVersion: await store.schemaVersion(),
    models,
    groups: groups.map((g) => ({
      model: String(g.model), source: String(g.source), month: 'all', predictions: Number(g.predictions), labelled: Number(g.labelled),
      positiveRate: num(g.positive_rate), accuracy: num(g.accuracy), auc: num(g.auc), p50Ms: num(g.p50), p99Ms: num(g.p99), providers: String(g.providers ?? ''),
    })),
    totals: { predictions: Number(totals.predictions ?? 0), labels: Number(totals.labels ?? 0), featureColumns: Number(totals.feature_columns ?? 0) },
  };
}

export function formatSummary(s: TraceSummary): string {
  const lines: string[] = [];
  const mb = (s.bytes / 1e6).toFixed(1);
  lines.push(`trace ${s.path} (${mb} MB, schema v${s.schemaVersion ?? '?'})`);
  lines.push(`  ${s.totals.predictions} predictions, ${s.totals.labels} labels, ${s.models.length} model(s), ${s.totals.featureColumns} feature columns`);
  for (const g of s.groups) {
    const pct = (x: number | null): string => (x === null ? '–' : `${(x * 100).toFixed(1)}%`);
    const f3 = (x: number | null): string => (x === null ? '–' : x.toFixed(3));
    const ms = (x: number | null): string => (x === null ? '–' : `${x.toFixed(2)} ms`);
    lines.push(
      `  ${g.model} [${g.source}] ${g.predictions} predictions on ${g.providers || '–'}; labels ${g.labelled} (${pct(g.predictions ? g.labelled / g.predictions : null)} coverage, ${pct(g.positiveRate)} delayed); accuracy ${f3(g.accuracy)}, AUC ${f3(g.auc)}; latency p50 ${ms(g.p50Ms)}, p99 ${ms(g.p99Ms)}`,
    );
  }
  return lines.join('\n');
}
