import type { RetentionResult } from '../../protocol';

export function formatRetention(r: RetentionResult): string {
  const d = r.deleted;
  const verb = r.dry_run ? 'would delete' : 'deleted';
  const lines = [
    `${r.action} ${r.trace}${r.cutoff ? ` (cutoff ${r.cutoff})` : ''}: ${verb} ${d.predictions} prediction(s), ${d.labels} label(s), ${d.findings} finding(s), ${d.flags} flag(s)${d.baseline_rows ? `, ${d.baseline_rows} baseline row(s)` : ''}`,
  ];
  if (r.keys_not_found.length) lines.push(`  no rows for key(s): ${r.keys_not_found.join(', ')}`);
  if (!r.dry_run) lines.push(`  file ${(r.bytes_before / 1e6).toFixed(2)} MB → ${(r.bytes_after / 1e6).toFixed(2)} MB${r.compacted ? ' (rewritten: deleted rows are gone from disk)' : ' (freed blocks reused by DuckDB, not zeroed)'}`);
  for (const n of r.notes) lines.push(`  note: ${n}`);
  return lines.join('\n');
}
