import type { Command } from 'commander';
import path from 'node:path';
import { ReplayRequest, SightlineError } from '../../protocol';
import { describeIdentifiers } from '../gates';
import { emitReport, int, num, requestError, runFromCli, runOptionFlags, runOptionsFrom, sliceLossOption, type RunCliOpts } from '../replay/cli-support';
import { runCommand } from './output';

const HELP = `
Traffic: a trace file (its logged predictions: features from the log, labels from the labels
table; --since/--until/--last/--source/--traffic-model choose which), or a data file (CSV,
Parquet, JSON lines) holding the model features as columns — or raw records with --transform,
which pipes them as JSON lines through a command that prints feature JSON lines (the serving
feature code). Labels: a column (--label), or another file (--labels FILE --key COL).

Gates (exit 1 when one fails): --gate "flip_rate < 0.02" (repeatable), --gates FILE, or
"gates" in sightline.json. Names (binary classification): ${describeIdentifiers('replay', 'binary_classification').map((d) => d.name).join(', ')}.

Outputs: --json (schema ReplayReport), --junit FILE, --sarif FILE, --markdown FILE.
Exit codes: 0 every gate passed, 1 a gate failed, 2 bad usage or bad input, 130/143 cancelled
by SIGINT/SIGTERM (the run is stored as cancelled), 70 an internal error (a bug; details on stderr).

Example (the sample's captured traffic through the serving feature code, v2 against v1):
  npx sightline replay --traffic samples/flights/traffic/requests.parquet \\
      --transform "node dist/samples/serving-features.js" \\
      --labels samples/flights/traffic/labels.parquet --key flight_id \\
      --model samples/flights/models/flights-delay-v2.onnx --baseline samples/flights/models/flights-delay-v1.onnx \\
      --gate "flip_rate < 0.05" --gate "slice_regressions == 0" --junit out/junit.xml --sarif out/replay.sarif --markdown out/replay.md
`;

interface ReplayCliOpts extends RunCliOpts {
  traffic?: string;
  model?: string;
  baseline?: string;
  trafficModel?: string;
  since?: string;
  until?: string;
  last?: string;
  source?: string;
  sliceLoss?: string;
  degree?: string;
  minSupport?: string;
  minEffect?: string;
}

/** `sightline replay`: captured traffic through a candidate and the current model, compared. */
export function registerReplay(program: Command): void {
  const cmd = program
    .command('replay')
    .description('replay captured traffic through a candidate model and the current one: flips, output differences, metric deltas, slice regressions, latency, gates')
    .requiredOption('--traffic <trace|file>', 'captured traffic: a trace file, or a data file (CSV, Parquet, JSONL)')
    .requiredOption('--model <candidate.onnx>', 'the candidate model')
    .option('--baseline <model.onnx>', 'the current model (default: the one that served the traced traffic, or the previous version in sightline.json)')
    .option('--traffic-model <name[@version]>', 'trace traffic: predictions of this model (default: the baseline\'s name)')
    .option('--since <time>', 'trace traffic: predictions at or after this ISO time')
    .option('--until <time>', 'trace traffic: predictions before this ISO time')
    .option('--last <n>', 'trace traffic: the newest N predictions')
    .option('--source <name>', 'trace traffic: served (default), shadow, imported, any')
    .option('--slice-loss <loss>', 'per-row loss of the slice-regression test: log_loss (classification default), zero_one, abs_error (regression default)')
    .option('--degree <n>', 'predicates per tested slice at most', '2')
    .option('--min-support <n>', 'rows a tested slice needs at least', '30')
    .option('--min-effect <x>', 'a slice regresses only when its mean loss rises by more than this (never below the --abs-tol/--rel-tol tolerance)', '0');
  runOptionFlags(cmd).addHelpText('after', HELP).action((o: ReplayCliOpts) => runCommand(async () => {
    const candidate = path.resolve(o.model!);
    const body = {
      ...runOptionsFrom(o, 'replay', candidate),
      traffic: path.resolve(o.traffic!),
      candidate,
      ...(o.baseline ? { baseline: path.resolve(o.baseline) } : {}),
      window: {
        ...(o.trafficModel ? { model: o.trafficModel } : {}),
        ...(o.since ? { since: o.since } : {}),
        ...(o.until ? { until: o.until } : {}),
        ...(o.last ? { last: int(o.last, '--last') } : {}),
        ...(o.source ? { source: o.source } : {}),
      },
      ...(o.sliceLoss ? { slice_loss: sliceLossOption(o.sliceLoss) } : {}),
      degree: int(o.degree ?? '2', '--degree'),
      min_support: int(o.minSupport ?? '30', '--min-support'),
      min_effect: num(o.minEffect ?? '0', '--min-effect'),
      note: process.argv.slice(2).join(' ').slice(0, 2000),
    };
    const parsed = ReplayRequest.safeParse(body);
    if (!parsed.success) throw requestError(parsed.error.issues);
    if (parsed.data.baseline && path.resolve(parsed.data.baseline) === parsed.data.candidate) {
      throw new SightlineError('invalid_request', '--model and --baseline are the same file');
    }
    const report = await runFromCli({ kind: 'replay', req: parsed.data }, o);
    return emitReport(report, o);
  }));
}
