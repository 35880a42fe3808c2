/**
 * Predictions per second over a sliding window, from `prediction` event frames (a frame may carry
 * several coalesced predictions). One-second buckets; the caller passes the clock.
 */
export class PredictionRate {
  private readonly buckets: { second: number; count: number }[] = [];

  constructor(private readonly windowSeconds = 10) {}

  add(count: number, nowMs: number): void {
    const second = Math.floor(nowMs / 1000);
    const last = this.buckets[this.buckets.length - 1];
    if (last && last.second === second) last.count += count;
    else this.buckets.push({ second, count });
    this.prune(second);
  }

  /** Mean rate over the window (predictions/s); 0 when nothing arrived lately. */
  perSecond(nowMs: number): number {
    const second = Math.floor(nowMs / 1000);
    this.prune(second);
    const total = this.buckets.reduce((n, b) => n + b.count, 0);
    return total / this.windowSeconds;
  }

  reset(): void {
    this.buckets.length = 0;
  }

  private prune(second: number): void {
    while (this.buckets.length > 0 && this.buckets[0]!.second <= second - this.windowSeconds) this.buckets.shift();
  }
}

/** `0`, `3.2`, `45`, `1.2k` predictions/s. */
export function formatRate(perSecond: number): string {
  if (perSecond <= 0) return '0';
  if (perSecond < 10) return perSecond.toFixed(1);
  if (perSecond < 1000) return String(Math.round(perSecond));
  return `${(perSecond / 1000).toFixed(1)}k`;
}
