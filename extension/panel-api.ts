import type * as vscode from 'vscode';
import type * as Panels from './panels';

/**
 * The contract of `extension/panels/index.ts` (the webview panels, built separately): what the
 * host gives a panel, and the functions that open them.
 */
export interface PanelHost {
  extensionUri: vscode.Uri;
  /** A typed query to the daemon over its WebSocket (methods: drift, findings, trace, slices, predictions, prediction, drift_timeline, run, runs, …). */
  query<T>(method: string, params?: unknown): Promise<T>;
  /** Daemon stream events (finding, prediction, run_progress, model). */
  onEvent(listener: (event: string, data: unknown[]) => void): vscode.Disposable;
  log: vscode.LogOutputChannel;
  /** Opens a workspace file at a line (lineage nodes, feature definitions). */
  openFile(path: string, line?: number): Promise<void>;
  /** true when the trace is someone else's, opened read-only, or the workspace is untrusted. */
  readOnly: boolean;
}

export interface PanelsModule {
  showDrift(host: PanelHost, args?: { feature?: string; baseline?: string }): vscode.WebviewPanel;
  showSlices(host: PanelHost, args?: { feature?: string }): vscode.WebviewPanel;
  showLineage(host: PanelHost, args: { target: string }): vscode.WebviewPanel;
  showPredictions(host: PanelHost, args?: { filter?: Record<string, unknown> }): vscode.WebviewPanel;
  showCompare(host: PanelHost, args: { runId: string } | { report: unknown }): vscode.WebviewPanel;
  registerPanelSerializers(context: vscode.ExtensionContext, host: () => PanelHost | undefined): void;
  PANEL_VIEW_TYPES: readonly string[];
}

/** Compile-time check that extension/panels implements this contract (tsc fails if it drifts). */
const conforms: typeof Panels extends PanelsModule ? true : never = true;
void conforms;

let cached: PanelsModule | null | undefined;

/**
 * The panels module, or undefined when this build has none. A `require` inside try/catch:
 * esbuild bundles `./panels` when it exists and leaves an unresolved require (that throws here)
 * when it does not, so the extension builds and runs before the panels land.
 */
export function loadPanels(): PanelsModule | undefined {
  if (cached === undefined) {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      cached = require('./panels') as PanelsModule;
    } catch {
      cached = null;
    }
  }
  return cached ?? undefined;
}
