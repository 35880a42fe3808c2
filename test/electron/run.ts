import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runTests } from '@vscode/test-electron';
import { prepareWorkspace, ROOT } from '../e2e/workspace';

/**
 * `npm run test:electron`: the end-to-end scenarios inside a real VS Code desktop build, downloaded
 * by @vscode/test-electron (needs internet; this repository's CI machine has none, so `npm test`
 * runs the same scenarios in code-server instead, see test/e2e). VS Code version: 1.139.1 (the one
 * code-server 4.139.1 embeds) unless SIGHTLINE_VSCODE_VERSION says otherwise ("stable", "insiders").
 */
async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sightline-electron-'));
  try {
    const { workspace } = await prepareWorkspace(dir);
    await runTests({
      version: process.env.SIGHTLINE_VSCODE_VERSION || '1.139.1',
      // The extension as built in dist/ (package.json `main`), run from the repository.
      extensionDevelopmentPath: ROOT,
      extensionTestsPath: path.join(ROOT, 'dist', 'test-electron', 'suite.js'),
      extensionTestsEnv: { SIGHTLINE_E2E_WORKSPACE: workspace },
      launchArgs: [
        workspace,
        '--disable-workspace-trust', '--disable-extensions', '--skip-welcome', '--skip-release-notes',
        '--user-data-dir', path.join(dir, 'user-data'), '--extensions-dir', path.join(dir, 'extensions'),
      ],
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(`test:electron failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
