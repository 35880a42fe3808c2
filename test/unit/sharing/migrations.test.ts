import { describe, expect, it } from 'vitest';
import { assertReadableWithoutMigration, migrationPlan, MIGRATIONS, type Migration } from '../../../daemon/store/migrations';
import { TRACE_SCHEMA_VERSION } from '../../../protocol';
import { parquetFeatureNames } from '../../../daemon/sharing/parquet-layout';

const step = (from: number, readable: boolean): Migration => ({ from, to: from + 1, description: `step ${from}`, readable, steps: [] });

describe('migrations registry', () => {
  it('has a step from every older version up to the current one', () => {
    expect(migrationPlan(0).map((m) => `${m.from}->${m.to}`)).toEqual(Array.from({ length: TRACE_SCHEMA_VERSION }, (_, i) => `${i}->${i + 1}`));
    expect(migrationPlan(TRACE_SCHEMA_VERSION)).toEqual([]);
    for (const m of MIGRATIONS) expect(m.to).toBe(m.from + 1);
  });

  it('refuses a gap in the registry', () => {
    expect(() => migrationPlan(0, 3, [step(0, true), step(2, true)])).toThrow(/no migration from trace schema version 1 to 2/);
  });

  it('lets a read-only open through when every pending step is readable, else names `sightline migrate FILE`', () => {
    expect(() => assertReadableWithoutMigration('t.duckdb', 1, 3, [step(1, true), step(2, true)])).not.toThrow();
    expect(() => assertReadableWithoutMigration('t.duckdb', 1, 3, [step(1, true), step(2, false)])).toThrow('Run `sightline migrate t.duckdb`');
    expect(() => assertReadableWithoutMigration('t.duckdb', 0)).toThrow(/schema version 0.*sightline migrate t\.duckdb/);
  });
});

describe('Parquet layout', () => {
  it('names feature columns after features, avoiding clashes with fixed columns, partition keys and each other', () => {
    const named = parquetFeatureNames([
      { feature: 'origin', kind: 'categorical', column: 'f_1' },
      { feature: 'score', kind: 'numeric', column: 'f_2' },
      { feature: 'date', kind: 'attribute', column: 'a_3' },
      { feature: 'Hour', kind: 'numeric', column: 'f_4' },
      { feature: 'hour', kind: 'categorical', column: 'f_5' },
    ]);
    expect(named.map((n) => n.parquet)).toEqual(['origin', 'score__numeric', 'date__attribute', 'Hour__numeric', 'hour__categorical']);
  });
});
