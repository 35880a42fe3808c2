import * as vscode from 'vscode';

/** A tree data provider that reloads its data on demand (debounced) and tells the view. */
export abstract class RefreshableTree<T> implements vscode.TreeDataProvider<T>, vscode.Disposable {
  protected readonly changeEmitter = new vscode.EventEmitter<T | undefined | void>();
  readonly onDidChangeTreeData = this.changeEmitter.event;
  protected readonly disposables: vscode.Disposable[] = [this.changeEmitter];
  private timer: NodeJS.Timeout | undefined;

  /** Reloads soon; several calls within `delayMs` reload once. */
  refresh(delayMs = 150): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.changeEmitter.fire();
    }, delayMs);
  }

  abstract getTreeItem(element: T): vscode.TreeItem | Thenable<vscode.TreeItem>;
  abstract getChildren(element?: T): vscode.ProviderResult<T[]>;

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    for (const d of this.disposables) d.dispose();
  }
}
