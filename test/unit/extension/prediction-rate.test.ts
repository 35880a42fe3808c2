import { describe, expect, it } from 'vitest';
import { formatRate, PredictionRate } from '../../../extension/prediction-rate';

describe('PredictionRate (status bar predictions/s)', () => {
  it('is the mean over the window of one-second buckets, counting coalesced frames by size', () => {
    const r = new PredictionRate(10);
    const t0 = 1_700_000_000_000;
    for (let s = 0; s < 10; s++) {
      r.add(3, t0 + s * 1000);
      r.add(2, t0 + s * 1000 + 500); // same second: same bucket
    }
    expect(r.perSecond(t0 + 9_999)).toBe(5);
  });

  it('decays as seconds leave the window, down to 0 with nothing new', () => {
    const r = new PredictionRate(10);
    const t0 = 1_000_000;
    r.add(100, t0);
    expect(r.perSecond(t0)).toBe(10);
    expect(r.perSecond(t0 + 9_000)).toBe(10);
    expect(r.perSecond(t0 + 10_000)).toBe(0); // the bucket is exactly one window old
    r.add(20, t0 + 11_000);
    r.add(20, t0 + 15_000);
    expect(r.perSecond(t0 + 15_500)).toBe(4);
    expect(r.perSecond(t0 + 21_000)).toBe(2);
  });

  it('reset empties it', () => {
    const r = new PredictionRate(5);
    r.add(50, 0);
    r.reset();
    expect(r.perSecond(0)).toBe(0);
  });

  it('formats rates compactly', () => {
    expect([0, -1, 0.04, 3.25, 9.99, 10, 45.4, 999.4, 1000, 1234, 25_600].map(formatRate)).toEqual(['0', '0', '0.0', '3.3', '10.0', '10', '45', '999', '1.0k', '1.2k', '25.6k']);
  });
});
