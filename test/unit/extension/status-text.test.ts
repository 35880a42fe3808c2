import { describe, expect, it } from 'vitest';
import type { DaemonSession } from '../../../extension/daemon/supervisor';
import { describeState } from '../../../extension/status-text';

const session = (readOnly: boolean): DaemonSession => ({ mode: 'own', port: 1, token: 't', pid: 2, trace: '/t.duckdb', readOnly, version: '0.1.0', tokenFile: '/h/daemon.json', connection: {} as DaemonSession['connection'] });

describe('describeState: the status bar item of each daemon state', () => {
  it('idle and starting use the default colours', () => {
    expect(describeState({ kind: 'idle', reason: 'no sightline.json' }, 0, 0)).toEqual({ text: '$(circle-slash) Sightline', label: 'Sightline: not running (no sightline.json)' });
    expect(describeState({ kind: 'starting', attempt: 1 }, 0, 0)).toEqual({ text: '$(sync~spin) Sightline', label: 'Sightline: starting' });
  });

  it('recovery (reconnecting, and a restart after a crash) is in the warning colour, with a countdown', () => {
    const now = 1_000_000;
    expect(describeState({ kind: 'reconnecting', attempt: 2, retryAt: now + 3_200, lastError: 'exit' }, 0, now)).toEqual({ text: '$(sync~spin) Sightline: reconnecting in 4s', label: 'Sightline: reconnecting', background: 'statusBarItem.warningBackground' });
    expect(describeState({ kind: 'reconnecting', attempt: 2, retryAt: now - 10, lastError: 'exit' }, 0, now).text).toBe('$(sync~spin) Sightline: reconnecting');
    expect(describeState({ kind: 'starting', attempt: 3 }, 0, now)).toEqual({ text: '$(sync~spin) Sightline: restarting', label: 'Sightline: reconnecting', background: 'statusBarItem.warningBackground' });
  });

  it('failed is in the error colour', () => {
    expect(describeState({ kind: 'failed', lastError: 'x', crashes: 5 }, 0, 0)).toEqual({ text: '$(error) Sightline', label: 'Sightline: daemon failed', background: 'statusBarItem.errorBackground' });
  });

  it('connected shows the live rate when there is one, and a lock when read-only', () => {
    expect(describeState({ kind: 'connected', session: session(false) }, 0, 0)).toEqual({ text: '$(pulse) Sightline', label: 'Sightline: connected' });
    expect(describeState({ kind: 'connected', session: session(false) }, 1234, 0).text).toBe('$(pulse) Sightline 1.2k/s');
    expect(describeState({ kind: 'connected', session: session(true) }, 3.25, 0)).toEqual({ text: '$(lock) Sightline 3.3/s', label: 'Sightline: connected (read-only)' });
  });
});
