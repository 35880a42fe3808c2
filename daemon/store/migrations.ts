import type { DuckDBConnection } from '@duckdb/node-api';
import { SightlineError, TRACE_SCHEMA_VERSION } from '../../protocol';
import { literal } from './sql';

/**
 * Upgrades of the trace-file schema. Each step takes a file from `from` to `to` (= from + 1) with
 * SQL statements or JS functions written against the layout of version `from` — frozen history,
 * never edited once released. A writable open that finds an older file runs every pending step
 * and records the new version, all in one transaction: a failure leaves the file as it was.
 *
 * `readable` says whether this build can still read a file that has not had the step (a read-only
 * open of someone else's file cannot upgrade it): a step that only adds tables readers tolerate
 * missing is readable; one that adds or renames columns readers select is not, and the reader is
 * told to run `sightline migrate FILE` on a copy.
 */
export interface Migration {
  from: number;
  to: number;
  description: string;
  readable: boolean;
  steps: Array<string | ((conn: DuckDBConnection) => Promise<void>)>;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    // Files of the first daemon release: baselines were only registered by name (no rows copied
    // into the trace) and there were no lineage tables.
    from: 0,
    to: 1,
    description: 'baselines gain table_name (their rows live in baseline__<name>); lineage tables components, component_runs, artifacts, run_io, flags',
    readable: false,
    steps: [
      `ALTER TABLE baselines ADD COLUMN IF NOT EXISTS table_name VARCHAR`,
      `UPDATE baselines SET table_name = 'baseline__' || name WHERE table_name IS NULL`,
      `CREATE TABLE IF NOT EXISTS components (name VARCHAR PRIMARY KEY, owner VARCHAR, tags JSON, description VARCHAR)`,
      `CREATE TABLE IF NOT EXISTS component_runs (
         id VARCHAR PRIMARY KEY, component VARCHAR NOT NULL, "start" TIMESTAMPTZ NOT NULL, "end" TIMESTAMPTZ,
         status VARCHAR NOT NULL, git_commit VARCHAR, git_dirty BOOLEAN, code_file VARCHAR, code_line INTEGER,
         params JSON, metrics JSON, notes VARCHAR)`,
      `CREATE TABLE IF NOT EXISTS artifacts (
         id VARCHAR PRIMARY KEY, name VARCHAR NOT NULL, kind VARCHAR NOT NULL, uri VARCHAR, content_hash VARCHAR,
         size BIGINT, created TIMESTAMPTZ NOT NULL)`,
      `CREATE TABLE IF NOT EXISTS run_io (
         run_id VARCHAR NOT NULL, artifact_id VARCHAR NOT NULL, direction VARCHAR NOT NULL,
         PRIMARY KEY (run_id, artifact_id, direction))`,
      `CREATE TABLE IF NOT EXISTS flags (
         target_kind VARCHAR NOT NULL, target_id VARCHAR NOT NULL, reason VARCHAR, time TIMESTAMPTZ NOT NULL, source VARCHAR)`,
    ],
  },
];

/** The steps from `version` up to `target`, in order; refuses gaps in the registry. */
export function migrationPlan(version: number, target: number = TRACE_SCHEMA_VERSION, registry: readonly Migration[] = MIGRATIONS): Migration[] {
  const plan: Migration[] = [];
  for (let v = version; v < target; v++) {
    const step = registry.find((m) => m.from === v);
    if (!step || step.to !== v + 1) {
      throw new SightlineError('bad_file', `no migration from trace schema version ${v} to ${v + 1}; this Sightline cannot upgrade the file`);
    }
    plan.push(step);
  }
  return plan;
}

/**
 * Runs the pending steps and records the new version in one transaction. The caller holds the
 * only connection (a writable open), so nothing else sees the file half-upgraded.
 */
export async function upgradeSchema(
  conn: DuckDBConnection,
  version: number,
  target: number = TRACE_SCHEMA_VERSION,
  registry: readonly Migration[] = MIGRATIONS,
): Promise<Migration[]> {
  const plan = migrationPlan(version, target, registry);
  if (plan.length === 0) return plan;
  await conn.run('BEGIN TRANSACTION');
  try {
    for (const m of plan) {
      for (const step of m.steps) {
        if (typeof step === 'string') await conn.run(step);
        else await step(conn);
      }
    }
    await conn.run(`UPDATE meta SET value = ${literal(String(target))} WHERE key = 'schema_version'`);
    await conn.run(`INSERT INTO meta VALUES ('migrated', ${literal(`${version}->${target} ${new Date().toISOString()}`)}) ON CONFLICT (key) DO UPDATE SET value = excluded.value`);
    await conn.run('COMMIT');
  } catch (err) {
    await conn.run('ROLLBACK').catch(() => undefined);
    const msg = err instanceof Error ? err.message : String(err);
    throw new SightlineError('bad_file', `upgrading the trace from schema version ${version} to ${target} failed; the file is unchanged: ${msg}`);
  }
  return plan;
}

/** A read-only open of an older file: fine when every pending step is readable, else says how to upgrade. */
export function assertReadableWithoutMigration(path: string, version: number, target: number = TRACE_SCHEMA_VERSION, registry: readonly Migration[] = MIGRATIONS): void {
  const plan = migrationPlan(version, target, registry);
  const blocking = plan.filter((m) => !m.readable);
  if (blocking.length === 0) return;
  throw new SightlineError(
    'unsupported',
    `${path} uses trace schema version ${version}; this Sightline reads it after an upgrade to version ${target} (${blocking.map((m) => m.description).join('; ')}). Run \`sightline migrate ${path}\` (on a copy if the file is not yours), then open it again.`,
  );
}
