import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import type { Command } from 'commander';
import type { LogPredictionsRequest } from '../../protocol';
import { LogPredictionsRequest as LogSchema, SightlineError, fromZodError } from '../../protocol';
import { DEFAULT_DAEMON_OPTIONS } from '../server/daemon';
import { Engine } from '../engine';
import { describe, fileRelation, formatOf, readPages } from '../io/tabular';
import { ident } from '../store/sql';
import { findDaemon } from './connect';
import { printJson, progress, runCommand } from './output';

const PAGE = 5000;

export function registerImport(program: Command): void {
  program
    .command('import <file>')
    .description('log predictions made elsewhere (CSV, Parquet, JSONL) without running a model')
    .requiredOption('--model <name@version>', 'model the predictions came from')
    .option('--trace <file>', 'write this trace in-process (default: send to the running daemon)')
    .option('--features <cols>', 'comma-separated feature columns (default: every column not named by another option)')
    .option('--attributes <cols>', 'comma-separated slice attribute columns', '')
    .option('--id <col>', 'prediction id column (UUIDs)')
    .option('--join-key <col>', 'join key column (labels match on it)')
    .option('--time <col>', 'prediction time column')
    .option('--score <col>', 'score / probability column')
    .option('--label <col>', 'predicted label column')
    .option('--source <name>', 'source recorded on each row', 'imported')
    .option('--json', 'print the result as JSON')
    .action((file: string, opts) => runCommand(async () => {
      const [name, version] = String(opts.model).split('@');
      if (!name || !version) throw new SightlineError('invalid_request', `--model must be name@version, got ${opts.model}`);
      const db = await DuckDBInstance.create(':memory:');
      const conn = await db.connect();
      const relation = fileRelation(file);
      const columns = await describe(conn, relation, file);
      const colNames = columns.map((c) => c.name);
      // DuckDB's CSV sniffer falls back to one column per line when rows do not split
      // consistently (unbalanced quotes, varying field counts): that is a malformed file.
      const only = colNames.length === 1 ? colNames[0]! : '';
      if (formatOf(file) === 'csv' && /[,;\t|]/.test(only)) {
        throw new SightlineError('bad_file', `${file} is not well-formed CSV: its rows do not split into the same columns (the header ${JSON.stringify(only)} was read as a single column). Check for unbalanced quotes and rows with extra or missing fields.`);
      }
      const named = { id: opts.id, join_key: opts.joinKey, time: opts.time, score: opts.score, label: opts.label } as Record<string, string | undefined>;
      for (const [what, col] of Object.entries(named)) {
        if (col && !colNames.includes(col)) throw new SightlineError('invalid_request', `--${what.replace('_', '-')} column "${col}" is not in ${file} (columns: ${colNames.map((c) => JSON.stringify(c)).join(', ')})`);
      }
      const attributes = String(opts.attributes).split(',').filter(Boolean);
      const reserved = new Set([...Object.values(named).filter(Boolean), ...attributes]);
      const features: string[] = opts.features ? String(opts.features).split(',').filter(Boolean) : colNames.filter((c) => !reserved.has(c));
      for (const c of [...features, ...attributes]) if (!colNames.includes(c)) throw new SightlineError('invalid_request', `column "${c}" is not in ${file}`);
      const numeric = new Set(columns.filter((c) => /INT|DOUBLE|FLOAT|DECIMAL|REAL/.test(c.type)).map((c) => c.name));
      const select = colNames.map((c) => (/TIMESTAMP|DATE/.test(columns.find((x) => x.name === c)!.type) ? `strftime(${ident(c)}, '%Y-%m-%dT%H:%M:%S') AS ${ident(c)}` : numeric.has(c) ? `${ident(c)}::DOUBLE AS ${ident(c)}` : `${ident(c)}::VARCHAR AS ${ident(c)}`));
      const total = await checkWholeFile(conn, `SELECT ${select.join(', ')} FROM ${relation}`, colNames, file, named);

      const daemon = opts.trace ? null : await findDaemon();
      if (!opts.trace && !daemon) throw new SightlineError('not_found', 'no daemon is running; pass --trace FILE to import into a trace file directly');
      const engine = opts.trace ? await Engine.open({ ...DEFAULT_DAEMON_OPTIONS, trace: opts.trace }) : null;
      const bar = progress('import', total, { quiet: Boolean(opts.json) });
      let done = 0;
      try {
        for await (const page of readPages(conn, `SELECT ${select.join(', ')} FROM ${relation}`, PAGE, total)) {
          const req: LogPredictionsRequest = {
            model: { name, version },
            source: opts.source,
            predictions: page.map((row, i) => ({
              ...(named.id ? { id: str(row[named.id]) } : {}),
              ...(named.join_key ? { join_key: str(row[named.join_key]) } : {}),
              ...(named.time ? { time: str(row[named.time]) } : {}),
              ...(named.score ? { score: num(row[named.score], done + i, named.score) } : {}),
              ...(named.label && row[named.label] !== null ? { label: row[named.label] as string } : {}),
              features: Object.fromEntries(features.map((f) => [f, feature(row[f], done + i, f)])),
              ...(attributes.length ? { attributes: Object.fromEntries(attributes.map((a) => [a, row[a] as string | number | null])) } : {}),
            })),
          };
          const parsed = LogSchema.safeParse(req);
          if (!parsed.success) throw fromZodError(parsed.error, `rows ${done + 1}-${done + page.length} of ${file}`);
          if (engine) await engine.predictor.logPredictions(parsed.data);
          else await daemon!.client.logPredictions(parsed.data);
          done += page.length;
          bar.update(done);
        }
      } finally {
        bar.stop();
        await engine?.close();
        conn.closeSync();
        db.closeSync();
      }
      const result = { imported: done, model: `${name}@${version}`, trace: opts.trace ?? daemon!.info.trace };
      if (opts.json) printJson(result);
      else process.stdout.write(`imported ${done} predictions of ${result.model} into ${result.trace}\n`);
    }));
}

