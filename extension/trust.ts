import * as vscode from 'vscode';
import { trustGate } from './trust-policy';

/**
 * Workspace Trust: an untrusted (Restricted Mode) workspace may view trace files read-only, but
 * runs no models and no command that executes code or writes to a trace. Returns whether the
 * action may go on; otherwise says why, with a way to manage trust (trust-policy.ts).
 */
export function allowed(action: string): boolean {
  const gate = trustGate(action, vscode.workspace.isTrusted);
  if (gate.allowed) return true;
  void vscode.window.showWarningMessage(gate.message, gate.action).then((pick) => {
    if (pick) void vscode.commands.executeCommand('workbench.trust.manage');
  });
  return false;
}
