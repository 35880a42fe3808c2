import { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { AsyncLocalStorage } from 'node:async_hooks';
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { SightlineError, TRACE_SCHEMA_VERSION, type FeatureKind } from '../../protocol';
import { assertReadableWithoutMigration, upgradeSchema } from './migrations';
import { SCHEMA_V1 } from './schema';
import { ident, literal } from './sql';

export interface OpenOptions {
  /** Open someone else's file: read-only, no external file access, no extension loading. */
  readOnly?: boolean;
  /**
   * DuckDB's memory_limit (e.g. `256MB`): bounds its buffer pool. DuckDB's own default is 80 % of
   * RAM, and blocks it has written or read stay cached until that limit is reached, so a
   * long-running writer grows with its file (see `DEFAULT_MEMORY_LIMIT` in daemon/server/daemon.ts).
   * Past the limit DuckDB evicts cached blocks (they are re-read from the file) and spills
   * large intermediates to `<trace>.tmp`. Default: DuckDB's.
   */
  memoryLimit?: string;
}

/** DuckDB's own memory accounting, in bytes. */
export interface DuckDBMemory {
  usedBytes: number;
  /** memory_limit; null when DuckDB prints it in a form not understood. */
  limitBytes: number | null;
  /** By DuckDB's memory tag (BASE_TABLE: cached table blocks; HASH_TABLE, ORDER_BY …: queries). */
  byTag: Record<string, number>;
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
  /** The store whose `exclusive` section the current async context runs in (see `conn`). */
  private static readonly writing = new AsyncLocalStorage<TraceStore>();
  private featureColumns = new Map<string, FeatureColumn>();
  private lock: Promise<unknown> = Promise.resolve();
  /** Bumped whenever `predictions` gains columns, so appenders know to re-read the layout. */
  schemaGeneration = 0;

  /** The memory_limit to restore in `trimMemory` (the configured one, else DuckDB's own, read once). */
  private memoryLimit: string | null = null;

  private constructor(
    readonly path: string,
    readonly instance: DuckDBInstance,
    private readonly readConn: DuckDBConnection,
    private readonly writeConn: DuckDBConnection,
    readonly readOnly: boolean,
  ) {}

  /**
   * The connection to use: inside `exclusive` (appends, DDL, transactions) the writer's own,
   * elsewhere the readers'. One shared connection let a read issued while a writer's transaction
   * was open run inside that transaction — a failing read aborted the writer's transaction and
   * concurrent requests failed with "Current transaction is aborted" or "closed pending query
   * result" (found by the protocol fuzzer: 500 internal on POST /v1/review under load).
   */
  get conn(): DuckDBConnection {
    if (TraceStore.writing.getStore() === this) return this.writeConn;
    this.reads++;
    return this.readConn;
  }

  /** The further reader connection of `readLanes`, made on first use. */
  private lane: Promise<DuckDBConnection> | null = null;
  private laneConn: DuckDBConnection | null = null;

  /**
   * Further reader connections, for work that runs independent queries at once (drift's
   * features: `computeDrift`'s lanes). None inside `exclusive`: a lane would not see the
   * writer's open transaction.
   */
  async readLanes(): Promise<DuckDBConnection[]> {
    if (TraceStore.writing.getStore() === this) return [];
    this.lane ??= this.instance.connect().then((c) => (this.laneConn = c));
    this.reads++;
    return [await this.lane];
  }

  static async open(path: string, options: OpenOptions = {}): Promise<TraceStore> {
    const readOnly = options.readOnly ?? false;
    if (readOnly && path !== ':memory:' && !existsSync(path)) {
      throw new SightlineError('bad_file', `trace file not found: ${path}`);
    }
    // A FIFO or device "trace" would block DuckDB's first read forever (found by the robustness
    // corpus: `sightline open fifo.duckdb` hung); a trace is a regular file.
    if (path !== ':memory:' && existsSync(path) && !statSync(path).isFile()) {
      throw new SightlineError('bad_file', `${path} is not a regular file (${statSync(path).isDirectory() ? 'a directory' : 'a pipe, socket or device'}); a trace is a DuckDB file`);
    }
    // Only DuckDB's own format reaches DuckDB: handed a SQLite file, it tries to download and
    // install the sqlite extension from the network to attach it (found by the robustness corpus).
    if (path !== ':memory:' && existsSync(path) && !isDuckDbFile(path)) {
      throw new SightlineError('bad_file', `${path} is not a DuckDB file (no DuckDB header); a trace is a DuckDB database written by Sightline`);
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
    if (options.memoryLimit) config.memory_limit = options.memoryLimit;
    let instance: DuckDBInstance;
    try {
      instance = await DuckDBInstance.create(path, config);
    } catch (err) {
      throw describeOpenError(path, err);
    }
    const conn = await instance.connect();
    const store = new TraceStore(path, instance, conn, readOnly ? conn : await instance.connect(), readOnly);
    store.memoryLimit = options.memoryLimit ?? null;
    try {
      if (readOnly) await store.checkVersion();
      else await store.migrate();
      await store.loadFeatureColumns();
    } catch (err) {
      store.close();
      // A file DuckDB opens but whose tables are not what Sightline wrote (a foreign or crafted
      // file) fails in these first queries: say so as bad_file, not as an unexpected crash.
      if (err instanceof SightlineError) throw err;
      throw new SightlineError('bad_file', `${path} is not a usable Sightline trace: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
    }
    return store;
  }

  /** Creates missing tables and records the schema version; refuses files newer than this build. */
  private async migrate(): Promise<void> {
    const version = await this.schemaVersion();
    if (version !== null && version > TRACE_SCHEMA_VERSION) throw tooNew(this.path, version);
    if (version === null) await this.refuseForeignDatabase();
    if (version !== null && version < TRACE_SCHEMA_VERSION) await upgradeSchema(this.conn, version);
    for (const ddl of SCHEMA_V1) await this.conn.run(ddl);
    if (version === null) {
      await this.conn.run(`INSERT INTO meta VALUES ('schema_version', ${literal(String(TRACE_SCHEMA_VERSION))})`);
      await this.conn.run(`INSERT INTO meta VALUES ('created', ${literal(new Date().toISOString())})`);
    }
  }

  /** A read-only open cannot create missing tables: a file without them is not a trace (it used to crash `open` with exit 70). */
  private async requireTables(tables: string[]): Promise<void> {
    const r = await this.conn.runAndReadAll(`SELECT table_name FROM system.main.duckdb_tables() WHERE database_name NOT IN ('system', 'temp') AND schema_name = 'main'`);
    const present = new Set(r.getRowObjectsJS().map((row) => String(row.table_name)));
    const missing = tables.filter((t) => !present.has(t));
    if (missing.length > 0 && present.has('meta')) throw new SightlineError('bad_file', `${this.path} lacks the table(s) ${missing.join(', ')}; it is not a complete Sightline trace (damaged, or cut down by hand)`);
  }

  /**
   * `serve --trace customers.duckdb` once added Sightline's tables into someone's own database
   * (found by the robustness corpus). A new trace is a new or empty file.
   */
  private async refuseForeignDatabase(): Promise<void> {
    const r = await this.conn.runAndReadAll(`SELECT table_name FROM system.main.duckdb_tables() WHERE NOT internal AND database_name NOT IN ('system', 'temp') LIMIT 5`);
    const tables = r.getRowObjectsJS().map((row) => JSON.stringify(String(row.table_name)));
    if (tables.length > 0) {
      throw new SightlineError('bad_file', `${this.path} is a DuckDB database but not a Sightline trace (it holds ${tables.join(', ')}${tables.length === 5 ? ', …' : ''} and no meta table); give a new file name or an existing trace`);
    }
  }

  private async checkVersion(): Promise<void> {
    await this.refuseStoredCode();
    await this.requireTables(['meta', 'models', 'feature_columns', 'predictions', 'labels']);
    const version = await this.schemaVersion();
    if (version === null) throw new SightlineError('bad_file', `${this.path} is a DuckDB file but not a Sightline trace (no meta table)`);
    if (version > TRACE_SCHEMA_VERSION) throw tooNew(this.path, version);
    if (version < TRACE_SCHEMA_VERSION) assertReadableWithoutMigration(this.path, version);
  }

  /**
   * Someone else's file must not bring SQL of its own. Sightline writes only tables; a persisted
   * macro would shadow a built-in (a macro `quantile_cont` returning 42 silently fakes every
   * drift score: found by the security tests), and a view computes its "data" (e.g. over
   * `read_csv('/etc/passwd')`, which external access being disabled refuses, but only at query time).
   */
  private async refuseStoredCode(): Promise<void> {
    // Qualified catalog functions and no aggregates: a stored macro can shadow `count_star` or
    // even an unqualified `duckdb_functions()` (both seen in crafted files).
    const r = await this.conn.runAndReadAll(
      `SELECT 'macro' AS kind, function_name AS name FROM system.main.duckdb_functions() WHERE NOT internal AND database_name NOT IN ('system', 'temp')
       UNION ALL
       SELECT 'view' AS kind, view_name AS name FROM system.main.duckdb_views() WHERE NOT internal AND database_name NOT IN ('system', 'temp')
       LIMIT 20`,
    );
    const found = r.getRowObjectsJS().map((row) => `${String(row.kind)} ${JSON.stringify(String(row.name))}`);
    if (found.length > 0) {
      throw new SightlineError('bad_file', `${this.path} holds SQL of its own (${found.slice(0, 5).join(', ')}${found.length > 5 ? ', …' : ''}); a Sightline trace holds only tables, so this file was crafted or altered. Refusing to run SQL that came with someone else's file.`);
    }
  }

  async schemaVersion(): Promise<number | null> {
    const tables = await this.conn.runAndReadAll(
      `SELECT count(*)::INT AS n FROM information_schema.tables WHERE table_name = 'meta' AND table_schema = 'main'`,
    );
    if (Number(tables.getRowObjectsJS()[0]?.n ?? 0) === 0) return null;
    const r = await this.conn.runAndReadAll(`SELECT value FROM meta WHERE key = 'schema_version'`);
    const v = r.getRowObjectsJS()[0]?.value;
    if (v === undefined) return null;
    // A crafted or damaged meta table (version "abc") once opened as "schema vNaN".
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new SightlineError('bad_file', `${this.path} records trace schema version ${JSON.stringify(String(v)).slice(0, 60)}, which is not a version number; the file is damaged or not a Sightline trace`);
    return n;
  }

  private async loadFeatureColumns(): Promise<void> {
    const r = await this.conn.runAndReadAll(`SELECT feature, kind, column_name FROM feature_columns ORDER BY column_name`);
    const columns = new Set(await this.predictionColumns());
    for (const row of r.getRowObjectsJS()) {
      // Column names come from the file: Sightline generates them (f_3, a_4); anything else, or one
      // that `predictions` lacks, means a damaged or crafted trace (found by the security tests).
      if (!/^[fa]_\d+$/.test(String(row.column_name)) || !columns.has(String(row.column_name))) {
        throw new SightlineError('bad_file', `${this.path} maps feature ${JSON.stringify(String(row.feature)).slice(0, 80)} to column ${JSON.stringify(String(row.column_name)).slice(0, 80)}, which predictions does not have; the trace is damaged or was altered`);
      }
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
    if (TraceStore.writing.getStore() === this) return fn(); // already inside: re-entrant, not a deadlock
    const inside = (): Promise<T> => TraceStore.writing.run(this, fn);
    const run = this.lock.then(inside, inside);
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

  /**
   * Keeps a long-running writer's memory flat: drops cached table blocks beyond `keepCacheBytes`
   * and hands memory DuckDB has freed back to the operating system.
   *
   * - DuckDB keeps every block the writer checkpointed or a query read cached until memory_limit
   *   is reached, so RSS grew with the trace file (+1.2 MB a minute at 500 rows/s in the soak,
   *   heading for the limit). Recent blocks are what the editor's queries read; older ones come
   *   back from the file (and the OS page cache) when needed.
   * - DuckDB's block allocator keeps freed blocks for reuse (a 3M-row scan left ~290 MB).
   *
   * Both are done by setting memory_limit: DuckDB evicts unpinned blocks down to the new limit,
   * then flushes its allocator (BufferPool::SetLimit → FlushAll). The limit is lowered to what is
   * in use minus the table cache beyond `keepCacheBytes` and restored in the same call, so it is
   * low for microseconds; if DuckDB cannot evict enough (blocks pinned by a running query), the
   * first statement fails, nothing changes, and the limit is restated (which still releases
   * freed memory). Measured: 393 → 110 MB RSS and a 70 → 3 MB cache after a 3M-row scan.
   */
  async trimMemory(keepCacheBytes: number): Promise<void> {
    const restore = `SET memory_limit = ${literal(await this.configuredMemoryLimit())}`;
    const r = await this.conn.runAndReadAll(
      `SELECT coalesce(sum(memory_usage_bytes), 0)::DOUBLE AS total, coalesce(sum(memory_usage_bytes) FILTER (WHERE tag = 'BASE_TABLE'), 0)::DOUBLE AS cached FROM duckdb_memory()`,
    );
    const { total, cached } = r.getRowObjectsJS()[0] as { total: number; cached: number };
    if (cached > keepCacheBytes) {
      const lowered = Math.ceil(Math.max(total - cached + keepCacheBytes, 16 * 1048576) / 1024);
      try {
        await this.conn.run(`SET memory_limit = '${lowered}KiB'; ${restore}`);
        return;
      } catch {
        /* could not evict that much now: restate the limit below */
      }
    }
    await this.conn.run(restore);
  }

  /**
   * Statements run through `conn` outside `exclusive` (analyses, editor queries): how much the
   * store was read, so that the writer's upkeep (see `releaseQueryMemory`) runs only after reads.
   */
  reads = 0;

  /**
   * Frees what DuckDB keeps behind from queries that have finished: a full pass over the buffer
   * pool's eviction queues, then the limit restated (which also returns freed memory to the OS).
   *
   * Every block a query's hash tables, joins and sorts allocate is queued for eviction when the
   * query unpins it, and the queue entry holds a weak reference to the block's memory record
   * (`make_shared`, so the allocation outlives the block). DuckDB drops dead entries only while
   * evicting or in its own purge, which starts once a queue holds 32 768 entries; a daemon far
   * below its memory limit never evicts, so every finished query left its entries behind. In the
   * 30-minute soak this was the ~1 MB a minute of native growth (glibc's main arena: heaptrack
   * found ~115 k live allocations from `BlockHandle::BlockHandle` at 6 minutes); drift requests
   * back to back on a copy of the demo trace grew the main arena ([heap] in smaps) by ~12 MB per
   * 100 runs; with this pass every 10 s it stayed flat.
   *
   * Asking DuckDB for a memory limit of 0 makes it walk every queue: dead entries are dropped and
   * every block nobody uses is unloaded (cached table blocks are re-read from the file when next
   * needed; query memory not pinned at that moment goes to `<trace>.tmp`), then it finds it
   * cannot get to 0 and refuses the new limit.
   *
   * It must never *accept* the 0: a 0-byte limit makes every query fail with "Out of Memory (0
   * bytes/0 bytes used)" until it is restated (seen once in a stress run with an earlier version
   * of this pass: an outage of a minute). So a pin is held through the pass: a small sorted result
   * on a connection of its own, read only in part, whose block stays pinned (tag ORDER_BY in
   * `duckdb_memory()`) and cannot be evicted. DuckDB then cannot get below that block and always
   * refuses. A pass whose pin does not show up in DuckDB's accounting is skipped (returns false).
   * The limit is restated afterwards from the value cached at open (a refused SET still changes
   * what `current_setting` reports), and checked where DuckDB applies it, its buffer pool.
   * Called by the writer's upkeep right after a checkpoint, when the writer's appends are in the
   * file rather than in memory.
   */
  async releaseQueryMemory(): Promise<boolean> {
    const limit = await this.configuredMemoryLimit();
    const poolLimit = async (): Promise<string> => String((await this.conn.runAndReadAll(`SELECT memory_limit AS l FROM pragma_database_size() LIMIT 1`)).getRowObjectsJS()[0]?.l);
    const before = await poolLimit();
    const pin = await this.instance.connect();
    try {
      const held = await pin.stream(`SELECT x FROM (VALUES (2), (1)) AS pinned(x) ORDER BY x`);
      try {
        await held.fetchChunk();
        const pinned = (await this.conn.runAndReadAll(`SELECT coalesce(sum(memory_usage_bytes), 0)::DOUBLE AS b FROM duckdb_memory() WHERE tag = 'ORDER_BY'`)).getRowObjectsJS()[0]?.b;
        if (!(Number(pinned) > 0)) return false;
        try {
          await this.conn.run(`SET memory_limit = '0B'`);
        } catch {
          /* expected: DuckDB could not get down to 0 bytes (the pin), after evicting all it could */
        }
      } finally {
        // Read to the end: the query finishes and unpins its block (a closed connection with the
        // result still open kept the block until the result object was garbage-collected).
        while (((await held.fetchChunk())?.rowCount ?? 0) > 0) {
          /* two rows */
        }
      }
    } finally {
      pin.closeSync();
      // Restated, and checked where DuckDB applies it, a few times if need be.
      for (let attempt = 0; ; attempt++) {
        try {
          await this.conn.run(`SET memory_limit = ${literal(limit)}`);
          if ((await poolLimit()) === before) break;
        } catch (err) {
          if (attempt >= 20) throw err;
        }
        if (attempt >= 20) throw new Error(`DuckDB's memory limit is not back to ${before} after the eviction pass`);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    }
    return true;
  }

  private async configuredMemoryLimit(): Promise<string> {
    if (this.memoryLimit === null) {
      const r = await this.conn.runAndReadAll(`SELECT current_setting('memory_limit') AS lim`);
      this.memoryLimit = String(r.getRowObjectsJS()[0]!.lim);
    }
    return this.memoryLimit;
  }

  /** DuckDB's own memory accounting (buffer pool: cached blocks and query memory) and its limit, in bytes. */
  async memoryUsage(): Promise<DuckDBMemory> {
    // The reader's connection directly: a health poll is not a read that leaves query memory behind.
    const r = await this.readConn.runAndReadAll(`SELECT tag, memory_usage_bytes::DOUBLE AS bytes, current_setting('memory_limit') AS lim FROM duckdb_memory()`);
    const rows = r.getRowObjectsJS();
    const byTag = Object.fromEntries(rows.map((row) => [String(row.tag), Number(row.bytes)]));
    const used = Object.values(byTag).reduce((a, b) => a + b, 0);
    return { usedBytes: used, limitBytes: rows[0] ? parseSize(String(rows[0].lim)) : null, byTag };
  }

  async checkpoint(): Promise<void> {
    if (!this.readOnly) await this.conn.run('CHECKPOINT');
  }

  close(): void {
    for (const c of new Set([this.writeConn, this.readConn, ...(this.laneConn ? [this.laneConn] : [])])) {
      try {
        c.closeSync();
      } catch {
        /* already closed */
      }
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

/** DuckDB's database header: the magic bytes `DUCK` at offset 8. */
function isDuckDbFile(path: string): boolean {
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(12);
    return readSync(fd, head, 0, 12, 0) === 12 && head.subarray(8, 12).toString('latin1') === 'DUCK';
  } finally {
    closeSync(fd);
  }
}

function describeOpenError(path: string, err: unknown): SightlineError {
  // One line: DuckDB's messages run on with hints that garble the CLI's `sightline: … [code]` line.
  const msg = (err instanceof Error ? err.message : String(err)).split('\n')[0]!;
  // Not /lock/: "…checksum of block 3…" said "locked by another process" for a corrupt file.
  if (/Could not set lock|Conflicting lock|\block(ed)?\b/i.test(msg)) {
    return new SightlineError('conflict', `${path} is locked by another process (is a daemon already writing it?). Open a copy read-only, or stop that process. DuckDB said: ${msg}`);
  }
  if (/not a valid DuckDB|invalid|corrupt|magic|Unable to open|IO Error/i.test(msg)) {
    return new SightlineError('bad_file', `${path} is not a readable DuckDB trace file: ${msg}`);
  }
  return new SightlineError('bad_file', `cannot open ${path}: ${msg}`);
}

/** DuckDB's printed sizes ("256.0 MiB", "1.5 GiB", "512 bytes") in bytes; null when not one. */
function parseSize(text: string): number | null {
  const m = /^([\d.]+)\s*(bytes|KiB|MiB|GiB|TiB|KB|MB|GB|TB)?$/i.exec(text.trim());
  if (!m) return null;
  const units: Record<string, number> = { bytes: 1, kib: 2 ** 10, mib: 2 ** 20, gib: 2 ** 30, tib: 2 ** 40, kb: 1e3, mb: 1e6, gb: 1e9, tb: 1e12 };
  return Number(m[1]) * (units[(m[2] ?? 'bytes').toLowerCase()] ?? 1);
}
