import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { CompareReport, CompareRequest, SightlineError } from '../../protocol';
import { compareOnTrace, COMPARE_METRICS, saveComparison } from '../compare/run';
import { gateSpecs } from '../gates';
import { gatesJunit } from '../reports/junit';
import { compareMarkdown, formatCompare } from '../reports/compare';
import { num, requestError, writeOut } from '../replay/cli-support';
import { findWorkspaceRoot, openWorkspace } from '../replay/workspace';
import { TraceStore } from '../store/trace-store';
import { findDaemon } from './connect';
import { printJson, runCommand } from './output';

const HELP = `
Metrics (--metric, primary first; NAME:higher|lower|neutral sets the direction):
${Object.entries(COMPARE_METRICS).map(([k, d]) => `  ${k.padEnd(14)} ${d.kind.padEnd(8)} ${d.direction.padEnd(8)} ${d.description}`).join('\n')}
Tests: rates two-proportion z-test (Newcombe interval), means Welch t-test, ordinal Mann–Whitney U.
Power: the rows per group a two-sided test at --alpha needs to detect --min-effect (absolute, on the
primary metric; default 0.01 for rates, 0.2 × the pooled standard deviation otherwise) with --power.
Verdict: better / worse (significant), different (significant, no direction), no difference
(not significant with enough rows), not enough data.
Gates: --gate "worse == 0", "accuracy_diff > -0.01", "<metric>_p", "<metric>_a", "<metric>_b", "not_enough_data == 0".

Example: npx sightline compare --a flights-delay@v1 --b flights-delay@v2 --db trace.duckdb --metric accuracy --min-effect 0.01
`;

interface CompareCliOpts {
  a: string;
  b: string;
  db?: string;
  metric?: string[];
  minEffect?: string;
  power?: string;
  alpha?: string;
  since?: string;
  until?: string;
  sourceA?: string;
  sourceB?: string;
  threshold?: string;
  gate?: string[];
  gates?: string;
  configGates?: boolean;
  save?: boolean;
  daemon?: boolean;
  json?: boolean;
  junit?: string;
  markdown?: string;
}

/** `sightline compare`: two versions on logged live traffic (A/B, canary, shadow). */
export function registerCompare(program: Command): void {
  program
    .command('compare')
    .description('compare two model versions on logged live traffic (A/B, canary or shadow): outcome metrics with intervals, the right test, power analysis, a verdict')
    .requiredOption('--a <model@version>', 'the current version (A)')
    .requiredOption('--b <model@version>', 'the candidate version (B)')
    .option('--db <trace>', 'the trace (default: the running daemon\'s, else sightline.json "trace", else .sightline/trace.duckdb)')
    .option('--metric <names>', 'metrics, comma-separated or repeated (see below)', (v: string, prev: string[]) => [...prev, ...v.split(',').map((s) => s.trim()).filter(Boolean)], [] as string[])
    .option('--min-effect <x>', 'the smallest difference worth detecting on the primary metric (absolute)')
    .option('--power <p>', 'power of the sample-size analysis', '0.8')
    .option('--alpha <q>', 'significance level', '0.05')
    .option('--since <time>', 'predictions at or after this ISO time')
    .option('--until <time>', 'predictions before this ISO time')
    .option('--source-a <name>', 'served | shadow | any (default: served, or shadow when A only ran in shadow)')
    .option('--source-b <name>', 'served | shadow | any (default: served, or shadow when B only ran in shadow)')
    .option('--threshold <p>', 'classification threshold for the rate metrics (default: the card\'s, else 0.5)')
    .option('--gate <expr>', 'a gate, e.g. "worse == 0" (repeatable)', (v: string, prev: string[]) => [...prev, v], [] as string[])
    .option('--gates <file>', 'gates from a file')
    .option('--no-config-gates', 'ignore the "gates" of sightline.json')
    .option('--save', 'store the comparison as a run (kind compare) in the trace', false)
    .option('--no-daemon', 'read the trace in-process even when a daemon is running')
    .option('--json', 'print the report as JSON (schema: `sightline schema CompareReport`)')
    .option('--junit <file>', 'write JUnit XML (one test case per gate)')
    .option('--markdown <file>', 'write a Markdown summary')
    .addHelpText('after', HELP)
    .action((o: CompareCliOpts) => runCommand(async () => {
      const wsRoot = findWorkspaceRoot(process.cwd());
      const body = {
        a: o.a,
        b: o.b,
        ...(o.metric && o.metric.length ? { metrics: o.metric } : {}),
        ...(o.minEffect !== undefined ? { min_effect: num(o.minEffect, '--min-effect') } : {}),
        power: num(o.power ?? '0.8', '--power'),
        alpha: num(o.alpha ?? '0.05', '--alpha'),
        ...(o.since ? { since: o.since } : {}),
        ...(o.until ? { until: o.until } : {}),
        ...(o.sourceA ? { source_a: o.sourceA } : {}),
        ...(o.sourceB ? { source_b: o.sourceB } : {}),
        ...(o.threshold !== undefined ? { threshold: num(o.threshold, '--threshold') } : {}),
        gates: gateSpecs('compare', { flags: o.gate ?? [], ...(o.gates ? { file: o.gates } : {}), workspaceConfig: o.configGates === false || !wsRoot ? null : path.join(wsRoot, 'sightline.json') }),
        save: Boolean(o.save),
      };
      const parsed = CompareRequest.safeParse(body);
      if (!parsed.success) throw requestError(parsed.error.issues);
      const req = parsed.data;
      const daemon = o.daemon === false ? null : await findDaemon();
      let report: CompareReport;
      if (daemon && (!o.db || path.resolve(o.db) === path.resolve(daemon.info.trace))) {
        const stream = await daemon.client.stream();
        try {
          report = CompareReport.parse(await stream.query<unknown>('compare', req));
        } finally {
          stream.close();
        }
      } else {
        const ws = openWorkspace(wsRoot);
        const db = o.db ?? (ws?.config.trace ? path.resolve(ws.root, ws.config.trace) : path.join(wsRoot ?? process.cwd(), '.sightline', 'trace.duckdb'));
        if (!existsSync(db)) throw new SightlineError('bad_file', `trace file not found: ${db} (give --db TRACE)`);
        const store = await TraceStore.open(db, { readOnly: !req.save });
        try {
          report = await compareOnTrace(store, req, { traceLabel: path.resolve(db) });
          if (req.save) report = await saveComparison(store, report, req);
        } finally {
          store.close();
        }
      }
      if (o.junit) writeOut(o.junit, gatesJunit(report.gates, { name: `sightline compare ${report.b.model} vs ${report.a.model}`, classname: 'sightline.compare', seconds: 0, timestamp: new Date().toISOString(), output: formatCompare(report) }));
      if (o.markdown) writeOut(o.markdown, compareMarkdown(report));
      if (o.json) printJson(report);
      else process.stdout.write(formatCompare(report) + '\n');
      return report.passed ? 0 : 1;
    }));
}
