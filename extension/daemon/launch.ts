import path from 'node:path';
import { DAEMON_NODE_OPTIONS, daemonEnv } from '../../daemon/server/process-options';

/** What the daemon serves: one trace file, written with models, or read-only without any. */
export interface DaemonTarget {
  trace: string;
  readOnly: boolean;
  /** .onnx files or folders (ignored when read-only). */
  models: string[];
  /** `workspace`: the workspace's own trace; `opened`: a file picked with "Open Trace File". */
  origin: 'workspace' | 'opened';
}

export interface Launcher {
  /** Program and the arguments before the CLI's own (the bundled script runs on the editor's Node). */
  command: string;
  prefix: string[];
  env: NodeJS.ProcessEnv;
}

/**
 * How to run the `sightline` CLI: the bundled `dist/sightline.js` (or a configured `.js`) on the
 * editor's own Node runtime (`process.execPath` with ELECTRON_RUN_AS_NODE=1, as VS Code runs
 * Node-based language servers) with the daemon's Node options, or a configured executable as is;
 * both with the daemon's allocator settings (daemon/server/process-options.ts).
 */
export function cliLauncher(bundledScript: string, configuredPath: string, home: string, baseEnv: NodeJS.ProcessEnv = process.env): Launcher {
  const env: NodeJS.ProcessEnv = daemonEnv({ ...baseEnv, SIGHTLINE_HOME: home, ELECTRON_RUN_AS_NODE: '1', NO_COLOR: '1' });
  const script = configuredPath || bundledScript;
  if (/\.[cm]?js$/i.test(script)) return { command: process.execPath, prefix: [...DAEMON_NODE_OPTIONS, script], env };
  return { command: script, prefix: [], env };
}

/** `sightline serve` arguments for a target. `--port 0`: the daemon picks a free loopback port and prints it. */
export function serveArgs(target: DaemonTarget, provider: string, extraArgs: readonly string[]): string[] {
  const args = ['serve', '--trace', target.trace, '--port', '0'];
  if (target.readOnly) args.push('--read-only');
  else {
    args.push('--provider', provider);
    if (target.models.length > 0) args.push('--model', ...target.models);
  }
  return [...args, ...extraArgs];
}

/** A SIGHTLINE_HOME per workspace under the extension's global storage (daemon.json, spool). */
export function daemonHome(globalStorage: string, workspaceRoot: string | undefined): string {
  let h = 0x811c9dc5;
  for (const ch of workspaceRoot ?? 'no-folder') h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
  const name = `${path.basename(workspaceRoot ?? 'no-folder').replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 40)}-${h.toString(16).padStart(8, '0')}`;
  return path.join(globalStorage, 'daemons', name);
}
