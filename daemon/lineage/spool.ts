/**
 * Runs the SDKs could not deliver (no daemon running) wait in `$SIGHTLINE_HOME/spool/*.jsonl`,
 * one run per line. The daemon ingests them when it starts, before it listens. A file is removed
 * only after every run in it is committed; re-reading a file after a crash is harmless, because
 * a run id already stored is skipped. Lines that are not valid runs go to `spool/rejected/`.
 */
import { createHash } from 'node:crypto';
import { appendFileSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { RunRequest, SightlineError } from '../../protocol';
import type { Lineage } from './service';

export interface SpoolReport {
  files: number;
  runs: number;
  duplicates: number;
  rejected: number;
}

export type Log = (level: 'info' | 'warn' | 'error', msg: string) => void;

export function spoolDir(home: string): string {
  return path.join(home, 'spool');
}

export async function ingestSpool(dir: string, lineage: Lineage, log: Log = () => undefined): Promise<SpoolReport> {
  const report: SpoolReport = { files: 0, runs: 0, duplicates: 0, rejected: 0 };
  if (lineage.store.trace.readOnly) return report; // a read-only trace stores nothing: leave the spool for a writer
  let names: string[];
  try {
    names = readdirSync(dir).filter((f) => f.endsWith('.jsonl') && !f.startsWith('.')).sort();
  } catch {
    return report; // no spool folder: nothing was spooled
  }
  for (const name of names) {
    const file = path.join(dir, name);
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      log('warn', `spool: cannot read ${file}: ${message(err)}`);
      continue;
    }
    const rejected: string[] = [];
    let failed = false;
    for (const [i, line] of text.split('\n').entries()) {
      if (line.trim() === '') continue;
      try {
        const parsed = RunRequest.safeParse(JSON.parse(line));
        if (!parsed.success) throw new SightlineError('invalid_request', parsed.error.issues[0]?.message ?? 'not a run');
        // A line without an id gets one from its content, so ingesting it twice stores it once.
        const run = { ...parsed.data, id: parsed.data.id ?? `spool-${createHash('sha256').update(line).digest('hex').slice(0, 32)}` };
        const res = await lineage.logRun(run);
        if (res.duplicate) report.duplicates++;
        else report.runs++;
      } catch (err) {
        if (err instanceof SyntaxError || (err instanceof SightlineError && (err.code === 'invalid_request' || err.code === 'bad_value'))) {
          rejected.push(line);
          log('warn', `spool: ${name}:${i + 1} is not a valid run (${message(err)}); kept in ${path.join(dir, 'rejected', name)}`);
        } else {
          // The trace refused the write: keep the whole file for the next start.
          failed = true;
          log('error', `spool: ${name}:${i + 1} could not be stored (${message(err)}); ${name} is kept for the next start`);
          break;
        }
      }
    }
    if (failed) continue;
    if (rejected.length > 0) {
      mkdirSync(path.join(dir, 'rejected'), { recursive: true, mode: 0o700 });
      appendFileSync(path.join(dir, 'rejected', name), rejected.map((l) => `${l}\n`).join(''), { mode: 0o600 });
      report.rejected += rejected.length;
    }
    rmSync(file, { force: true });
    report.files++;
  }
  if (report.files > 0) log('info', `spool: ingested ${report.runs} run(s) from ${report.files} file(s)${report.duplicates ? `, ${report.duplicates} already stored` : ''}${report.rejected ? `, ${report.rejected} rejected` : ''}`);
  return report;
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
