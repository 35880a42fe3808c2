import { describe, expect, it } from 'vitest';
import { discoverPython } from '../../../daemon/featuremap/discover-python';

const names = new Set(['dep_hour', 'origin', 'distance', 'route_delay_rate', 'is_weekend']);

const SOURCE = `"""Training features.

Example record: {"origin": "ATL", "distance": 581}
def dep_hour(raw): (in a docstring, not code)
"""
import pandas as pd

# def origin(raw):  (a comment, not code)

def dep_hour(raw):
    """Local departure hour."""
    h = raw["date"].hour

    return h

def unrelated():
    pass

is_weekend = lambda raw: raw["dow"] in ("Sat", "Sun")

def build(df):
    df["route_delay_rate"] = df.route.map(rates)
    df.loc[:, 'distance'] = df['distance'].astype(float)
    if df["origin"] == "ATL":
        pass
    return {"origin": df.origin, 'dep_hour': df.hour}
`;

describe('discoverPython', () => {
  const found = discoverPython(SOURCE, names);
  const where = (name: string, kind: string): { line: number; column: number; endLine: number }[] =>
    found.filter((c) => c.name === name && c.kind === kind).map(({ line, column, endLine }) => ({ line, column, endLine }));

  it('finds `def name(` with the extent of its block, ignoring docstrings and comments', () => {
    expect(where('dep_hour', 'function')).toEqual([{ line: 10, column: 5, endLine: 14 }]);
    expect(where('origin', 'function')).toEqual([]);
  });

  it('finds `name = lambda` as a function', () => {
    expect(where('is_weekend', 'function')).toEqual([{ line: 19, column: 1, endLine: 19 }]);
  });

  it('finds subscript assignments, not comparisons or reads', () => {
    expect(where('route_delay_rate', 'assignment')).toEqual([{ line: 22, column: 9, endLine: 22 }]);
    expect(where('distance', 'assignment')).toEqual([{ line: 23, column: 16, endLine: 23 }]);
    expect(where('origin', 'assignment')).toEqual([]);
  });

  it('finds dict keys in code but not in the docstring', () => {
    expect(where('origin', 'key').map((c) => c.line)).toEqual([26]);
    expect(where('dep_hour', 'key').map((c) => c.line)).toEqual([26]);
    expect(where('distance', 'key')).toEqual([]);
  });
});
