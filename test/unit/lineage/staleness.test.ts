/** Staleness: an input with a newer version, or older than the configured age when the run started. */
import { describe, expect, test } from 'vitest';
import { newerVersion, staleReasons } from '../../../daemon/lineage/staleness';
import { Builder, DAY, T0 } from './builder';

describe('staleReasons', () => {
  test('fresh inputs: not stale', () => {
    const b = new Builder();
    const raw = b.artifact('raw.csv', 'v1', T0);
    const out = b.artifact('clean.csv', 'c1', T0 + 1000);
    b.run('clean', 'clean', T0, T0 + 1000, [raw], [out]);
    const f = b.run('feat', 'features', T0 + 2 * DAY, T0 + 2 * DAY + 1000, [out], []);
    expect(staleReasons(f, b.index())).toEqual([]);
  });

  test('an input with a newer version (same name, later, other content)', () => {
    const b = new Builder();
    const v1 = b.artifact('raw.csv', 'v1', T0);
    const run = b.run('clean', 'clean', T0, T0 + 1000, [v1], []);
    b.artifact('raw.csv', 'v2', T0 + 5 * DAY);
    const idx = b.index();
    expect(newerVersion(v1, idx)?.content_hash).toBe(idx.artifactsNamed('raw.csv').find((a) => a.created > T0)!.content_hash);
    const reasons = staleReasons(run, idx);
    expect(reasons).toHaveLength(1);
    expect(reasons[0]).toMatch(/^input "raw\.csv" has a newer version \(sha256 [0-9a-f]{12}, 2024-01-06T00:00:00\.000Z\)$/);
  });

  test('the same content seen again later is not a newer version', () => {
    const b = new Builder();
    const v1 = b.artifact('raw.csv', 'v1', T0);
    b.artifact('copy/raw.csv', 'v1', T0 + DAY);
    const run = b.run('clean', 'clean', T0, T0 + 1000, [v1], []);
    expect(staleReasons(run, b.index())).toEqual([]);
  });

  test('an input older than max age when the run started (default 30 days, configurable)', () => {
    const b = new Builder();
    const feats = b.artifact('features.csv', 'f', T0 + 1000);
    b.run('feat', 'features', T0, T0 + 1000, [], [feats]);
    const train = b.run('train', 'train', T0 + 40 * DAY, T0 + 40 * DAY + 1000, [feats], []);
    const idx = b.index();
    expect(staleReasons(train, idx)).toEqual(['input "features.csv" was 40.0 days old when the run started (max 30)']);
    expect(staleReasons(train, idx, 60)).toEqual([]);
    expect(staleReasons(train, idx, 7)).toEqual(['input "features.csv" was 40.0 days old when the run started (max 7)']);
  });

  test('raw data is as old as when it was first seen', () => {
    const b = new Builder();
    const raw = b.artifact('raw.csv', 'r', T0);
    b.run('first', 'clean', T0, T0 + 1000, [raw], []);
    const later = b.run('later', 'clean', T0 + 45 * DAY, T0 + 45 * DAY + 1000, [raw], []);
    const idx = b.index();
    expect(staleReasons(idx.runs.get('first')!, idx)).toEqual([]);
    expect(staleReasons(later, idx)[0]).toContain('45.0 days old');
  });
});
