import { z } from 'zod';
import { LINEAGE_TABLES } from './source';

/** The Parquet export's manifest (underscore-prefixed: Spark and Hive skip it when listing data). */
export const PARQUET_MANIFEST = '_sightline.json';

/** Tables written as one plain Parquet file each (predictions are partitioned; baselines' rows go to baselines/NAME.parquet). */
export const PARQUET_TABLES = ['meta', 'models', 'feature_columns', 'labels', 'findings', 'runs', 'baselines', ...LINEAGE_TABLES] as const;

/** Column names of `predictions` in the Parquet layout other than features (and the partition keys). */
const FIXED = ['id', 'time', 'model_id', 'model_name', 'model_version', 'request_id', 'join_key', 'source', 'execution_provider', 'latency_ms', 'score', 'label_pred', 'outputs', 'raw', 'date', 'model'];

export const ParquetManifest = z.object({
  format: z.literal('sightline-parquet'),
  layout: z.literal(1),
  trace_schema_version: z.number().int().nonnegative(),
  predictions: z.object({ path: z.literal('predictions'), partitioning: z.array(z.string()), rows: z.number().int().nonnegative() }),
  feature_columns: z.array(z.object({ feature: z.string().max(1000), kind: z.enum(['numeric', 'categorical', 'attribute']), parquet_column: z.string().max(1100) })).max(10_000),
  tables: z.array(z.string()),
});
export type ParquetManifest = z.infer<typeof ParquetManifest>;

/**
 * Parquet column names for features: the feature's own name, unless it would clash (DuckDB and
 * Spark compare names case-insensitively) with a fixed column, a partition key or another feature
 * of a different kind: then `name__kind`.
 */
export function parquetFeatureNames<T extends { feature: string; kind: string; column: string }>(cols: readonly T[]): (T & { parquet: string })[] {
  const taken = new Set(FIXED);
  const counts = new Map<string, number>();
  for (const c of cols) counts.set(c.feature.toLowerCase(), (counts.get(c.feature.toLowerCase()) ?? 0) + 1);
  return cols.map((c) => {
    let name = c.feature;
    if (taken.has(name.toLowerCase()) || (counts.get(name.toLowerCase()) ?? 0) > 1) name = `${c.feature}__${c.kind}`;
    let unique = name;
    for (let i = 2; taken.has(unique.toLowerCase()); i++) unique = `${name}_${i}`;
    taken.add(unique.toLowerCase());
    return { ...c, parquet: unique };
  });
}
