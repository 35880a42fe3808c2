import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { SightlineError, SkewMode, SkewReport, SkewThresholds, type SkewRequest } from '../../protocol';
import { replaceFindings } from '../findings/findings-store';
import { DEFAULT_TRANSFORM_TIMEOUT_S, skewOnFiles, skewOnTrace, type SkewRunRequest, type SkewRunResult } from '../findings/skew-run';
import { table } from './models';
import { printJson, runCommand } from './output';
import { closeTrace, openTrace } from './trace-access';
import { windowOptions, type WindowOpts } from './window-options';

const MODES_HELP = `
Modes (--mode; by default replay with --transform, rows with --key, else distribution):
  distribution  training vs serving value distributions per feature: L∞ over the categories
                (categorical, skew if ≥ 0.1) and Jensen–Shannon distance over the training
                deciles (numeric, skew if ≥ 0.1), binned as drift bins them.
  rows          training and served rows joined on --key: per feature the share of rows whose
                values differ (numbers equal within --abs-tol + --rel-tol·max(|t|,|s|)), the mean
                absolute difference, example pairs, and the keys found on one side only
                (skew if the mismatch rate ≥ 0.001).
  replay        raw inputs — --raw FILE, or with --db the raw inputs its predictions kept
                (\`sightline serve --log-raw\`) — piped as JSON lines through --transform (the
                offline/training feature command: JSONL on stdin, JSONL on stdout, passing --key
                through); its output is compared row by row with what was served, as in rows.
The served side is --serving FILE, or with --db TRACE the trace's logged predictions (features and
kinds from the model cards; the served key is the join_key sent with predict).

Examples:
  sightline skew --training baselines/train-v1.parquet --db trace.duckdb --json
  sightline skew --training train-features.jsonl --db trace.duckdb --key flight_id --json
  sightline skew --db trace.duckdb --raw traffic/requests.parquet --key flight_id \\
      --transform "python3 samples/flights/features.py --jsonl" --save --json
`;

interface SkewOpts extends WindowOpts {
  training?: string;
  baseline?: string;
  serving?: string;
  db?: string;
  key?: string;
  transform?: string;
  raw?: string;
  mode?: string;
  features?: string;
  categorical?: string;
  linf?: string;
  js?: string;
  mismatch?: string;
  thresholds?: string;
  absTol?: string;
  relTol?: string;
  examples?: string;
  transformTimeout?: string;
  save?: boolean;
  json?: boolean;
}

