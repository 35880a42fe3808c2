import {
  CodeActionKind, createConnection, DidChangeConfigurationNotification, DidChangeWatchedFilesNotification, ProposedFeatures, StreamMessageReader,
  StreamMessageWriter, TextDocuments, TextDocumentSyncKind, type Connection, type InitializeResult,
} from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import {
  FEATURE_MAP_REQUEST, FINDINGS_CHANGED_NOTIFICATION, FINDINGS_REQUEST, LSP_COMMANDS, PROTOCOL_VERSION,
  REFRESH_REQUEST, SightlineError, STATUS_REQUEST,
} from '../../protocol';
import { VERSION } from '../version';
import { buildCodeActions } from './code-actions';
import { buildCodeLenses } from './code-lens';
import { buildHover } from './hover';
import { buildInlayHints } from './inlay-hints';
import { markExpected } from './mark-expected';
import { uriToPath } from './ranges';
import { registerRequests } from './requests';
import { Session } from './session';
import { parseSettings, sourceChanged } from './settings';

/**
 * `sightline lsp --stdio`: findings inline on feature code in any LSP editor. Diagnostics are
 * pushed; lenses, hovers, code actions and inlay hints are pulled; `sightline/*` requests expose
 * the feature map and findings to the VS Code extension.
 */
