import path from 'node:path';
import { SightlineError, type KAnonymityReport, type PiiWarning } from '../../protocol';
import { LineageStore } from '../lineage/store';
import { LineageIndex } from '../lineage/snapshot';
import { ident, literal } from '../store/sql';
import { TraceStore, type FeatureColumn } from '../store/trace-store';
import { classSizeSql, kAnonymityReport } from './k-anonymity';
import { lineageOfModels } from './lineage-subset';
import { scanForPii } from './pii-scan';
import { planRedactions, redactedNames, type RedactionPlan, type RedactSpec } from './redaction';
import { replacementsFor } from './redacted-values';
import { collectStrings, scrubFindings, scrubProfile, scrubStrings } from './scrub';
import { checkSelection, selectionWhere, type Selection } from './selection';
import { CORE_TABLES, LINEAGE_TABLES, assertBaseTables, baselineTables, hasTables, joinKeyAliases, orderedFeatureColumns, rawKeys, type BaselineTable } from './source';

export interface ExportRequest {
  source: string;
  selection: Selection;
  redact: RedactSpec[];
  key: Buffer | null;
  quasiIdentifiers: string[];
  /** Given: enforce k (refuse below it unless allowBelowK). Absent: report against 5. */
  k?: number | undefined;
  allowBelowK: boolean;
  withBaselines: boolean;
}

/** A feature column as the export writes it (hashed numeric features become categorical text). */
export interface OutFeature {
  source: FeatureColumn;
  feature: string;
  kind: FeatureColumn['kind'];
  hash: boolean;
}

export interface StoredRow {
  [column: string]: unknown;
}

/** Everything an export decided by reading the source (read-only) before writing anything. */
export interface ExportPlan {
  request: ExportRequest;
  schemaVersion: number;
  redaction: RedactionPlan;
  features: OutFeature[];
  models: { id: string; name: string; version: string }[];
  predictions: number;
  findings: StoredRow[];
  findingsRemoved: number;
  runs: StoredRow[];
  baselines: { table: BaselineTable; row: StoredRow }[];
  lineage: { runs: string[]; artifacts: string[] } | null;
  piiWarnings: PiiWarning[];
  kAnonymity: KAnonymityReport | null;
}

/** The selected predictions (with --limit applied) as a relation aliased `p`. */
export function selectedRelation(sel: Selection, table = 'predictions'): string {
  const where = selectionWhere(sel);
  return sel.limit !== undefined
    ? `(SELECT * FROM ${table} p WHERE ${where} ORDER BY md5(p.id::VARCHAR) LIMIT ${Math.floor(sel.limit)}) p`
    : `(SELECT * FROM ${table} p WHERE ${where}) p`;
}

