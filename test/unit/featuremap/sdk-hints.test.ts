import { describe, expect, it } from 'vitest';
import { sdkHintsFromTrace } from '../../../daemon/featuremap';

/** A fake trace: answers the information_schema probes and the hint query from fixed rows. */
function fakeQuery(columns: Record<string, string[]>, rows: Record<string, unknown>[]): { query: (sql: string) => Promise<Record<string, unknown>[]>; seen: string[] } {
  const seen: string[] = [];
  return {
    seen,
    query: async (sql: string) => {
      seen.push(sql);
      const table = /table_name = '(\w+)'/.exec(sql)?.[1];
      if (table) return (columns[table] ?? []).map((column_name) => ({ column_name }));
      return rows;
    },
  };
}

describe('sdkHintsFromTrace', () => {
  it('returns [] when component_runs or its code columns do not exist (yet)', async () => {
    expect(await sdkHintsFromTrace(fakeQuery({}, []).query, ['a'])).toEqual([]);
    expect(await sdkHintsFromTrace(fakeQuery({ component_runs: ['id', 'feature'] }, []).query, ['a'])).toEqual([]);
  });

  it('returns [] when the query fails', async () => {
    expect(await sdkHintsFromTrace(async () => { throw new Error('Catalog Error'); }, ['a'])).toEqual([]);
  });

  it('keeps the newest location per feature and file, ordered by run time', async () => {
    const q = fakeQuery({ component_runs: ['id', 'component', 'code_file', 'code_line', 'started'] }, [
      { feature: 'dep_hour', file: '/ci/features.py', line: '80' },
      { feature: 'dep_hour', file: '/ci/features.py', line: 77 },
      { feature: 'dep_hour', file: 'serving/features.ts', line: 112 },
      { feature: 'origin', file: 'features.py', line: 0 },
    ]);
    expect(await sdkHintsFromTrace(q.query, ['dep_hour', 'origin'])).toEqual([
      { feature: 'dep_hour', file: '/ci/features.py', line: 80 },
      { feature: 'dep_hour', file: 'serving/features.ts', line: 112 },
    ]);
    const sql = q.seen.at(-1)!;
    expect(sql).toContain('r.component');
    expect(sql).toContain("IN ('dep_hour', 'origin')");
    expect(sql).toContain('ORDER BY r.started DESC');
  });

  it('joins components by id when runs only reference them', async () => {
    const q = fakeQuery({ component_runs: ['id', 'component_id', 'code_file', 'code_line'], components: ['id', 'name'] }, [{ feature: 'x', file: 'f.py', line: 3 }]);
    expect(await sdkHintsFromTrace(q.query, ['x'])).toEqual([{ feature: 'x', file: 'f.py', line: 3 }]);
    expect(q.seen.at(-1)).toContain('JOIN components c ON c.id = r.component_id');
  });
});
