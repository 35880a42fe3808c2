import { readFileSync } from 'node:fs';
import { CodeLensRefreshRequest, type Connection } from 'vscode-languageserver';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { FINDINGS_CHANGED_NOTIFICATION, type FindingsChanged, type FindingsOrigin, type LspSettings } from '../../protocol';
import { Catalog } from './catalog';
import { buildDiagnostics } from './diagnostics';
import { FindingsFeed } from './feed';
import { fileUri, uriToPath } from './ranges';
import { EMPTY_SNAPSHOT } from './snapshot';
import { Workspaces } from './workspaces';

export interface ClientSupport {
  codeLensRefresh: boolean;
  inlayHintRefresh: boolean;
}

const RECOMPUTE_DEBOUNCE_MS = 200;

/**
 * The server's state: open documents (by path), Sightline workspaces with their feature maps,
 * the findings feed, and the current Catalog. `recompute` rebuilds the catalog and pushes
 * everything that depends on it: diagnostics, lens and inlay-hint refreshes, and a
 * `sightline/findingsChanged` notification.
 */
export class Session {
  settings: LspSettings = {};
  catalog: Catalog;
  readonly workspaces: Workspaces;
  private feed: FindingsFeed | null = null;
  private openDocs = new Map<string, TextDocument>();
  private published = new Set<string>();
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly connection: Connection, private readonly support: ClientSupport) {
    this.workspaces = new Workspaces((file) => this.readText(file));
    this.catalog = new Catalog([], this.origin(), (file) => this.readText(file));
  }

  /** Unsaved editor text wins over the disk: diagnostics follow what the user sees. */
  readText(file: string): string | undefined {
    const doc = this.openDocs.get(file);
    if (doc) return doc.getText();
    try {
      return readFileSync(file, 'utf8');
    } catch {
      return undefined;
    }
  }

  documentLine(file: string, line: number): string | undefined {
    return this.readText(file)?.split(/\r?\n/)[line];
  }

  trackDocument(doc: TextDocument, open: boolean): string | undefined {
    const file = uriToPath(doc.uri);
    if (!file) return undefined;
    if (open) this.openDocs.set(file, doc);
    else this.openDocs.delete(file);
    return file;
  }

  /** (Re)starts the findings feed for the current settings. */
  async startFeed(baseDir: string): Promise<void> {
    this.feed?.stop();
    const feed = new FindingsFeed(this.settings, baseDir, () => this.featureNames(), (m) => this.connection.console.log(`sightline: ${m}`));
    this.feed = feed;
    feed.onChange(() => this.recompute());
    await feed.start();
  }

  async refreshFeed(): Promise<FindingsOrigin> {
    await this.feed?.refresh();
    this.recompute();
    return this.catalog.origin;
  }

  stop(): void {
    this.feed?.stop();
    if (this.timer) clearTimeout(this.timer);
  }

  /** Coalesces keystrokes into one rebuild. */
  scheduleRecompute(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.recompute();
    }, RECOMPUTE_DEBOUNCE_MS);
  }

  recompute(): void {
    try {
      this.push();
    } catch (err) {
      // A bad file or finding must cost one refresh, not the server (callers are event handlers).
      this.connection.console.error(`sightline: refresh failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    }
  }

  private push(): void {
    const views = this.workspaces.views(this.feed?.snapshot ?? EMPTY_SNAPSHOT);
    this.catalog = new Catalog(views, this.origin(), (file) => this.readText(file));
    const diagnostics = buildDiagnostics(this.catalog);
    const now = new Set<string>();
    for (const [file, list] of diagnostics) {
      const uri = this.openDocs.get(file)?.uri ?? fileUri(file);
      now.add(uri);
      void this.connection.sendDiagnostics({ uri, diagnostics: list });
    }
    for (const uri of this.published) if (!now.has(uri)) void this.connection.sendDiagnostics({ uri, diagnostics: [] });
    this.published = now;
    if (this.support.codeLensRefresh) void this.connection.sendRequest(CodeLensRefreshRequest.type).catch(() => undefined);
    if (this.support.inlayHintRefresh) void this.connection.languages.inlayHint.refresh().catch(() => undefined);
    const note: FindingsChanged = { origin: this.catalog.origin };
    void this.connection.sendNotification(FINDINGS_CHANGED_NOTIFICATION, note);
  }

  private origin(): FindingsOrigin {
    return this.feed?.origin ?? { kind: 'none', via: null, trace: null, port: null, message: 'starting', loaded_at: null, findings: 0 };
  }

  private featureNames(): string[] {
    return this.workspaces.declaredFeatures();
  }
}
