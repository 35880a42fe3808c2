import * as vscode from 'vscode';

/**
 * Typed access to the `sightline.*` settings declared in package.json. Daemon path, arguments
 * and attach target are machine(-overridable) settings and restricted in untrusted workspaces
 * (VS Code then ignores workspace values for them).
 */
export interface Settings {
  /** Trace file, relative to the workspace root; '' = sightline.json `trace`, else `.sightline/trace.duckdb`. */
  trace: string;
  /** A `sightline` CLI (a .js file or an executable) to run instead of the bundled one. */
  daemonPath: string;
  /** Extra arguments for `sightline serve`. */
  daemonArgs: string[];
  /** A running daemon's token file (daemon.json) or its SIGHTLINE_HOME folder: attach instead of starting one. */
  attach: string;
  provider: 'cpu' | 'webgpu' | 'cuda';
  autoStart: boolean;
  inlayHints: boolean;
}

export function readSettings(scope?: vscode.Uri): Settings {
  const c = vscode.workspace.getConfiguration('sightline', scope);
  const args = c.get<unknown>('daemon.args');
  return {
    trace: c.get<string>('trace', '').trim(),
    daemonPath: c.get<string>('daemon.path', '').trim(),
    daemonArgs: Array.isArray(args) ? args.filter((a): a is string => typeof a === 'string') : [],
    attach: c.get<string>('daemon.attach', '').trim(),
    provider: c.get<Settings['provider']>('daemon.provider', 'cpu'),
    autoStart: c.get<boolean>('daemon.autoStart', true),
    inlayHints: c.get<boolean>('inlayHints', false),
  };
}

/** Settings whose change needs a daemon restart. */
export const DAEMON_SETTINGS = ['sightline.trace', 'sightline.daemon'];
/** Settings whose change needs a language server restart. */
export const LSP_SETTINGS = ['sightline.inlayHints'];
