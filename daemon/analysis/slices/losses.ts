/**
 * Per-row losses of slice discovery, as SQL over `__p` (the score: finite DOUBLE or NULL) and
 * `__y` (the label as DOUBLE or NULL). A row whose loss is NULL is not analysed.
 *
 * - zero_one:       1 when [p ≥ threshold] ≠ [y = positive], else 0 (the error rate);
 * - log_loss:       sklearn's per-row log loss of p for the 0/1 label [y = positive]
 *                   (metrics/classification.ts: clipped at 1e-15, renormalised);
 * - abs_error:      |p − y|;
 * - score_shift:    p (no label: slices whose predictions sit apart from the rest's);
 * - low_confidence: 1 − |p − threshold| / max(threshold, 1 − threshold) (no label: 1 at the
 *                   decision threshold, 0 at the far end of [0, 1]).
 */
import type { SliceLoss } from '../../../protocol';
import { logLossSql } from '../metrics/classification.js';
import { doubleLiteral } from '../sql.js';

export const LABEL_LOSSES: readonly SliceLoss[] = ['zero_one', 'log_loss', 'abs_error'];

export function usesLabels(loss: SliceLoss): boolean {
  return LABEL_LOSSES.includes(loss);
}

export function lossSql(loss: SliceLoss, opts: { threshold: number; positive: number }): string {
  const t = doubleLiteral(opts.threshold);
  const positive = doubleLiteral(opts.positive);
  const y01 = `(CASE WHEN __y = ${positive} THEN 1.0 ELSE 0.0 END)`;
  switch (loss) {
    case 'zero_one':
      return `CASE WHEN __p IS NULL OR __y IS NULL THEN NULL WHEN (__p >= ${t}) = (__y = ${positive}) THEN 0.0 ELSE 1.0 END`;
    case 'log_loss':
      return `CASE WHEN __p IS NULL OR __y IS NULL THEN NULL ELSE ${logLossSql('__p', y01)} END`;
    case 'abs_error':
      return `abs(__p - __y)`;
    case 'score_shift':
      return `__p`;
    case 'low_confidence':
      return `1 - abs(__p - ${t}) / greatest(${t}, 1 - ${t})`;
  }
}
