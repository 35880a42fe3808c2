import type * as vscode from 'vscode';
import type { SightlineCli } from './cli';
import type { DaemonSupervisor } from './daemon/supervisor';
import type { Log } from './log';
import type { LanguageClientHost } from './lsp/client';
import type { PanelHost } from './panel-api';
import type { SightlineWorkspace } from './workspace';
import type { FindingsTree } from './views/findings-tree';
import type { ModelsTree } from './views/models-tree';
import type { RunsTree } from './views/runs-tree';
import type { TracesTree } from './views/traces-tree';

/** What commands need: the long-lived parts of the extension, created once in activate(). */
export interface Core {
  context: vscode.ExtensionContext;
  log: Log;
  supervisor: DaemonSupervisor;
  cli: SightlineCli;
  panelHost: PanelHost;
  /** The language client host, once created (lazily, after activation). */
  lsp(): LanguageClientHost | undefined;
  /** sightline.json of the workspace, re-read on each call (cheap, and it may have changed). */
  workspace(): SightlineWorkspace;
  views: { models: ModelsTree; findings: FindingsTree; runs: RunsTree; traces: TracesTree };
}
