/**
 * Workspace Trust gating: the pure gate, and that the manifest (package.json) agrees with it —
 * the commands that run models or code are disabled and hidden in Restricted Mode, and the
 * settings that pick what runs are restricted.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { RESTRICTED_SETTINGS, TRUSTED_ONLY_COMMANDS, trustGate } from '../../../extension/trust-policy';

const manifest = JSON.parse(readFileSync(path.resolve(__dirname, '../../../package.json'), 'utf8')) as {
  contributes: { commands: Array<{ command: string; enablement?: string }>; menus: { commandPalette: Array<{ command: string; when?: string }> } };
  capabilities: { untrustedWorkspaces: { supported: string | boolean; restrictedConfigurations: string[] } };
};

describe('trust gating', () => {
  it('lets everything run in a trusted workspace', () => {
    expect(trustGate('Replay Traffic', true)).toEqual({ allowed: true });
  });

  it('refuses in Restricted Mode with a message naming the action and a way to manage trust', () => {
    expect(trustGate('Compare Models', false)).toEqual({
      allowed: false,
      message: 'Sightline: Compare Models is disabled in Restricted Mode: it runs models or code from this workspace. Trust the workspace to use it.',
      action: 'Manage Workspace Trust',
    });
  });

  it('package.json disables exactly the trusted-only commands in Restricted Mode', () => {
    const gated = manifest.contributes.commands.filter((c) => /isWorkspaceTrusted/.test(c.enablement ?? '')).map((c) => c.command).sort();
    expect(gated).toEqual([...TRUSTED_ONLY_COMMANDS].sort());
    // ... and hides them from the palette there.
    for (const command of TRUSTED_ONLY_COMMANDS) {
      const entry = manifest.contributes.menus.commandPalette.find((m) => m.command === command);
      expect(entry?.when, command).toMatch(/isWorkspaceTrusted/);
    }
  });

  it('package.json restricts the settings that decide what runs, and declares limited support', () => {
    expect(manifest.capabilities.untrustedWorkspaces.supported).toBe('limited');
    expect([...manifest.capabilities.untrustedWorkspaces.restrictedConfigurations].sort()).toEqual([...RESTRICTED_SETTINGS].sort());
  });

  it('every trusted-only command handler checks trust first', () => {
    const sources = ['run-commands.ts', 'trace-commands.ts'].map((f) => readFileSync(path.resolve(__dirname, '../../../extension/commands', f), 'utf8')).join('\n');
    for (const command of TRUSTED_ONLY_COMMANDS) {
      const at = sources.indexOf(`'${command}'`);
      expect(at, command).toBeGreaterThan(-1);
      // The first statement of the handler is the trust check.
      expect(sources.slice(at, at + 400), command).toMatch(/if \(!allowed\('[^']+'\)/);
    }
  });
});
