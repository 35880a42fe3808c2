import type { Command } from 'commander';
import { SightlineError, type ReviewResult } from '../../protocol';
import { withLineage } from './lineage-access';
import { table } from './models';
import { printJson, runCommand } from './output';

export function registerReview(program: Command): void {
  program
    .command('review')
    .description('rank the component runs, artifacts and models most associated with flagged predictions (effect size and Fisher exact test, not raw counts)')
    .option('--trace <file>', 'a trace file: through the daemon that holds it, else opened read-only in-process (default: the running daemon)')
    .option('--alpha <q>', 'false discovery rate (Benjamini–Hochberg) for "significant"', '0.05')
    .option('--limit <n>', 'rows to show', '20')
    .option('--json', 'print the ranking as JSON (schema: `sightline schema ReviewResult`)')
    .action((opts) => runCommand(async () => {
      const alpha = Number(opts.alpha);
      const limit = Number(opts.limit);
      if (!(alpha > 0 && alpha < 1)) throw new SightlineError('invalid_request', `--alpha must be between 0 and 1, got ${opts.alpha}`);
      if (!Number.isInteger(limit) || limit < 1) throw new SightlineError('invalid_request', `--limit must be a positive integer, got ${opts.limit}`);
      const res = await withLineage(opts.trace, { write: false }, (api) => api.review({ alpha, limit }));
      if (opts.json) return printJson(res);
      printReview(res);
    }));
}

export function printReview(res: ReviewResult): void {
  const out = process.stdout;
  out.write(`${res.flagged} flagged of ${res.flagged + res.unflagged} predictions (${res.models} model${res.models === 1 ? '' : 's'})\n`);
  out.write(`method: ${res.method}; significant at q < ${res.alpha}\n`);
  if (res.flagged === 0) {
    out.write('nothing flagged yet: flag wrong predictions with `sightline flag <prediction id> --reason …`\n');
    return;
  }
  if (res.entries.length === 0) return void out.write('no lineage nodes in the traces of these predictions\n');
  const pct = (n: number, d: number): string => (d > 0 ? `${((100 * n) / d).toFixed(1)}%` : '-');
  table(
    ['#', 'KIND', 'NODE', 'IN FLAGGED', 'IN UNFLAGGED', 'DIFF', 'LOG OR', 'P', 'Q', ''],
    res.entries.map((e) => [
      String(e.rank), e.kind, e.label,
      `${pct(e.flagged_with, e.flagged_total)} (${e.flagged_with}/${e.flagged_total})`,
      `${pct(e.unflagged_with, e.unflagged_total)} (${e.unflagged_with}/${e.unflagged_total})`,
      `${e.difference >= 0 ? '+' : ''}${e.difference.toFixed(3)}`, e.log_odds_ratio.toFixed(2),
      e.p_value.toExponential(2), e.q_value.toExponential(2), e.significant ? '*' : '',
    ]),
  );
  const top = res.entries[0]!;
  if (top.same_traces_as.length > 0) out.write(`note: ${top.label} appears in exactly the same traces as ${top.same_traces_as.join(', ')}; the flags cannot tell them apart\n`);
  if (res.flagged_runs.length + res.flagged_artifacts.length > 0) out.write(`also flagged directly: ${res.flagged_runs.length} run(s), ${res.flagged_artifacts.length} artifact(s)\n`);
}