export function registerSkew(program: Command): void {
  const cmd = program
    .command('skew')
    .description('training–serving skew per feature: distributions, joined rows, or raw inputs replayed through the training feature code')
    .option('--training <file>', 'training-path feature rows (CSV, Parquet, JSONL): distribution and rows modes')
    .option('--baseline <name>', 'with --db: a baseline stored in the trace as the training side')
    .option('--serving <file>', 'served feature rows (CSV, Parquet, JSONL)')
    .option('--db <trace>', 'a trace file: the served side is its logged predictions (see --model/--since/--until/--last/--source)')
    .option('--key <col>', 'join key of rows/replay: a column of the training rows (and of --serving FILE); a trace joins on its join_key')
    .option('--transform <cmd>', 'replay: the offline feature command, run without a shell (e.g. "python3 samples/flights/features.py --jsonl")')
    .option('--raw <file>', 'replay: raw inputs from this file (default with --db: the raw inputs logged by `serve --log-raw`)')
    .option('--mode <mode>', 'distribution | rows | replay (default: from the flags, see below)')
    .option('--features <cols>', 'only these features')
    .option('--categorical <cols>', 'plain files: columns to treat as categorical whatever their type')
    .option('--linf <x>', 'categorical distribution threshold (default 0.1)')
    .option('--js <x>', 'numeric distribution threshold (default 0.1)')
    .option('--mismatch <x>', 'rows/replay threshold on the mismatch rate (default 0.001)')
    .option('--thresholds <file>', 'JSON {feature: {linf?, js?, mismatch_rate?}} overriding thresholds per feature')
    .option('--abs-tol <x>', 'numeric values within abs-tol + rel-tol·max(|t|,|s|) are equal (default 1e-6)')
    .option('--rel-tol <x>', 'see --abs-tol (default 1e-6)')
    .option('--examples <n>', 'example pairs per feature (default 5)')
    .option('--transform-timeout <seconds>', `stop the transform after this long (default ${DEFAULT_TRANSFORM_TIMEOUT_S})`)
    .option('--save', 'with --db: store skewed features as findings of kind skew (shown in the editor)', false)
    .option('--json', 'print the report as JSON (schema: `sightline schema SkewReport`)')
    .addHelpText('after', MODES_HELP);
  windowOptions(cmd).action((opts: SkewOpts) => runCommand(async () => {
    const req = requestFrom(opts);
    let result: SkewRunResult;
    if (opts.serving !== undefined) {
      if (opts.db !== undefined) throw new SightlineError('invalid_request', 'give either --serving FILE or --db TRACE, not both');
      if (opts.save) throw new SightlineError('invalid_request', '--save stores findings in a trace: use it with --db TRACE');
      result = await skewOnFiles({ ...req, serving: opts.serving });
    } else {
      if (opts.db === undefined) throw new SightlineError('invalid_request', 'give the served side: --serving FILE, or --db TRACE (its logged predictions)');
      const body: SkewRequest = { ...absolutePaths(req), window: req.window ?? {}, save: Boolean(opts.save) };
      const access = await openTrace(opts.db, { write: Boolean(opts.save) });
      try {
        if (access.kind === 'daemon') result = await access.client.request<SkewRunResult>('POST', '/v1/skew', body);
        else {
          result = await skewOnTrace(access.store, body);
          if (body.save) await replaceFindings(access.store, { kind: 'skew', model_name: result.modelName, baseline: result.baseline }, result.findings);
        }
      } finally {
        closeTrace(access);
      }
    }
    const report = SkewReport.parse(result.report);
    if (opts.json) return printJson(report);
    process.stdout.write(`${report.mode} skew: ${result.baseline} vs ${result.window}${opts.save ? `; ${result.findings.length} finding(s) saved` : ''}\n`);
    printSkew(report);
  }));
}

function requestFrom(opts: SkewOpts): SkewRunRequest {
  let mode: SkewMode | undefined;
  if (opts.mode !== undefined) {
    const m = SkewMode.safeParse(opts.mode);
    if (!m.success) throw new SightlineError('invalid_request', `--mode must be distribution, rows or replay, got ${JSON.stringify(opts.mode)}`);
    mode = m.data;
  }
  const list = (v: string | undefined): string[] | undefined => (v === undefined ? undefined : v.split(',').map((s) => s.trim()).filter(Boolean));
  const thresholds = { ...optNumber(opts.linf, '--linf', 'linf'), ...optNumber(opts.js, '--js', 'js'), ...optNumber(opts.mismatch, '--mismatch', 'mismatch_rate', 1) };
  const tolerance = { ...optNumber(opts.absTol, '--abs-tol', 'abs'), ...optNumber(opts.relTol, '--rel-tol', 'rel') };
  const examples = optNumber(opts.examples, '--examples', 'n', 100).n;
  if (examples !== undefined && !Number.isInteger(examples)) throw new SightlineError('invalid_request', '--examples must be a whole number');
  const timeout = optNumber(opts.transformTimeout, '--transform-timeout', 's', 3600).s;
  if (timeout === 0) throw new SightlineError('invalid_request', '--transform-timeout must be positive');
  if (opts.transformTimeout !== undefined && opts.transform === undefined) throw new SightlineError('invalid_request', '--transform-timeout goes with --transform');
  const features = list(opts.features);
  const categorical = list(opts.categorical);
  const window = {
    ...(opts.model ? { model: String(opts.model) } : {}),
    ...(opts.since ? { since: String(opts.since) } : {}),
    ...(opts.until ? { until: String(opts.until) } : {}),
    ...(opts.last ? { last: positiveInteger(opts.last, '--last') } : {}),
    ...(opts.source ? { source: String(opts.source) } : {}),
  };
  return {
    ...(mode ? { mode } : {}),
    ...(opts.training !== undefined ? { training: opts.training } : {}),
    ...(opts.baseline !== undefined ? { baseline: opts.baseline } : {}),
    ...(opts.raw !== undefined ? { raw: opts.raw } : {}),
    ...(opts.key !== undefined ? { key: opts.key } : {}),
    ...(opts.transform !== undefined ? { transform: { command: opts.transform, cwd: process.cwd(), ...(timeout !== undefined ? { timeout_s: timeout } : {}) } } : {}),
    window,
    ...(features ? { features } : {}),
    ...(categorical ? { categorical } : {}),
    ...(Object.keys(thresholds).length ? { thresholds } : {}),
    ...(opts.thresholds !== undefined ? { feature_thresholds: readThresholds(opts.thresholds) } : {}),
    ...(Object.keys(tolerance).length ? { tolerance } : {}),
    ...(examples !== undefined ? { examples } : {}),
  };
}