export function startLanguageServer(input: NodeJS.ReadableStream, output: NodeJS.WritableStream): Connection {
  const connection = createConnection(ProposedFeatures.all, new StreamMessageReader(input), new StreamMessageWriter(output));
  const documents = new TextDocuments(TextDocument);
  let session: Session | null = null;
  let folders: string[] = [];
  let initOptions: unknown;
  let pullConfiguration = false;
  let watchFiles = false;
  let folderEvents = false;
  let configEvents = false;
  const current = (): Session => {
    if (!session) throw new SightlineError('unsupported', 'the server is not initialized');
    return session;
  };

  connection.onInitialize((params): InitializeResult => {
    const caps = params.capabilities;
    session = new Session(connection, {
      codeLensRefresh: caps.workspace?.codeLens?.refreshSupport === true,
      inlayHintRefresh: caps.workspace?.inlayHint?.refreshSupport === true,
    });
    pullConfiguration = caps.workspace?.configuration === true;
    watchFiles = caps.workspace?.didChangeWatchedFiles?.dynamicRegistration === true;
    folderEvents = caps.workspace?.workspaceFolders === true;
    configEvents = caps.workspace?.didChangeConfiguration?.dynamicRegistration === true;
    initOptions = params.initializationOptions;
    folders = (params.workspaceFolders ?? []).map((f) => uriToPath(f.uri)).filter((p): p is string => p !== undefined);
    if (folders.length === 0 && params.rootUri) folders = [uriToPath(params.rootUri)].filter((p): p is string => p !== undefined);
    if (folders.length === 0 && params.rootPath) folders = [params.rootPath];
    return {
      capabilities: {
        textDocumentSync: TextDocumentSyncKind.Incremental,
        codeLensProvider: { resolveProvider: false },
        hoverProvider: true,
        codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix] },
        inlayHintProvider: { resolveProvider: false },
        executeCommandProvider: { commands: [LSP_COMMANDS.markExpected] },
        workspace: { workspaceFolders: { supported: true, changeNotifications: true } },
        experimental: {
          sightline: {
            protocol: PROTOCOL_VERSION,
            requests: [FEATURE_MAP_REQUEST, FINDINGS_REQUEST, STATUS_REQUEST, REFRESH_REQUEST],
            notifications: [FINDINGS_CHANGED_NOTIFICATION],
          },
        },
      },
      serverInfo: { name: 'sightline', version: VERSION },
    };
  });

  const loadSettings = async (): Promise<void> => {
    const layers: unknown[] = [initOptions];
    if (pullConfiguration) {
      try {
        layers.push(await connection.workspace.getConfiguration('sightline'));
      } catch {
        /* a client may announce configuration and then not answer: keep the initialization options */
      }
    }
    const { settings, problems } = parseSettings(...layers);
    for (const p of problems) connection.console.warn(`sightline: ${p}`);
    current().settings = settings;
  };

  connection.onInitialized(() => void initialized().catch((err: unknown) => connection.console.error(`sightline: start failed: ${describe(err)}`)));
  const initialized = async (): Promise<void> => {
    const s = current();
    if (configEvents) void connection.client.register(DidChangeConfigurationNotification.type, undefined).catch(() => undefined);
    // Changes on disk (a checkout, a regenerated model card) move definitions too.
    if (watchFiles) {
      void connection.client.register(DidChangeWatchedFilesNotification.type, {
        watchers: [{ globPattern: '**/{sightline.json,*.sightline.json,*.py,*.ts,*.tsx,*.js,*.mjs,*.cjs,*.sql}' }],
      }).catch(() => undefined);
    }
    // Asking for folder events from a client that cannot send them throws (minimal clients exist).
    if (folderEvents) {
      connection.workspace.onDidChangeWorkspaceFolders((e) => {
        const removed = new Set(e.removed.map((f) => uriToPath(f.uri)));
        folders = [...folders.filter((f) => !removed.has(f)), ...e.added.map((f) => uriToPath(f.uri)).filter((p): p is string => p !== undefined)];
        s.workspaces.setFolders(folders);
        s.recompute();
      });
    }
    await loadSettings();
    s.workspaces.setFolders(folders);
    await s.startFeed(s.workspaces.roots[0] ?? folders[0] ?? process.cwd());
    s.recompute();
  };

  connection.onDidChangeConfiguration((change) => void configurationChanged(change.settings).catch((err: unknown) => connection.console.error(`sightline: settings: ${describe(err)}`)));
  const configurationChanged = async (changed: unknown): Promise<void> => {
    const s = current();
    const before = s.settings;
    if (!pullConfiguration && changed) initOptions = changed;
    await loadSettings();
    if (sourceChanged(before, s.settings)) await s.startFeed(s.workspaces.roots[0] ?? folders[0] ?? process.cwd());
    s.recompute();
  };

  // Code edits move definitions and change their text (which un-suppresses findings).
  const changed = (doc: TextDocument, open: boolean): void => {
    const s = current();
    const file = s.trackDocument(doc, open);
    if (file && s.workspaces.invalidate(file)) s.scheduleRecompute();
  };
  documents.onDidOpen((e) => changed(e.document, true));
  documents.onDidChangeContent((e) => changed(e.document, true));
  documents.onDidClose((e) => changed(e.document, false));
  connection.onDidChangeWatchedFiles((e) => {
    const s = current();
    let hit = false;
    for (const c of e.changes) {
      const file = uriToPath(c.uri);
      if (file && s.workspaces.invalidate(file)) hit = true;
    }
    if (hit) s.scheduleRecompute();
  });

  connection.onCodeLens((p) => {
    const file = uriToPath(p.textDocument.uri);
    return file ? buildCodeLenses(current().catalog, file) : [];
  });
  connection.onHover((p) => {
    const file = uriToPath(p.textDocument.uri);
    return file ? buildHover(current().catalog, file, p.position.line, p.position.character) : null;
  });
  connection.onCodeAction((p) => {
    const file = uriToPath(p.textDocument.uri);
    return file ? buildCodeActions(current().catalog, file, p.range, p.context.diagnostics) : [];
  });
  connection.languages.inlayHint.on((p) => {
    const s = current();
    const file = uriToPath(p.textDocument.uri);
    if (!file || s.settings.inlayHints !== true) return [];
    return buildInlayHints(s.catalog, file, p.range, (line) => s.documentLine(file, line));
  });
  connection.onExecuteCommand((p) => {
    const s = current();
    if (p.command !== LSP_COMMANDS.markExpected) throw new SightlineError('not_found', `unknown command ${p.command}`);
    const result = markExpected(s.catalog, p.arguments?.[0]);
    s.recompute();
    return result;
  });
  registerRequests(connection, () => current().catalog, () => current().refreshFeed());
  connection.onShutdown(() => session?.stop());

  documents.listen(connection);
  connection.listen();
  return connection;
}

function describe(err: unknown): string {
  return err instanceof Error ? (err.stack ?? err.message) : String(err);
}
