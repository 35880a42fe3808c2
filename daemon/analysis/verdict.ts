/**
 * Drift verdicts from effect sizes (DESIGN "Statistics — exact definitions").
 *
 * Rules, each `metric ≥ threshold` (thresholds configurable per feature):
 *   numeric:     wasserstein_norm ≥ 0.1  or  psi ≥ 0.2
 *   categorical: js ≥ 0.1
 *
 * Effect sizes, not p-values, decide once both samples exceed `largeSample` (1000) values: at
 * that scale every p-value is tiny. Below it, effect sizes are noisy (10-bin PSI of two
 * samples of 50 from one distribution is ≈ 0.36 on average), so a rule must also be backed by
 * its test: KS p-value (numeric) or χ² p-value (categorical) < `alpha` (0.05).
 *
 * score / method / threshold: the rule that decided. When a rule fires, the firing rule with
 * the largest value/threshold; when none fires, the rule closest to firing (largest
 * value/threshold), so a feature's score always says how far it is from, or past, its line.
 */
import type { DriftMethod } from './drift-schema.js';

export type FeatureKind = 'numeric' | 'categorical';

export interface DriftThresholds {
  wasserstein_norm: number;
  psi: number;
  js: number;
}

export const DEFAULT_THRESHOLDS: Readonly<DriftThresholds> = Object.freeze({
  wasserstein_norm: 0.1,
  psi: 0.2,
  js: 0.1,
});

export interface VerdictOptions {
  /** Above this many values on both sides, effect sizes alone decide. */
  largeSample: number;
  /** Significance level a small-sample verdict must also reach. */
  alpha: number;
}

export const DEFAULT_VERDICT_OPTIONS: Readonly<VerdictOptions> = Object.freeze({
  largeSample: 1000,
  alpha: 0.05,
});

export interface VerdictInput {
  kind: FeatureKind;
  n: number;
  m: number;
  /** Effect sizes by rule metric (wasserstein_norm may be +Infinity); null when undefined. */
  effects: { wasserstein_norm?: number; psi?: number; js?: number } | null;
  /** The test p-value backing small-sample verdicts (null when undefined). */
  pValue: number | null;
}

export interface Verdict {
  drift: boolean;
  /** Value of the deciding metric; +Infinity possible (the report encodes it as null). */
  score: number;
  method: DriftMethod;
  threshold: number;
}

/** The metrics whose thresholds decide a feature of this kind, in order of preference on ties. */
export function ruleMetrics(kind: FeatureKind): DriftMethod[] {
  return kind === 'numeric' ? ['wasserstein_norm', 'psi'] : ['js'];
}

export function decideDrift(
  input: VerdictInput,
  thresholds: DriftThresholds = DEFAULT_THRESHOLDS,
  options: VerdictOptions = DEFAULT_VERDICT_OPTIONS,
): Verdict {
  const methods = ruleMetrics(input.kind);
  const primary = methods[0] ?? 'js';
  if (input.effects === null) {
    // A side without values: nothing to compare, no evidence of drift.
    return { drift: false, score: 0, method: primary, threshold: thresholds[primary] };
  }
  const rules = methods.map((method) => {
    const value = input.effects?.[method] ?? 0;
    const threshold = thresholds[method];
    return { method, value, threshold, severity: severity(value, threshold), fires: value >= threshold };
  });
  const significant =
    (input.n > options.largeSample && input.m > options.largeSample) ||
    (input.pValue !== null && input.pValue < options.alpha);
  const firing = rules.filter((r) => r.fires);
  const drift = significant && firing.length > 0;
  const candidates = firing.length > 0 ? firing : rules;
  const decided = candidates.reduce((best, r) => (r.severity > best.severity ? r : best));
  return { drift, score: decided.value, method: decided.method, threshold: decided.threshold };
}

/** value / threshold, the common scale for comparing rules and ranking features. */
export function severity(value: number, threshold: number): number {
  if (threshold > 0) return value / threshold;
  return value > 0 ? Infinity : 0;
}