/** The daemon reads the files: send it absolute paths (it runs in another directory). */
function absolutePaths(req: SkewRunRequest): Omit<SkewRunRequest, 'categorical'> {
  const { categorical: _ignored, ...rest } = req;
  return {
    ...rest,
    ...(req.training !== undefined ? { training: path.resolve(req.training) } : {}),
    ...(req.raw !== undefined ? { raw: path.resolve(req.raw) } : {}),
  };
}

function optNumber<K extends string>(value: string | undefined, flag: string, key: K, max = Infinity): Partial<Record<K, number>> {
  if (value === undefined) return {};
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0 || n > max) {
    throw new SightlineError('invalid_request', `${flag} must be a number${max === Infinity ? ' ≥ 0' : ` between 0 and ${max}`}, got ${JSON.stringify(value)}`);
  }
  return { [key]: n } as Partial<Record<K, number>>;
}

function positiveInteger(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new SightlineError('invalid_request', `${flag} must be a positive whole number, got ${JSON.stringify(value)}`);
  return n;
}

function readThresholds(file: string): Record<string, SkewThresholds> {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new SightlineError('bad_file', `--thresholds ${file}: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (!json || typeof json !== 'object' || Array.isArray(json)) throw new SightlineError('bad_file', `--thresholds ${file} must be a JSON object {feature: {linf?, js?, mismatch_rate?}}`);
  const out: Record<string, SkewThresholds> = {};
  for (const [feature, value] of Object.entries(json)) {
    const parsed = SkewThresholds.strict().safeParse(value);
    if (!parsed.success) throw new SightlineError('bad_file', `--thresholds ${file}: "${feature}" must be {linf?, js?, mismatch_rate?} with numbers ≥ 0`);
    out[feature] = parsed.data;
  }
  return out;
}

export function printSkew(report: SkewReport): void {
  const fmt = (x: number | null | undefined): string => (x === null || x === undefined ? '–' : x !== 0 && Math.abs(x) < 0.001 ? x.toExponential(1) : x.toFixed(3));
  const pct = (x: number | undefined): string => (x === undefined ? '–' : `${(100 * x).toFixed(2)}%`);
  const rows = report.mode !== 'distribution';
  table(
    ['FEATURE', 'KIND', 'METRIC', 'SCORE', 'THRESHOLD', 'SKEW', ...(rows ? ['ROWS DIFFER', 'MEAN |Δ|'] : ['N TRAINING', 'N SERVING'])],
    report.features.map((f) => [
      f.name, f.kind, f.metric, fmt(f.score), String(f.threshold), f.skew ? 'SKEW' : '–',
      ...(rows ? [`${pct(f.mismatch_rate)} (${f.mismatches ?? 0}/${f.compared ?? 0})`, fmt(f.mean_abs_diff)] : [String(f.n_training ?? '–'), String(f.n_serving ?? '–')]),
    ]),
  );
  if (rows) {
    process.stdout.write(`joined ${report.matched} key(s) on ${report.key}; only in training: ${report.only_training}, only served: ${report.only_serving}${report.duplicates_serving ? `, repeated served keys: ${report.duplicates_serving}` : ''}\n`);
    if (report.transform) process.stdout.write(`transform: ${report.transform.rows_in} raw record(s) in, ${report.transform.rows_out} line(s) out, ${report.transform.seconds.toFixed(1)} s\n`);
    for (const f of report.features.filter((x) => x.skew)) {
      for (const e of (f.examples ?? []).slice(0, 3)) process.stdout.write(`  ${f.name} @ ${e.key}: training ${JSON.stringify(e.training)}, served ${JSON.stringify(e.serving)}\n`);
    }
  }
  process.stdout.write(report.skewed.length ? `skewed: ${report.skewed.join(', ')}\n` : 'no skew\n');
}
