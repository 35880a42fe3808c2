/**
 * Workspace Trust, as data (no `vscode` here, so it is unit-tested): what Restricted Mode
 * disables and the message that says so. An untrusted workspace may view trace files read-only,
 * but runs no models and no command that executes workspace code or writes to a trace.
 */

/** Commands disabled in Restricted Mode (package.json `enablement` says so too; test/unit/extension checks both agree). */
export const TRUSTED_ONLY_COMMANDS = ['sightline.runEvaluation', 'sightline.replayTraffic', 'sightline.compareModels', 'sightline.flagPrediction'] as const;

/** Settings VS Code ignores from an untrusted workspace (`restrictedConfigurations`): they pick what runs. */
export const RESTRICTED_SETTINGS = ['sightline.daemon.path', 'sightline.daemon.args', 'sightline.daemon.attach'] as const;

export type TrustGate = { allowed: true } | { allowed: false; message: string; action: 'Manage Workspace Trust' };

/** Whether an action may run, and if not, the warning to show (with a way to manage trust). */
export function trustGate(action: string, trusted: boolean): TrustGate {
  if (trusted) return { allowed: true };
  return {
    allowed: false,
    message: `Sightline: ${action} is disabled in Restricted Mode: it runs models or code from this workspace. Trust the workspace to use it.`,
    action: 'Manage Workspace Trust',
  };
}
