import * as vscode from 'vscode';

/**
 * Workspace Trust: an untrusted (Restricted Mode) workspace may view trace files read-only, but
 * runs no models and no command that executes code or writes to a trace. Returns whether the
 * action may go on; otherwise says why, with a way to manage trust.
 */
export function allowed(action: string): boolean {
  if (vscode.workspace.isTrusted) return true;
  void vscode.window.showWarningMessage(`Sightline: ${action} is disabled in Restricted Mode: it runs models or code from this workspace. Trust the workspace to use it.`, 'Manage Workspace Trust').then((pick) => {
    if (pick) void vscode.commands.executeCommand('workbench.trust.manage');
  });
  return false;
}
