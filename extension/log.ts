import * as vscode from 'vscode';

/** The extension's log: a LogOutputChannel, so its level follows "Developer: Set Log Level…". */
export type Log = vscode.LogOutputChannel;

export function createLog(context: vscode.ExtensionContext, name = 'Sightline'): Log {
  const log = vscode.window.createOutputChannel(name, { log: true });
  context.subscriptions.push(log);
  return log;
}

/** A one-line description of anything thrown. */
export function describeError(err: unknown): string {
  if (err instanceof Error) return err.message;
  if (err && typeof err === 'object' && 'message' in err && typeof (err as { message: unknown }).message === 'string') {
    return (err as { message: string }).message;
  }
  return String(err);
}
