/**
 * Test helper: synthetic tables for the drift tests; one-column tables from plain arrays (the
 * reference fixtures' inputs) through the shared bit-exact table helper.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { quoteIdentifier } from '../../../daemon/analysis/sql.js';
import { createTable, type Cell, type ColumnType } from '../../helpers/duckdb';

export type { Cell, ColumnType };

export function createColumnTable(conn: DuckDBConnection, table: string, column: string, type: ColumnType, values: readonly Cell[]): Promise<void> {
  return createTable(conn, table, [[column, type]], values.map((v) => [v]));
}

export interface SyntheticShape {
  /** Mean and standard deviation of the numeric column `amount` (normal). */
  mean: number;
  sd: number;
  /** Weights of the categories of `channel`: web, app, store, phone. */
  channelWeights: [number, number, number, number];
}

/**
 * A table of `rows` rows generated inside DuckDB (no row passes through JavaScript), fully
 * deterministic for a given seed whatever the thread count: uniforms come from hashing the row
 * number with the seed, normals from Box–Muller. Columns: amount DOUBLE, channel VARCHAR,
 * items INTEGER (0..9, from the same uniform stream as amount's second draw).
 */
export async function createSyntheticTable(
  conn: DuckDBConnection,
  table: string,
  rows: number,
  seed: number,
  shape: SyntheticShape,
): Promise<void> {
  const uniform = (stream: number) =>
    `(((hash(4 * i + ${stream} + ${seed}::BIGINT * 1000000000000) >> 11)::DOUBLE + 0.5) / 9007199254740992)`;
  const [w1, w2, w3] = shape.channelWeights;
  await conn.run(`CREATE OR REPLACE TABLE ${quoteIdentifier(table)} AS
    SELECT
      ${shape.mean} + ${shape.sd} * sqrt(-2 * ln(${uniform(0)})) * cos(2 * pi() * ${uniform(1)}) AS amount,
      CASE
        WHEN ${uniform(2)} < ${w1} THEN 'web'
        WHEN ${uniform(2)} < ${w1 + w2} THEN 'app'
        WHEN ${uniform(2)} < ${w1 + w2 + w3} THEN 'store'
        ELSE 'phone'
      END AS channel,
      floor(10 * ${uniform(3)})::INTEGER AS items
    FROM range(${rows}) AS t(i)`);
}
