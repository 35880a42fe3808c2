/**
 * How a feature's column is read in SQL, shared by drift and quality so that both agree on
 * what counts as a value and what as missing.
 *
 * numeric:     TRY_CAST(column AS DOUBLE); missing = NULL, unparsable, NaN or ±∞
 * categorical: CAST(column AS VARCHAR);   missing = NULL (the empty string is a category)
 */
import { quoteIdentifier } from './sql.js';
import type { FeatureKind } from './verdict.js';

/** SQL expression for the feature's value (DOUBLE or VARCHAR), NULL when missing. */
export function featureValueSql(feature: string, kind: FeatureKind): string {
  const column = quoteIdentifier(feature);
  if (kind === 'categorical') return `CAST(${column} AS VARCHAR)`;
  const number = `TRY_CAST(${column} AS DOUBLE)`;
  return `CASE WHEN isfinite(${number}) THEN ${number} END`;
}
