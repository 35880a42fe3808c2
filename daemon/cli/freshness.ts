import type { Command } from 'commander';
import { computeFreshness, DEFAULT_FRESHNESS_LIMITS } from '../analysis/freshness';
import { FreshnessReport, SightlineError, type FreshnessLimits, type FreshnessRequest } from '../../protocol';
import { table } from './models';
import { EXIT, printJson, runCommand } from './output';
import { closeTrace, openTrace } from './trace-access';

/**
 * `sightline freshness --db TRACE`: model age, age of the newest prediction and label, label
 * coverage, and results that stopped changing (stuck eval runs or pipeline metrics). With
 * `--check` the command is a gate: exit 1 when a limit is exceeded or something is stuck.
 * JSON: `FreshnessReport` (`sightline schema FreshnessReport`).
 */
export function registerFreshness(program: Command): void {
  const d = DEFAULT_FRESHNESS_LIMITS;
  program
    .command('freshness')
    .description('is the model old, has traffic or have labels stopped, has a golden-set result stopped changing?')
    .requiredOption('--db <trace>', 'a trace file (through the daemon that holds it, else opened read-only)')
    .option('--model <ref>', 'only this model (name or name@version)')
    .option('--now <time>', 'measure ages against this ISO time instead of the clock (replayed or old traffic)')
    .option('--max-model-age-days <n>', 'limit on the time since training', String(d.max_model_age_days))
    .option('--max-prediction-age-hours <n>', 'limit on the age of the newest prediction', String(d.max_prediction_age_hours))
    .option('--max-label-age-hours <n>', 'limit on the age of the newest label', String(d.max_label_age_hours))
    .option('--min-label-coverage <share>', 'labelled share of predictions older than the label delay, at least', String(d.min_label_coverage))
    .option('--label-delay-hours <n>', 'labels of younger predictions are not expected yet', String(d.label_delay_hours))
    .option('--stuck-runs <k>', 'identical results in the last K runs are stuck', String(d.stuck_runs))
    .option('--check', 'exit 1 when a limit is exceeded or a result is stuck', false)
    .option('--json', 'print the report as JSON (schema: `sightline schema FreshnessReport`)')
    .action((opts) => runCommand(async () => {
      const limits: FreshnessLimits = {
        max_model_age_days: positive(opts.maxModelAgeDays, '--max-model-age-days'),
        max_prediction_age_hours: positive(opts.maxPredictionAgeHours, '--max-prediction-age-hours'),
        max_label_age_hours: positive(opts.maxLabelAgeHours, '--max-label-age-hours'),
        min_label_coverage: share(opts.minLabelCoverage, '--min-label-coverage'),
        label_delay_hours: nonNegative(opts.labelDelayHours, '--label-delay-hours'),
        stuck_runs: Math.max(2, Math.floor(positive(opts.stuckRuns, '--stuck-runs'))),
      };
      let now: Date | undefined;
      if (opts.now) {
        now = new Date(String(opts.now));
        if (Number.isNaN(now.getTime())) throw new SightlineError('invalid_request', `--now ${JSON.stringify(opts.now)} is not an ISO time`);
      }
      const access = await openTrace(String(opts.db), { write: false });
      let report: FreshnessReport;
      try {
        if (access.kind === 'daemon') {
          const req: FreshnessRequest = { ...(opts.model ? { model: String(opts.model) } : {}), ...(now ? { now: now.toISOString() } : {}), limits };
          report = await access.client.request<FreshnessReport>('POST', '/v1/freshness', req);
        } else report = await computeFreshness(access.store.conn, { ...(opts.model ? { model: String(opts.model) } : {}), ...(now ? { now } : {}), limits });
      } finally {
        closeTrace(access);
      }
      if (opts.model && report.models.length === 0) throw new SightlineError('not_found', `no model "${opts.model}" in ${opts.db}`);
      if (opts.json) printJson(FreshnessReport.parse(report));
      else printFreshness(report);
      return opts.check && !report.ok ? EXIT.gateFailed : EXIT.ok;
    }));
}

export function printFreshness(report: FreshnessReport): void {
  process.stdout.write(`freshness at ${report.now}: ${report.ok ? 'ok' : 'NOT OK'}\n`);
  for (const m of report.models) {
    process.stdout.write(`\n${m.model}: ${m.predictions} predictions, ${m.labelled} labelled\n`);
    table(['CHECK', 'OK', 'DETAIL'], m.checks.map((c) => [c.check, c.ok ? 'ok' : 'FAIL', c.message]));
  }
  for (const s of report.stuck) {
    if (s.stuck) process.stdout.write(`\nSTUCK: ${s.source} ${s.group}: the last ${s.run_ids.length} runs (${s.run_ids.join(', ')}) repeat ${Object.keys(s.values).length} numbers exactly\n`);
  }
}

function positive(value: unknown, flag: string): number {
  const x = Number(value);
  if (!(x > 0) || !Number.isFinite(x)) throw new SightlineError('invalid_request', `${flag} needs a positive number, got ${JSON.stringify(value)}`);
  return x;
}

function nonNegative(value: unknown, flag: string): number {
  const x = Number(value);
  if (!(x >= 0) || !Number.isFinite(x)) throw new SightlineError('invalid_request', `${flag} needs a number ≥ 0, got ${JSON.stringify(value)}`);
  return x;
}

function share(value: unknown, flag: string): number {
  const x = Number(value);
  if (!(x >= 0 && x <= 1)) throw new SightlineError('invalid_request', `${flag} needs a share in [0, 1], got ${JSON.stringify(value)}`);
  return x;
}