/** Opens the source read-only and decides what an export writes; writes nothing. */
export async function planExport(req: ExportRequest): Promise<ExportPlan> {
  checkSelection(req.selection);
  const store = await TraceStore.open(req.source, { readOnly: true });
  try {
    await assertBaseTables(store.conn, null, CORE_TABLES, req.source);
    const where = selectionWhere(req.selection);
    const featureColumns = orderedFeatureColumns(store);
    const hasRaw = Number((await store.query<{ n: number }>(`SELECT count(*)::INTEGER AS n FROM (SELECT 1 FROM predictions p WHERE ${where} AND p.raw IS NOT NULL LIMIT 1)`))[0]?.n ?? 0) > 0;
    const keys = hasRaw ? await rawKeys(store, where) : [];
    const allBaselines = await baselineTables(store);
    const baselines = req.withBaselines ? allBaselines : [];
    await assertBaseTables(store.conn, null, baselines.map((b) => b.table), req.source);
    const aliases = req.redact.some((r) => r.column === 'join_key') ? await joinKeyAliases(store, where, keys) : [];
    const redaction = planRedactions(req.redact, { featureColumns, rawKeys: keys, hasRaw, baselines, joinKeyAliases: aliases });
    if (redaction.needsKey && !req.key) throw new SightlineError('invalid_request', '--redact col=hash needs a key: --hash-key-file FILE or $SIGHTLINE_HASH_KEY');

    const counts = await store.query<{ model_id: string; n: number }>(`SELECT p.model_id, count(*)::BIGINT AS n FROM ${selectedRelation(req.selection)} GROUP BY 1`);
    const predictions = counts.reduce((s, r) => s + Number(r.n), 0);
    const modelIds = counts.map((r) => String(r.model_id));
    const models = modelIds.length
      ? (await store.query<{ id: string; name: string; version: string }>(`SELECT id, name, version FROM models WHERE id IN (${modelIds.map(literal).join(', ')}) ORDER BY name, version`))
        .map((m) => ({ id: String(m.id), name: String(m.name), version: String(m.version) }))
      : [];
    const names = [...new Set(models.map((m) => m.name))];

    const piiWarnings = await scanForPii(store, { where, rawKeys: keys, baselines, redacted: redactedNames(redaction) });
    const kAnonymity = req.quasiIdentifiers.length ? await kAnonymityOf(store, req, featureColumns, keys, redaction) : null;

    const findingRows = await store.query<StoredRow>(
      `SELECT id, time::VARCHAR AS time, kind, feature, model_name, score, threshold, metric, baseline, window_desc, details::VARCHAR AS details FROM findings
       WHERE model_name IS NULL ${names.length ? `OR model_name IN (${names.map(literal).join(', ')})` : ''} ORDER BY id`,
    );
    const runRows = await store.query<StoredRow>(
      `SELECT id, kind, started::VARCHAR AS started, ended::VARCHAR AS ended, status, settings::VARCHAR AS settings, results::VARCHAR AS results, gates::VARCHAR AS gates FROM runs
       ${req.selection.model ? `WHERE ${names.length ? names.map((n) => `contains(coalesce(settings::VARCHAR, '') || coalesce(results::VARCHAR, ''), ${literal(n)})`).join(' OR ') : 'false'}` : ''} ORDER BY id`,
    );
    const baselineRows = baselines.length
      ? await store.query<StoredRow>(`SELECT name, source, table_name, rows, created::VARCHAR AS created, profile::VARCHAR AS profile FROM baselines WHERE name IN (${baselines.map((b) => literal(b.name)).join(', ')})`)
      : [];

    // Redacted values inside the JSON documents (histogram categories, skew examples, flips, profiles).
    const json = (v: unknown): unknown => (typeof v === 'string' ? safeParse(v) : v ?? null);
    const strings = new Set<string>();
    for (const f of findingRows) collectStrings(json(f.details), strings);
    for (const r of runRows) for (const c of ['settings', 'results', 'gates']) collectStrings(json(r[c]), strings);
    for (const b of baselineRows) collectStrings(json(b.profile), strings);
    const replace = await replacementsFor(store, redaction, strings, req.key, baselines);
    const droppedFeatures = new Set(featureColumns.filter((fc) => redaction.features.get(fc.column) === 'drop').map((fc) => fc.feature));
    const scrubbed = scrubFindings(findingRows.map((f) => ({ ...f, feature: f.feature === null ? null : String(f.feature), details: json(f.details) })), droppedFeatures, replace);
    const droppedBaselineColumns = new Set([...redaction.baseline].filter(([, a]) => a === 'drop').map(([c]) => c));

    let lineage: ExportPlan['lineage'] = null;
    if (await hasTables(store, LINEAGE_TABLES)) {
      await assertBaseTables(store.conn, null, LINEAGE_TABLES, req.source);
      lineage = lineageOfModels(new LineageIndex(await new LineageStore(store).load()), modelIds);
    }

    const features: OutFeature[] = featureColumns
      .filter((fc) => redaction.features.get(fc.column) !== 'drop')
      .map((fc) => {
        const hash = redaction.features.get(fc.column) === 'hash';
        return { source: fc, feature: fc.feature, kind: hash && fc.kind === 'numeric' ? 'categorical' : fc.kind, hash };
      });
    const clash = features.find((f, i) => features.findIndex((g) => g.feature === f.feature && g.kind === f.kind) !== i);
    if (clash) throw new SightlineError('invalid_request', `--redact ${clash.feature}=hash would merge its numeric and categorical columns; drop one of them instead`);

    return {
      request: req,
      schemaVersion: (await store.schemaVersion()) ?? 0,
      redaction,
      features,
      models,
      predictions,
      findings: scrubbed.kept,
      findingsRemoved: scrubbed.removed,
      runs: runRows.map((r) => ({ ...r, settings: scrubStrings(json(r.settings), replace), results: scrubStrings(json(r.results), replace), gates: scrubStrings(json(r.gates), replace) })),
      baselines: baselines.map((b) => {
        const row = baselineRows.find((r) => r.name === b.name)!;
        return { table: b, row: { ...row, source: row.source === null ? null : path.basename(String(row.source)), profile: scrubProfile(json(row.profile), droppedBaselineColumns, replace) } };
      }),
      lineage,
      piiWarnings,
      kAnonymity,
    };
  } finally {
    store.close();
  }
}

/** k-anonymity of the rows to be written over the declared quasi-identifiers (before any write). */
async function kAnonymityOf(store: TraceStore, req: ExportRequest, featureColumns: FeatureColumn[], keys: string[], redaction: RedactionPlan): Promise<KAnonymityReport> {
  const k = req.k ?? 5;
  if (!(Number.isInteger(k) && k >= 1)) throw new SightlineError('invalid_request', `--k must be a whole number ≥ 1, got ${req.k}`);
  const fixed = new Set(['join_key', 'request_id', 'model_name', 'model_version', 'source', 'execution_provider', 'label_pred']);
  const exprs: string[] = [];
  const ignored: { name: string; reason: string }[] = [];
  for (const name of req.quasiIdentifiers) {
    const cols = featureColumns.filter((fc) => fc.feature === name);
    if (cols.length > 0) {
      const kept = cols.filter((fc) => redaction.features.get(fc.column) !== 'drop');
      if (kept.length === 0) ignored.push({ name, reason: 'dropped by --redact, not in the export' });
      for (const fc of kept) exprs.push(`p.${ident(fc.column)}`);
    } else if (fixed.has(name)) {
      if (redaction.fixed.get(name) === 'drop') ignored.push({ name, reason: 'dropped by --redact, not in the export' });
      else exprs.push(`p.${ident(name)}`);
    } else if (keys.includes(name)) {
      if (redaction.raw.get(name) === 'drop') ignored.push({ name, reason: 'dropped by --redact, not in the export' });
      else exprs.push(`p.raw ->> ${literal(name)}`);
    } else {
      throw new SightlineError('invalid_request', `--quasi-identifiers ${name}: no feature, attribute, column or raw key of that name (known: ${[...new Set(featureColumns.map((f) => f.feature))].join(', ')}, ${[...fixed].join(', ')})`);
    }
  }
  const rows = await store.query<{ size: number; classes: number }>(classSizeSql(selectedRelation(req.selection), exprs));
  return kAnonymityReport(rows.map((r) => ({ size: Number(r.size), classes: Number(r.classes) })), { quasiIdentifiers: req.quasiIdentifiers, k, enforced: req.k !== undefined, ignored });
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
