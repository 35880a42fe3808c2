import type { Command } from 'commander';
import path from 'node:path';
import { EvalRequest } from '../../protocol';
import { describeIdentifiers } from '../gates';
import { emitReport, requestError, runFromCli, runOptionFlags, runOptionsFrom, type RunCliOpts } from '../replay/cli-support';
import { runCommand } from './output';

const HELP = `
Metrics follow scikit-learn (accuracy, precision, recall, F1, ROC AUC, PR AUC = average
precision, log loss, Brier, ECE, bias; MAE, RMSE, bias for regression), each with a 95 %
interval, overall and per slice (each category / decile bin of the slice attributes).
Label sanity (coverage, positive rate against the workspace baseline) comes first: a warning,
and a gate can test label_coverage or labels_ok. The run is stored in the trace (kind eval).

Gates (exit 1 when one fails): --gate "roc_auc_lo > 0.65" …; names: ${describeIdentifiers('eval', 'binary_classification').map((d) => d.name).join(', ')}.

Example (the sample's golden set of raw April flights through the serving feature code):
  npx sightline eval --model samples/flights/models/flights-delay-v2.onnx \\
      --data samples/flights/traffic/golden.parquet --label is_delayed \\
      --transform "node dist/samples/serving-features.js" --slices origin,dep_hour --json
`;

interface EvalCliOpts extends RunCliOpts {
  model?: string;
  data?: string;
}

/** `sightline eval`: one model on a labelled data set, overall and per slice, stored as a run. */
export function registerEval(program: Command): void {
  const cmd = program
    .command('eval')
    .description('evaluate a model on labelled data: metrics with 95 % intervals overall and per slice, label sanity, latency, gates')
    .requiredOption('--model <model.onnx>', 'the model')
    .requiredOption('--data <file>', 'labelled rows (CSV, Parquet, JSONL): model features as columns, or raw records with --transform');
  runOptionFlags(cmd).addHelpText('after', HELP).action((o: EvalCliOpts) => runCommand(async () => {
    const model = path.resolve(o.model!);
    const body = { ...runOptionsFrom(o, 'eval', model), data: path.resolve(o.data!), model, note: process.argv.slice(2).join(' ').slice(0, 2000) };
    const parsed = EvalRequest.safeParse(body);
    if (!parsed.success) throw requestError(parsed.error.issues);
    const report = await runFromCli({ kind: 'eval', req: parsed.data }, o);
    return emitReport(report, o);
  }));
}
