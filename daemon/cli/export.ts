import type { Command } from 'commander';
import { ExportFormat, SightlineError, type ExportReport } from '../../protocol';
import { runExport } from '../sharing/export';
import { loadHashKey } from '../sharing/hash-key';
import { formatKAnonymity } from '../sharing/k-anonymity';
import { parseRedactions } from '../sharing/redaction';
import { EXIT, printJson, runCommand } from './output';

export function registerExport(program: Command): void {
  program
    .command('export <trace>')
    .description('write a subset of a trace (time range, model, sample) into a NEW trace file — or Parquet, OTLP or OpenLineage — with personal fields redacted')
    .requiredOption('--out <path>', 'the new trace file (or folder for --format parquet, .jsonl for otlp/openlineage)')
    .option('--format <f>', 'duckdb (a trace file) | parquet (Hive-partitioned folder) | otlp (OTLP/JSON spans) | openlineage (RunEvents, JSONL)', 'duckdb')
    .option('--since <time>', 'predictions at or after this ISO date/time')
    .option('--until <time>', 'predictions before this ISO date/time')
    .option('--model <ref>', 'only this model (name or name@version)')
    .option('--sample <fraction>', 'keep this fraction of predictions (repeatable: chosen by a hash of the id)')
    .option('--limit <n>', 'keep at most N predictions (chosen by the same hash)')
    .option('--redact <col=drop|hash...>', 'drop a column, or replace its values by HMAC-SHA256 with the key (features, attributes, join_key, request_id, raw keys, baseline columns)', [])
    .option('--hash-key-file <file>', 'secret key for =hash (default: $SIGHTLINE_HASH_KEY)')
    .option('--quasi-identifiers <cols>', 'columns that together could identify someone: report k-anonymity before writing')
    .option('--k <n>', 'refuse to write (exit 1) when a quasi-identifier class has fewer than k rows')
    .option('--allow-below-k', 'write even when the k-anonymity check fails', false)
    .option('--with-baselines', 'also copy baselines (their rows, redacted by column name)', false)
    .option('--namespace <ns>', 'openlineage: job namespace', 'sightline')
    .option('--force', 'replace an existing output file', false)
    .option('--json', 'print the report as JSON (schema: `sightline schema ExportReport`)')
    .action((trace: string, opts) => runCommand(async () => {
      const format = ExportFormat.safeParse(opts.format);
      if (!format.success) throw new SightlineError('invalid_request', `--format must be duckdb, parquet, otlp or openlineage, got ${opts.format}`);
      const redact = parseRedactions(opts.redact as string[]);
      const key = redact.some((r) => r.action === 'hash') || opts.hashKeyFile ? loadHashKey({ file: opts.hashKeyFile }) : null;
      const number = (v: unknown, name: string): number | undefined => {
        if (v === undefined) return undefined;
        const n = Number(v);
        if (!Number.isFinite(n)) throw new SightlineError('invalid_request', `${name} must be a number, got ${String(v)}`);
        return n;
      };
      const report = await runExport({
        source: trace,
        out: String(opts.out),
        format: format.data,
        selection: { since: opts.since, until: opts.until, model: opts.model, sample: number(opts.sample, '--sample'), limit: number(opts.limit, '--limit') },
        redact,
        key,
        quasiIdentifiers: opts.quasiIdentifiers ? String(opts.quasiIdentifiers).split(',').map((s) => s.trim()).filter(Boolean) : [],
        k: number(opts.k, '--k'),
        allowBelowK: Boolean(opts.allowBelowK),
        withBaselines: Boolean(opts.withBaselines),
        namespace: String(opts.namespace),
        force: Boolean(opts.force),
        onPlan: (plan) => {
          if (opts.json) return;
          for (const w of plan.piiWarnings) process.stderr.write(`${w.message}\n`);
          if (plan.kAnonymity) process.stderr.write(formatKAnonymity(plan.kAnonymity) + '\n');
        },
      });
      if (opts.json) printJson(report);
      else printReport(report);
      return report.written ? EXIT.ok : EXIT.gateFailed;
    }));
}

function printReport(r: ExportReport): void {
  if (!r.written) {
    process.stderr.write(`sightline: refused: the export is not ${r.k_anonymity?.k}-anonymous on ${r.k_anonymity?.quasi_identifiers.join(', ')}; nothing was written (pass --allow-below-k to write anyway)\n`);
    return;
  }
  const c = r.counts;
  const what = r.format === 'duckdb' ? 'trace' : r.format === 'parquet' ? 'Parquet folder' : r.format === 'otlp' ? `OTLP/JSON (${c.records} spans)` : `OpenLineage (${c.records} events)`;
  const lines = [
    `wrote ${what} ${r.out} (${(r.bytes / 1e6).toFixed(1)} MB): ${c.predictions} predictions, ${c.labels} labels, ${c.models} model(s), ${c.findings} finding(s)${c.findings_removed ? ` (${c.findings_removed} left out: about dropped columns)` : ''}, ${c.component_runs} lineage run(s), ${c.artifacts} artifact(s), ${c.runs} replay/eval run(s), ${c.baselines} baseline(s)`,
  ];
  for (const x of r.redactions) lines.push(`  redacted ${x.column} (${x.action}): ${x.targets.join(', ')}`);
  if (r.key_id) lines.push(`  hash key id ${r.key_id} (exports with the same key id hash values identically)`);
  for (const w of r.warnings) lines.push(`  note: ${w}`);
  if (r.format === 'duckdb') lines.push(`  open it: sightline open ${r.out}`);
  process.stdout.write(lines.join('\n') + '\n');
}
