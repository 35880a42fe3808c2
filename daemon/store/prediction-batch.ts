import { fillUuidv7, uuidWordsText, uuidWordsValue } from './ids';

/**
 * Predictions on their way into `predictions`, one object per request (or import call), not one
 * per row: columns are arrays (struct of arrays) and per-request values (model, source, execution
 * provider, request id, latency, time) are stored once. The writer copies them straight into
 * DuckDB vectors; no per-row object, Map or boxed DuckDB value is ever built.
 *
 * Arrays are referenced, not copied: a feature column is the request's own validated array, so
 * callers must not change an array after handing the batch to the writer.
 */
export type BatchColumn =
  /** One value for every row (NULL when null). */
  | { kind: 'const'; value: string | number | null }
  /** One value per row; null/undefined is NULL. Numbers into DOUBLE/FLOAT, strings into VARCHAR/JSON. */
  | { kind: 'rows'; values: ArrayLike<string | number | null | undefined> };

export interface PredictionBatch {
  readonly rows: number;
  /** Row ids, 4 uint32 words per row, in DuckDB's storage layout of a UUID (see ids.ts). */
  readonly ids: Uint32Array;
  /** Event time in µs since the epoch: one for the batch, or one per row. */
  readonly time: bigint | BigInt64Array;
  /** Values by `predictions` column name; a column not here is NULL in every row. */
  readonly columns: Map<string, BatchColumn>;
}

export function constant(value: string | number | null): BatchColumn {
  return { kind: 'const', value };
}

export function perRow(values: ArrayLike<string | number | null | undefined>): BatchColumn {
  return { kind: 'rows', values };
}

/** A batch of `rows` rows with fresh UUIDv7 ids. */
export function newBatch(rows: number, time: bigint | BigInt64Array, columns: Map<string, BatchColumn> = new Map()): PredictionBatch {
  const ids = new Uint32Array(rows * 4);
  fillUuidv7(ids, 0, rows);
  return { rows, ids, time, columns };
}

export function batchIdText(batch: PredictionBatch, row: number): string {
  return uuidWordsText(batch.ids, row);
}

export function batchTimeMicros(batch: PredictionBatch, row: number): bigint {
  return typeof batch.time === 'bigint' ? batch.time : batch.time[row]!;
}

/** The value of `column` in `row` (null when absent). */
export function batchValue(batch: PredictionBatch, column: string, row: number): string | number | null {
  const c = batch.columns.get(column);
  if (!c) return null;
  const v = c.kind === 'const' ? c.value : c.values[row];
  return v === undefined ? null : v;
}

/** Row `row` as a plain object by column name (for the spill file and tests; never on the hot path). */
export function batchRow(batch: PredictionBatch, row: number): Record<string, string | number | null> {
  const out: Record<string, string | number | null> = {
    id: uuidWordsText(batch.ids, row),
    time: new Date(Number(batchTimeMicros(batch, row) / 1000n)).toISOString(),
    time_micros: batchTimeMicros(batch, row).toString(),
  };
  for (const name of batch.columns.keys()) out[name] = batchValue(batch, name, row);
  return out;
}

export function batchIdValue(batch: PredictionBatch, row: number): bigint {
  return uuidWordsValue(batch.ids, row);
}
