/**
 * Typed access to the `sightline.*` settings declared in package.json (pure: main.ts hands in
 * VS Code's configuration). Daemon path, arguments and attach target are machine(-overridable)
 * settings and restricted in untrusted workspaces (VS Code then ignores workspace values for them).
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

/** What `settingsFrom` reads: VS Code's `WorkspaceConfiguration` of the `sightline` section, or a test's stand-in. */
export interface SettingsSource {
  get<T>(key: string, defaultValue: T): T;
  get<T>(key: string): T | undefined;
}

/** The settings, checked (strings trimmed, non-string arguments dropped, unknown providers to `cpu`). */
export function settingsFrom(c: SettingsSource): Settings {
  const args = c.get<unknown>('daemon.args');
  const provider = c.get<string>('daemon.provider', 'cpu');
  const str = (key: string): string => {
    const v = c.get<unknown>(key, '');
    return typeof v === 'string' ? v.trim() : '';
  };
  return {
    trace: str('trace'),
    daemonPath: str('daemon.path'),
    daemonArgs: Array.isArray(args) ? args.filter((a): a is string => typeof a === 'string') : [],
    attach: str('daemon.attach'),
    provider: provider === 'webgpu' || provider === 'cuda' ? provider : 'cpu',
    autoStart: c.get<boolean>('daemon.autoStart', true) !== false,
    inlayHints: c.get<boolean>('inlayHints', false) === true,
  };
}

/** Settings whose change needs a daemon restart. */
export const DAEMON_SETTINGS = ['sightline.trace', 'sightline.daemon'];
/** Settings whose change needs a language server restart. */
export const LSP_SETTINGS = ['sightline.inlayHints'];
