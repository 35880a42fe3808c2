/**
 * When to try again after the daemon died, and when to stop trying: exponential backoff between
 * attempts, and giving up after `maxCrashes` crashes within `windowMs` (a daemon that keeps dying
 * needs a person, not a loop). Pure: the caller passes the clock.
 */
export interface CrashPolicyOptions {
  maxCrashes: number;
  windowMs: number;
  initialDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_CRASH_POLICY: CrashPolicyOptions = { maxCrashes: 5, windowMs: 3 * 60_000, initialDelayMs: 1000, maxDelayMs: 30_000 };

export type CrashVerdict = { giveUp: true; crashes: number } | { giveUp: false; crashes: number; delayMs: number; attempt: number };

export class CrashPolicy {
  private crashes: number[] = [];
  private consecutive = 0;

  constructor(private readonly options: CrashPolicyOptions = DEFAULT_CRASH_POLICY) {}

  /** Records a crash (or a failed start) at `now` and says what to do next. */
  crashed(now: number): CrashVerdict {
    this.crashes = this.crashes.filter((t) => now - t < this.options.windowMs);
    this.crashes.push(now);
    if (this.crashes.length >= this.options.maxCrashes) return { giveUp: true, crashes: this.crashes.length };
    const delayMs = Math.min(this.options.maxDelayMs, this.options.initialDelayMs * 2 ** this.consecutive);
    this.consecutive += 1;
    return { giveUp: false, crashes: this.crashes.length, delayMs, attempt: this.consecutive };
  }

  /** A connection was made: the next crash starts the backoff from the beginning (the window still counts). */
  connected(): void {
    this.consecutive = 0;
  }

  /** A restart asked for by the user forgets everything. */
  reset(): void {
    this.crashes = [];
    this.consecutive = 0;
  }
}