/**
 * Reads the whole file once, converting every column, before anything is written: a malformed
 * row anywhere (wrong field count, a value that does not fit its column's type, a score that is
 * not a number, an id that is not a UUID) is refused with exit code 2 and the trace is left
 * unchanged. (DuckDB's streaming reader would just stop at such a row, without an error.)
 * Returns the row count.
 */
async function checkWholeFile(conn: DuckDBConnection, select: string, columns: string[], file: string, named: Record<string, string | undefined>): Promise<number> {
  const checks = [
    'count(*) AS n',
    ...columns.map((c, i) => `count(${ident(c)}) AS c${i}`),
    ...(named.score ? [`count(${ident(named.score)}) - count(TRY_CAST(${ident(named.score)} AS DOUBLE)) AS bad_score`] : []),
    ...(named.id ? [`count(${ident(named.id)}) - count(TRY_CAST(${ident(named.id)} AS UUID)) AS bad_id`] : []),
  ];
  let row: Record<string, unknown>;
  try {
    row = (await conn.runAndReadAll(`SELECT ${checks.join(', ')} FROM (${select})`)).getRowObjectsJS()[0] ?? {};
  } catch (err) {
    const lines = (err instanceof Error ? err.message : String(err)).split('\n').filter((l) => l.trim() !== '');
    const end = lines.findIndex((l) => /^Possible (fixes|Solution)/i.test(l));
    throw new SightlineError('bad_file', `${file} is malformed, nothing was imported: ${lines.slice(0, end > 0 ? Math.min(end, 4) : 4).join(' / ')}`);
  }
  if (Number(row.bad_score ?? 0) > 0) throw new SightlineError('bad_value', `${file}: ${Number(row.bad_score)} values of score column "${named.score}" are not numbers; nothing was imported`);
  if (Number(row.bad_id ?? 0) > 0) throw new SightlineError('bad_value', `${file}: ${Number(row.bad_id)} values of id column "${named.id}" are not UUIDs; nothing was imported`);
  return Number(row.n ?? 0);
}

function str(v: unknown): string {
  return v === null || v === undefined ? '' : String(v);
}

function num(v: unknown, row: number, col: string): number | null {
  if (v === null || v === undefined) return null;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new SightlineError('bad_value', `row ${row + 1}: ${col} is ${String(v)}, not a finite number`);
  return n;
}

function feature(v: unknown, row: number, col: string): number | string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new SightlineError('bad_value', `row ${row + 1}: feature ${col} is ${v}; NaN and Infinity are refused`);
    return v;
  }
  return String(v);
}
