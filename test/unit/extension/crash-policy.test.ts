import { describe, expect, it } from 'vitest';
import { CrashPolicy, DEFAULT_CRASH_POLICY } from '../../../extension/daemon/crash-policy';

describe('CrashPolicy (daemon restart backoff)', () => {
  it('backs off exponentially from the initial delay, capped at the maximum', () => {
    const p = new CrashPolicy({ maxCrashes: 100, windowMs: 1e9, initialDelayMs: 1000, maxDelayMs: 30_000 });
    const delays = Array.from({ length: 8 }, (_, i) => {
      const v = p.crashed(i * 1000);
      if (v.giveUp) throw new Error('gave up');
      return [v.delayMs, v.attempt];
    });
    expect(delays).toEqual([[1000, 1], [2000, 2], [4000, 3], [8000, 4], [16_000, 5], [30_000, 6], [30_000, 7], [30_000, 8]]);
  });

  it('gives up at the maximum number of crashes within the window (defaults: 5 in 3 minutes)', () => {
    const p = new CrashPolicy();
    const verdicts = [0, 10_000, 20_000, 30_000, 40_000].map((t) => p.crashed(t));
    expect(verdicts.slice(0, 4).every((v) => !v.giveUp)).toBe(true);
    expect(verdicts.map((v) => v.crashes)).toEqual([1, 2, 3, 4, 5]);
    expect(verdicts[4]).toEqual({ giveUp: true, crashes: DEFAULT_CRASH_POLICY.maxCrashes });
  });

  it('forgets crashes older than the window', () => {
    const p = new CrashPolicy({ maxCrashes: 3, windowMs: 60_000, initialDelayMs: 10, maxDelayMs: 100 });
    p.crashed(0);
    p.crashed(1000);
    // Both earlier crashes are over a minute old: this is the only one in the window.
    const v = p.crashed(61_001);
    expect(v).toMatchObject({ giveUp: false, crashes: 1 });
    expect(p.crashed(62_000)).toMatchObject({ giveUp: false, crashes: 2 });
    expect(p.crashed(63_000)).toEqual({ giveUp: true, crashes: 3 });
  });

  it('a connection restarts the backoff but not the crash count; reset forgets both', () => {
    const p = new CrashPolicy({ maxCrashes: 4, windowMs: 60_000, initialDelayMs: 500, maxDelayMs: 10_000 });
    expect(p.crashed(0)).toMatchObject({ delayMs: 500, attempt: 1 });
    expect(p.crashed(1)).toMatchObject({ delayMs: 1000, attempt: 2 });
    p.connected();
    expect(p.crashed(2)).toMatchObject({ delayMs: 500, attempt: 1, crashes: 3 });
    expect(p.crashed(3)).toEqual({ giveUp: true, crashes: 4 });
    p.reset();
    expect(p.crashed(4)).toEqual({ giveUp: false, crashes: 1, delayMs: 500, attempt: 1 });
  });
});
