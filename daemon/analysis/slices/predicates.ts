/**
 * Slice predicates ({ feature, op, value }) as SQL and as text.
 *
 * Values are read as everywhere else in the analysis (feature-values.ts): a numeric attribute as
 * TRY_CAST(x AS DOUBLE) with NaN/±∞ counted as missing, a categorical one as CAST(x AS VARCHAR).
 */
import type { SliceCondition } from '../../../protocol';
import { featureValueSql } from '../feature-values.js';
import { doubleLiteral, quoteLiteral } from '../sql.js';
import type { FeatureKind } from '../verdict.js';

/** The kind a predicate implies: range operators read numbers, `==` reads text. */
export function predicateKind(p: SliceCondition, kinds?: ReadonlyMap<string, FeatureKind>): FeatureKind {
  if (p.op === '<=' || p.op === '>' || p.op === 'between') return 'numeric';
  if (p.op === '==') return 'categorical';
  return kinds?.get(p.feature) ?? 'categorical';
}

/** SQL boolean expression: does a row (columns named by feature) match the predicate? */
export function predicateSql(p: SliceCondition, kinds?: ReadonlyMap<string, FeatureKind>): string {
  const value = featureValueSql(p.feature, predicateKind(p, kinds));
  switch (p.op) {
    case 'is_null':
      return `(${value} IS NULL)`;
    case '==':
      if (p.value === null) return `(${value} IS NULL)`;
      return `(${value} = ${quoteLiteral(String(p.value))})`;
    case '<=':
      return `(${value} <= ${doubleLiteral(numberValue(p))})`;
    case '>':
      return `(${value} > ${doubleLiteral(numberValue(p))})`;
    case 'between': {
      if (!Array.isArray(p.value)) throw new Error(`predicate on ${p.feature}: between needs [lo, hi]`);
      const [lo, hi] = p.value;
      return `(${value} > ${doubleLiteral(lo)} AND ${value} <= ${doubleLiteral(hi)})`;
    }
  }
}

/** SQL boolean expression for a conjunction (true for no predicates). */
export function conjunctionSql(predicates: readonly SliceCondition[], kinds?: ReadonlyMap<string, FeatureKind>): string {
  return predicates.length === 0 ? 'true' : predicates.map((p) => predicateSql(p, kinds)).join(' AND ');
}

/** `origin == JFK`, `dep_hour > 18`, `12 < dep_hour ≤ 14`, `distance is missing`. */
export function describePredicate(p: SliceCondition): string {
  switch (p.op) {
    case 'is_null':
      return `${p.feature} is missing`;
    case '==':
      return `${p.feature} == ${String(p.value)}`;
    case '<=':
      return `${p.feature} ≤ ${fmt(numberValue(p))}`;
    case '>':
      return `${p.feature} > ${fmt(numberValue(p))}`;
    case 'between': {
      const [lo, hi] = p.value as [number, number];
      return `${fmt(lo)} < ${p.feature} ≤ ${fmt(hi)}`;
    }
  }
}

export function describeSlice(predicates: readonly SliceCondition[]): string {
  return predicates.map(describePredicate).join(' ∧ ');
}

function numberValue(p: SliceCondition): number {
  if (typeof p.value !== 'number') throw new Error(`predicate on ${p.feature}: ${p.op} needs a number`);
  return p.value;
}

function fmt(x: number): string {
  return Number.isInteger(x) ? String(x) : String(Number(x.toPrecision(6)));
}
