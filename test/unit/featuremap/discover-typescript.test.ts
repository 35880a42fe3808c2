import { describe, expect, it } from 'vitest';
import { discoverTypeScript } from '../../../daemon/featuremap/discover-typescript';

const names = new Set(['dep_hour', 'origin', 'distance', 'route_delay_rate', 'day_of_week', 'is_weekend', 'hour_bucket']);

const SOURCE = `// function origin(raw) { } — a comment
export interface Features {
  dep_hour: number;
  origin: string;
}
type Row = { distance: number; day_of_week: string };
const ISO = /^(\\d{4})-(\\d{2})[{'"]/; // a regex with braces and quotes
const note = \`template with { origin: 1 } and \${JSON.stringify({ distance: 2 })}\`;

export function dep_hour(raw: Raw): number {
  const h = Number(raw.date.slice(11, 13));
  return h;
}

export const is_weekend = (raw: Raw): boolean =>
  raw.dow === 'Sat' || raw.dow === 'Sun';

class Features2 {
  static hour_bucket(raw: Raw): string {
    return 'x';
  }
}

export function build(raw: Raw, row: Record<string, unknown>): Features {
  row.route_delay_rate = rate(raw);
  row['distance'] = raw.distance;
  if (row.origin === 'ATL') row.origin == null;
  return {
    dep_hour: dep_hour(raw),
    origin: raw.origin,
    'day_of_week': weekday(raw),
  };
}

export const table = {
  origin: (raw: Raw) => raw.origin,
};
`;

describe('discoverTypeScript', () => {
  const found = discoverTypeScript(SOURCE, names);
  const where = (name: string, kind: string): { line: number; column: number; endLine: number }[] =>
    found.filter((c) => c.name === name && c.kind === kind).map(({ line, column, endLine }) => ({ line, column, endLine }));

  it('finds function declarations with the extent of their body', () => {
    expect(where('dep_hour', 'function')).toEqual([{ line: 10, column: 17, endLine: 13 }]);
  });

  it('finds a top-level const and a class method', () => {
    expect(where('is_weekend', 'function')).toEqual([{ line: 15, column: 14, endLine: 16 }]);
    expect(where('hour_bucket', 'function')).toEqual([{ line: 19, column: 10, endLine: 21 }]);
  });

  it('finds property assignments but not comparisons', () => {
    expect(where('route_delay_rate', 'assignment')).toEqual([{ line: 25, column: 7, endLine: 25 }]);
    expect(where('distance', 'assignment')).toEqual([{ line: 26, column: 8, endLine: 26 }]);
    expect(where('origin', 'assignment')).toEqual([]);
  });

  it('finds object-literal keys, skips interface and type members, comments, regexes and templates', () => {
    expect(where('dep_hour', 'key').map((c) => c.line)).toEqual([29]);
    expect(where('origin', 'key').map((c) => c.line)).toEqual([30]);
    expect(where('day_of_week', 'key')).toEqual([{ line: 31, column: 6, endLine: 31 }]);
    expect(found.filter((c) => c.line <= 8)).toEqual([]);
  });

  it('counts a key whose value is a function as a function definition', () => {
    expect(where('origin', 'function')).toEqual([{ line: 36, column: 3, endLine: 36 }]);
  });
});
