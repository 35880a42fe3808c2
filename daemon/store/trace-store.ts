import { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { existsSync } from 'node:fs';
import { SightlineError, TRACE_SCHEMA_VERSION, type FeatureKind } from '../../protocol';
import { SCHEMA_V1 } from './schema';
import { ident, literal } from './sql';

export interface OpenOptions {
  /** Open someone else's file: read-only, no external file access, no extension loading. */
  readOnly?: boolean;
}

export interface FeatureColumn {
  feature: string;
  kind: FeatureKind | 'attribute';
  column: string;
  /** DuckDB type of the column. */
  sqlType: 'DOUBLE' | 'VARCHAR';
}

/**
 * One trace file: a DuckDB database holding models, predictions, labels, lineage and findings.
 * The daemon is its only writer; everyone else opens it read-only.
 */
export class TraceStore {
  private featureColumns = new Map<string, FeatureColumn>();
  private lock: Promise<unknown> = Promise.resolve();
  /** Bumped whenever `predictions` gains columns, so appenders know to re-read the layout. */
  schemaGeneration = 0;

  private constructor(
    readonly path: string,
    readonly instance: DuckDBInstance,
    readonly conn: DuckDBConnection,
    readonly readOnly: boolean,
  ) {}

  static async open(path: string, options: OpenOptions = {}): Promise<TraceStore> {
    const readOnly = options.readOnly ?? false;
    if (readOnly && path !== ':memory:' && !existsSync(path)) {
      throw new SightlineError('bad_file', `trace file not found: ${path}`);
    }
    const config: Record<string, string> = readOnly
      ? {
          access_mode: 'READ_ONLY',
          // A shared trace must not be able to read or write local files or pull in code.
          enable_external_access: 'false',
          autoinstall_known_extensions: 'false',
          autoload_known_extensions: 'false',
        }
      : {};
    let instance: DuckDBInstance;
    try {
      instance = await DuckDBInstance.create(path, config);
    } catch (err) {
      throw describeOpenError(path, err);
    }
    const conn = await instance.connect();
    const store = new TraceStore(path, instance, conn, readOnly);
    try {
      if (readOnly) await store.checkVersion();
      else await store.migrate();
      await store.loadFeatureColumns();
    } catch (err) {
      store.close();
      throw err;
    }
    return store;
  }

  /** Creates missing tables and records the schema version; refuses files newer than this build. */
  private async migrate(): Promise<void> {
    const version = await this.schemaVersion();
    if (version !== null && version > TRACE_SCHEMA_VERSION) throw tooNew(this.path, version);
    for (const ddl of SCHEMA_V1) await this.conn.run(ddl);
    if (version === null) {
      await this.conn.run(`INSERT INTO meta VALUES ('schema_version', ${literal(String(TRACE_SCHEMA_VERSION))})`);
      await this.conn.run(`INSERT INTO meta VALUES ('created', ${literal(new Date().toISOString())})`);
    }
  }

  private async checkVersion(): Promise<void> {
    const version = await this.schemaVersion();
    if (version === null) throw new SightlineError('bad_file', `${this.path} is a DuckDB file but not a Sightline trace (no meta table)`);
    if (version > TRACE_SCHEMA_VERSION) throw tooNew(this.path, version);
  }

  async schemaVersion(): Promise<number | null> {
    const tables = await this.conn.runAndReadAll(
      `SELECT count(*)::INT AS n FROM information_schema.tables WHERE table_name = 'meta' AND table_schema = 'main'`,
    );
    if (Number(tables.getRowObjectsJS()[0]?.n ?? 0) === 0) return null;
    const r = await this.conn.runAndReadAll(`SELECT value FROM meta WHERE key = 'schema_version'`);
    const v = r.getRowObjectsJS()[0]?.value;
    return v === undefined ? null : Number(v);
  }

  private async loadFeatureColumns(): Promise<void> {
    const r = await this.conn.runAndReadAll(`SELECT feature, kind, column_name FROM feature_columns ORDER BY column_name`);
    for (const row of r.getRowObjectsJS()) {
      const kind = String(row.kind) as FeatureColumn['kind'];
      const fc: FeatureColumn = { feature: String(row.feature), kind, column: String(row.column_name), sqlType: kind === 'numeric' ? 'DOUBLE' : 'VARCHAR' };
      this.featureColumns.set(key(fc.feature, fc.kind), fc);
    }
  }

  /**
   * Runs `fn` with exclusive use of the connection. Appends and DDL from different parts of the
   * daemon are serialised here so an ALTER never interleaves with an appender.
   */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.lock.then(fn, fn);
    this.lock = run.catch(() => undefined);
    return run;
  }

  /** The column holding a feature's values, if any model has logged it. */
  featureColumn(feature: string, kind: FeatureColumn['kind']): FeatureColumn | undefined {
    return this.featureColumns.get(key(feature, kind));
  }

  allFeatureColumns(): FeatureColumn[] {
    return [...this.featureColumns.values()];
  }

  /**
   * Adds a typed column per new feature. Column names are generated (`f_1`, `a_2`, …) so that
   * hostile feature names never reach DDL; the mapping lives in `feature_columns`.
   * Returns true when the table changed (appenders must be recreated).
   */
  async ensureFeatureColumns(specs: { name: string; kind: FeatureColumn['kind'] }[]): Promise<boolean> {
    this.assertWritable();
    if (specs.every((s) => this.featureColumns.has(key(s.name, s.kind)))) return false;
    return this.exclusive(() => this.addFeatureColumns(specs));
  }

  private async addFeatureColumns(specs: { name: string; kind: FeatureColumn['kind'] }[]): Promise<boolean> {
    let changed = false;
    for (const spec of specs) {
      if (this.featureColumns.has(key(spec.name, spec.kind))) continue;
      const column = `${spec.kind === 'attribute' ? 'a' : 'f'}_${this.featureColumns.size + 1}`;
      const sqlType = spec.kind === 'numeric' ? 'DOUBLE' : 'VARCHAR';
      await this.conn.run('BEGIN TRANSACTION');
      try {
        await this.conn.run(`ALTER TABLE predictions ADD COLUMN ${ident(column)} ${sqlType}`);
        await this.conn.run(
          `INSERT INTO feature_columns VALUES (${literal(spec.name)}, ${literal(spec.kind)}, ${literal(column)})`,
        );
        await this.conn.run('COMMIT');
      } catch (err) {
        await this.conn.run('ROLLBACK');
        throw err;
      }
      this.featureColumns.set(key(spec.name, spec.kind), { feature: spec.name, kind: spec.kind, column, sqlType });
      this.schemaGeneration++;
      changed = true;
    }
    return changed;
  }

  /** Column names of `predictions` in table order (the appender's order). */
  async predictionColumns(): Promise<string[]> {
    const r = await this.conn.runAndReadAll(`SELECT name FROM pragma_table_info('predictions') ORDER BY cid`);
    return r.getRowObjectsJS().map((row) => String(row.name));
  }

  /** Records a model (idempotent by content hash). */
  async upsertModel(m: { id: string; name: string; version: string; path: string | null; inputs: unknown; outputs: unknown; card: unknown }): Promise<void> {
    this.assertWritable();
    await this.exclusive(async () => {
      await this.conn.run(
        `INSERT INTO models (id, name, version, path, inputs, outputs, card) VALUES (${literal(m.id)}, ${literal(m.name)}, ${literal(m.version)}, ${m.path === null ? 'NULL' : literal(m.path)}, ${literal(JSON.stringify(m.inputs))}, ${literal(JSON.stringify(m.outputs))}, ${literal(JSON.stringify(m.card))}) ON CONFLICT (id) DO UPDATE SET path = excluded.path`,
      );
    });
  }

  async query<T = Record<string, unknown>>(sql: string): Promise<T[]> {
    const r = await this.conn.runAndReadAll(sql);
    return r.getRowObjectsJson() as T[];
  }

  assertWritable(): void {
    if (this.readOnly) throw new SightlineError('unsupported', `${this.path} is open read-only`);
  }

  async checkpoint(): Promise<void> {
    if (!this.readOnly) await this.conn.run('CHECKPOINT');
  }

  close(): void {
    try {
      this.conn.closeSync();
    } catch {
      /* already closed */
    }
    try {
      this.instance.closeSync();
    } catch {
      /* already closed */
    }
  }
}

function key(feature: string, kind: string): string {
  return `${kind}\u0000${feature}`;
}

function tooNew(path: string, version: number): SightlineError {
  return new SightlineError(
    'schema_too_new',
    `${path} uses trace schema version ${version}, but this Sightline reads up to version ${TRACE_SCHEMA_VERSION}. Upgrade Sightline to open it.`,
  );
}

function describeOpenError(path: string, err: unknown): SightlineError {
  const msg = err instanceof Error ? err.message : String(err);
  if (/lock/i.test(msg)) {
    return new SightlineError('conflict', `${path} is locked by another process (is a daemon already writing it?). Open a copy read-only, or stop that process. DuckDB said: ${msg}`);
  }
  if (/not a valid DuckDB|invalid|corrupt|magic|Unable to open|IO Error/i.test(msg)) {
    return new SightlineError('bad_file', `${path} is not a readable DuckDB trace file: ${msg}`);
  }
  return new SightlineError('bad_file', `cannot open ${path}: ${msg}`);
}
