import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import type { SightlineWorkspace } from '../workspace';
import type { DaemonTarget } from './launch';

/**
 * What the daemon serves: a trace opened with "Open Trace File" (read-only, no models), else the
 * workspace trace — with the models of sightline.json when the workspace is trusted, read-only
 * and without models in Restricted Mode (and only if the file exists: read-only creates nothing).
 */
export function resolveTarget(ws: SightlineWorkspace, opened: string | undefined, trusted: boolean): DaemonTarget | { none: string } {
  if (opened) return { trace: opened, readOnly: true, models: [], origin: 'opened' };
  if (!ws.root || !ws.trace) return { none: 'no folder is open' };
  if (!trusted) {
    if (!existsSync(ws.trace)) return { none: `Restricted Mode: no trace file at ${ws.trace} to view read-only` };
    return { trace: ws.trace, readOnly: true, models: [], origin: 'workspace' };
  }
  mkdirSync(path.dirname(ws.trace), { recursive: true });
  return { trace: ws.trace, readOnly: false, models: ws.models, origin: 'workspace' };
}
