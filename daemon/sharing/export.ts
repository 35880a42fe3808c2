import { existsSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SightlineError, TRACE_SCHEMA_VERSION, type ExportFormat, type ExportReport } from '../../protocol';
import { keyId } from './hash-key';
import { planExport, type ExportPlan, type ExportRequest } from './export-plan';
import { describeSelection } from './selection';
import { writeOpenLineage, writeOtlp } from './write-interop';
import { writeParquetFolder } from './write-parquet';
import { onDiskBytes } from './open-folder';
import { writeTrace, type WrittenCounts } from './write-trace';

export interface ExportOptions extends ExportRequest {
  out: string;
  format: ExportFormat;
  /** Replace an existing output file (never a folder with other files in it). */
  force?: boolean;
  /** OpenLineage job namespace. */
  namespace?: string;
  /** Called with the plan (PII warnings, k-anonymity report) before anything is written. */
  onPlan?: (plan: ExportPlan) => void;
}

/**
 * `sightline export`: plans the subset (reading the source read-only: PII warnings, k-anonymity
 * report, redaction), refuses below k when enforced, then writes a new trace file — or, for
 * parquet/otlp/openlineage, writes that trace to a temporary folder and converts it, so every
 * format carries exactly the same redacted rows. Nothing is left behind on failure.
 */
export async function runExport(opts: ExportOptions): Promise<ExportReport> {
  checkOutput(opts);
  const plan = await planExport(opts);
  opts.onPlan?.(plan);
  const refused = plan.kAnonymity !== null && plan.kAnonymity.enforced && !plan.kAnonymity.satisfied && !opts.allowBelowK;
  const warnings: string[] = [];
  if (plan.predictions === 0) warnings.push('the selection holds no predictions: the export has models, findings and lineage only');
  if (plan.lineage === null) warnings.push('the source has no lineage tables: no lineage exported');
  if (refused) return report(opts, plan, null, [], 0, warnings);
  if (plan.kAnonymity && !plan.kAnonymity.satisfied && plan.kAnonymity.enforced) warnings.push(`written although not ${plan.kAnonymity.k}-anonymous (--allow-below-k): ${plan.kAnonymity.rows_below_k} row(s) in classes smaller than ${plan.kAnonymity.k}`);

  if (opts.force && opts.format !== 'parquet') rmSync(opts.out, { force: true });
  if (opts.format === 'duckdb') {
    const tmp = `${opts.out}.partial-${process.pid}`;
    try {
      const counts = await writeTrace(plan, tmp);
      renameSync(tmp, opts.out);
      return report(opts, plan, counts, [path.basename(opts.out)], statSync(opts.out).size, warnings);
    } finally {
      rmSync(tmp, { force: true });
      rmSync(`${tmp}.wal`, { force: true });
    }
  }
  const work = mkdtempSync(path.join(os.tmpdir(), 'sightline-export-'));
  try {
    const trace = path.join(work, 'export.duckdb');
    const counts = await writeTrace(plan, trace);
    let files: string[];
    let records = 0;
    if (opts.format === 'parquet') files = await writeParquetFolder(trace, opts.out);
    else if (opts.format === 'otlp') {
      records = await writeOtlp(trace, opts.out);
      files = [path.basename(opts.out)];
    } else {
      records = await writeOpenLineage(trace, opts.out, opts.namespace ?? 'sightline');
      files = [path.basename(opts.out)];
    }
    const bytes = onDiskBytes(opts.out);
    return report(opts, plan, { ...counts }, files, bytes, warnings, records);
  } catch (err) {
    if (opts.format !== 'parquet') rmSync(opts.out, { force: true });
    throw err;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function checkOutput(opts: ExportOptions): void {
  if (path.resolve(opts.out) === path.resolve(opts.source)) throw new SightlineError('invalid_request', '--out must be a new file, not the source trace');
  if (opts.format === 'parquet') {
    if (existsSync(opts.out) && (!statSync(opts.out).isDirectory() || readdirSync(opts.out).length > 0)) {
      throw new SightlineError('conflict', `${opts.out} exists and is not an empty folder; --format parquet writes a new folder`);
    }
    return;
  }
  if (existsSync(opts.out)) {
    if (statSync(opts.out).isDirectory()) throw new SightlineError('conflict', `${opts.out} is a folder; --format ${opts.format} writes a file`);
    if (!opts.force) throw new SightlineError('conflict', `${opts.out} already exists; the export writes a NEW file (pass --force to replace it)`);
  }
}

function report(opts: ExportOptions, plan: ExportPlan, counts: WrittenCounts | null, files: string[], bytes: number, warnings: string[], records = 0): ExportReport {
  return {
    source: opts.source,
    out: opts.out,
    format: opts.format,
    written: counts !== null,
    schema_version: TRACE_SCHEMA_VERSION,
    selection: describeSelection(opts.selection),
    counts: {
      predictions: counts?.predictions ?? plan.predictions,
      labels: counts?.labels ?? 0,
      models: counts?.models ?? plan.models.length,
      findings: counts?.findings ?? plan.findings.length,
      findings_removed: plan.findingsRemoved,
      component_runs: counts?.component_runs ?? plan.lineage?.runs.length ?? 0,
      artifacts: counts?.artifacts ?? plan.lineage?.artifacts.length ?? 0,
      baselines: counts?.baselines ?? plan.baselines.length,
      runs: counts?.runs ?? plan.runs.length,
      records,
    },
    models: plan.models,
    redactions: plan.redaction.applied,
    key_id: opts.key ? keyId(opts.key) : null,
    pii_warnings: plan.piiWarnings,
    k_anonymity: plan.kAnonymity,
    files,
    bytes,
    warnings,
  };
}
