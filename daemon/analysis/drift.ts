/**
 * Drift of current data against reference data, feature by feature, pushed into DuckDB:
 * one query per feature (numeric-drift.ts, categorical-drift.ts), after one scan of the
 * reference that tells how to sort each numeric feature; JavaScript loops only over
 * features, bins and categories. The result is the `DriftReport` of drift-schema.ts.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { categoricalDrift, type CategoricalDriftResult } from './categorical-drift.js';
import type { DriftReport, FeatureDrift } from './drift-schema.js';
import { cdfStrategies, numericDrift, type NumericDriftResult, type SampleCounts } from './numeric-drift.js';
import {
  decideDrift,
  DEFAULT_THRESHOLDS,
  DEFAULT_VERDICT_OPTIONS,
  severity,
  type DriftThresholds,
  type FeatureKind,
  type Verdict,
  type VerdictOptions,
} from './verdict.js';

export interface DriftFeature {
  /** Column name in both relations (any text; it is quoted). */
  name: string;
  kind: FeatureKind;
  /** Overrides of the default thresholds for this feature. */
  thresholds?: Partial<DriftThresholds>;
}

export interface DriftRequest {
  /**
   * The reference and current data: trusted SQL that may stand after FROM — a quoted table
   * name (`tableRelation(...)`), a parenthesised SELECT (`queryRelation(...)`), or a table
   * function such as `read_parquet('…')`. Never user-typed text.
   */
  reference: string;
  current: string;
  features: DriftFeature[];
  /** Small-sample rule (see verdict.ts); defaults: largeSample 1000, alpha 0.05. */
  options?: Partial<VerdictOptions>;
}

/**
 * `lanes`: further connections to the same database (seeing the same relations; so no TEMP
 * objects of `conn` in them). Features are then computed on `conn` and the lanes at once, each
 * connection taking the next feature when its last one is done. Why: DuckDB uses every core
 * inside a query's sort, but a numeric feature's running counts run in one thread
 * (cdf-distance.ts), and a second feature's query fills the core that leaves idle.
 */
export async function computeDrift(
  conn: DuckDBConnection,
  request: DriftRequest,
  lanes: readonly DuckDBConnection[] = [],
): Promise<DriftReport> {
  const options: VerdictOptions = { ...DEFAULT_VERDICT_OPTIONS, ...request.options };
  // How each numeric feature's CDF is built, from one cheap scan of each relation for all of them.
  const numeric = request.features.filter((f) => f.kind === 'numeric').map((f) => f.name);
  const strategies = await cdfStrategies(conn, request.reference, numeric);
  const { reference, current } = request;
  const entryOf = async (lane: DuckDBConnection, feature: DriftFeature): Promise<FeatureDrift> => {
    const thresholds = withDefaults(feature.thresholds);
    return feature.kind === 'numeric'
      ? numericEntry(feature.name, await numericDrift(lane, reference, current, feature.name, strategies.get(feature.name)), thresholds, options)
      : categoricalEntry(feature.name, await categoricalDrift(lane, reference, current, feature.name), thresholds, options);
  };
  const entries: FeatureDrift[] = new Array(request.features.length);
  let next = 0;
  const work = async (lane: DuckDBConnection): Promise<void> => {
    while (next < request.features.length) {
      const i = next++;
      entries[i] = await entryOf(lane, request.features[i]!);
    }
  };
  // Settled, not all: when one lane fails, the others finish their query before the caller
  // closes their connections.
  const failed = (await Promise.allSettled([conn, ...lanes].map(work))).find((r) => r.status === 'rejected');
  if (failed) throw failed.reason;
  const ranked = entries.map((entry) => ({ entry, severity: entry.score === null ? Infinity : severity(entry.score, entry.threshold) }));
  ranked.sort(
    (a, b) =>
      Number(b.entry.drift) - Number(a.entry.drift) ||
      compareDescending(a.severity, b.severity) ||
      (a.entry.name < b.entry.name ? -1 : a.entry.name > b.entry.name ? 1 : 0),
  );
  const features = ranked.map((r) => r.entry);
  return { features, drifted: features.filter((f) => f.drift).map((f) => f.name) };
}

function numericEntry(
  name: string,
  result: NumericDriftResult,
  thresholds: DriftThresholds,
  options: VerdictOptions,
): FeatureDrift {
  const m = result.metrics;
  const verdict = decideDrift(
    {
      kind: 'numeric',
      n: result.n_ref,
      m: result.n_cur,
      effects: m && { wasserstein_norm: m.wasserstein_norm, psi: m.psi },
      pValue: m?.ks_p_value ?? null,
    },
    thresholds,
    options,
  );
  return {
    name,
    kind: 'numeric',
    ...counts(result),
    metrics: {
      ks: { statistic: m?.ks_statistic ?? null, p_value: m?.ks_p_value ?? null },
      wasserstein: m?.wasserstein ?? null,
      wasserstein_norm: finiteOrNull(m?.wasserstein_norm),
      psi: m?.psi ?? null,
      js: m?.js ?? null,
    },
    ...verdictFields(verdict),
  };
}

function categoricalEntry(
  name: string,
  result: CategoricalDriftResult,
  thresholds: DriftThresholds,
  options: VerdictOptions,
): FeatureDrift {
  const m = result.metrics;
  const verdict = decideDrift(
    {
      kind: 'categorical',
      n: result.n_ref,
      m: result.n_cur,
      effects: m && { js: m.js },
      pValue: m?.chi2.p_value ?? null,
    },
    thresholds,
    options,
  );
  return {
    name,
    kind: 'categorical',
    ...counts(result),
    metrics: {
      linf: m?.linf ?? null,
      js: m?.js ?? null,
      psi: m?.psi ?? null,
      chi2: {
        statistic: m?.chi2.statistic ?? null,
        dof: m?.chi2.dof ?? null,
        p_value: m?.chi2.p_value ?? null,
      },
    },
    ...verdictFields(verdict),
  };
}

function counts(result: SampleCounts) {
  return {
    n_ref: result.n_ref,
    n_cur: result.n_cur,
    missing_ref: missingRate(result.rows_ref, result.n_ref),
    missing_cur: missingRate(result.rows_cur, result.n_cur),
  };
}

/** Share of rows without a usable value; 0 for a relation without rows. */
export function missingRate(rows: number, values: number): number {
  return rows === 0 ? 0 : (rows - values) / rows;
}

function verdictFields(verdict: Verdict) {
  return {
    drift: verdict.drift,
    score: finiteOrNull(verdict.score),
    method: verdict.method,
    threshold: verdict.threshold,
  };
}

/** JSON cannot hold Infinity: +∞ travels as null (see drift-schema.ts). */
function finiteOrNull(value: number | undefined): number | null {
  return value === undefined || !Number.isFinite(value) ? null : value;
}

/** The feature's thresholds over the defaults; an override left undefined keeps the default. */
function withDefaults(overrides: Partial<DriftThresholds> | undefined): DriftThresholds {
  return {
    wasserstein_norm: overrides?.wasserstein_norm ?? DEFAULT_THRESHOLDS.wasserstein_norm,
    psi: overrides?.psi ?? DEFAULT_THRESHOLDS.psi,
    js: overrides?.js ?? DEFAULT_THRESHOLDS.js,
  };
}

function compareDescending(a: number, b: number): number {
  return a === b ? 0 : a > b ? -1 : 1;
}
