import * as vscode from 'vscode';
import type { Core } from '../core';
import { describeError } from '../log';

/** Registers a command whose errors are logged and shown, never swallowed. */
export function command(core: Core, id: string, run: (...args: never[]) => unknown): void {
  core.context.subscriptions.push(vscode.commands.registerCommand(id, async (...args: unknown[]) => {
    try {
      return await (run as (...a: unknown[]) => unknown)(...args);
    } catch (err) {
      if (err instanceof vscode.CancellationError) {
        core.log.info(`${id}: cancelled`);
        return undefined;
      }
      core.log.error(`${id}: ${describeError(err)}`);
      void vscode.window.showErrorMessage(`Sightline: ${describeError(err)}`, 'Show Logs').then((pick) => {
        if (pick) core.log.show(true);
      });
      return undefined;
    }
  }));
}
