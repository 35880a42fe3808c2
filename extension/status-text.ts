import type { DaemonState } from './daemon/supervisor';
import { formatRate } from './prediction-rate';

/** What the status bar item shows for a daemon state: text (with codicons), accessible label, theme background. */
export interface StatusText {
  text: string;
  label: string;
  /** A theme colour id (`statusBarItem.warningBackground`, …); none: the default background. */
  background?: string;
}

/**
 * The status bar item of a state (pure; status-bar.ts applies it). `ratePerSecond`: live
 * predictions per second (connected only); `now`: the clock, for the reconnect countdown.
 */
export function describeState(state: DaemonState, ratePerSecond: number, now: number): StatusText {
  switch (state.kind) {
    case 'idle':
      return { text: '$(circle-slash) Sightline', label: `Sightline: not running (${state.reason})` };
    case 'starting':
      // A restart after a crash is still recovery: keep the warning colour until connected.
      return state.attempt > 1
        ? { text: '$(sync~spin) Sightline: restarting', label: 'Sightline: reconnecting', background: 'statusBarItem.warningBackground' }
        : { text: '$(sync~spin) Sightline', label: 'Sightline: starting' };
    case 'reconnecting': {
      const s = Math.max(0, Math.ceil((state.retryAt - now) / 1000));
      return { text: `$(sync~spin) Sightline: reconnecting${s > 0 ? ` in ${s}s` : ''}`, label: 'Sightline: reconnecting', background: 'statusBarItem.warningBackground' };
    }
    case 'failed':
      return { text: '$(error) Sightline', label: 'Sightline: daemon failed', background: 'statusBarItem.errorBackground' };
    case 'connected': {
      const icon = state.session.readOnly ? '$(lock)' : '$(pulse)';
      return { text: `${icon} Sightline${ratePerSecond > 0 ? ` ${formatRate(ratePerSecond)}/s` : ''}`, label: `Sightline: connected${state.session.readOnly ? ' (read-only)' : ''}` };
    }
  }
}
