import { spawn } from 'node:child_process';
import * as vscode from 'vscode';
import type { Launcher } from './daemon/launch';
import { cliResult, CommandNotAvailable, helpShowsCommand, type CliResult } from './cli-result';
import type { Log } from './log';

export { CliError, CommandNotAvailable, type CliResult } from './cli-result';

/**
 * Runs `sightline <command> … --json` (the bundled CLI, with the daemon's SIGHTLINE_HOME so it
 * talks to the same daemon), with a cancellable progress notification that kills the process,
 * and the CLI's own plain progress lines (stderr) as the progress message.
 */
export class SightlineCli {
  private readonly known = new Map<string, boolean>();

  constructor(private readonly launcher: () => Launcher, private readonly log: Log) {}

  /**
   * Whether this CLI has the command: `sightline help <command>` prints that command's usage and
   * exits 0 only for a known command (`<command> --help` would print the general help for an
   * unknown one and exit 0). Asked once per session.
   */
  async supports(command: string): Promise<boolean> {
    const cached = this.known.get(command);
    if (cached !== undefined) return cached;
    const { code, stdout } = await this.exec(['help', command]);
    const ok = helpShowsCommand(command, code, stdout);
    this.known.set(command, ok);
    this.log.debug(`cli: \`sightline ${command}\` ${ok ? 'is available' : 'is not available'}`);
    return ok;
  }

  /** Runs with progress; throws CommandNotAvailable, CliError, or vscode.CancellationError. */
  run<T>(args: string[], title: string, cwd?: string): Promise<CliResult<T>> {
    return Promise.resolve(vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, async (progress, token) => {
      const { code, stdout, stderr, cancelled } = await this.exec([...args, '--json'], cwd, token, (line) => progress.report({ message: line.slice(0, 120) }));
      if (cancelled) throw new vscode.CancellationError();
      const result = cliResult<T>(args[0] ?? '', code, stdout, stderr);
      if (result instanceof CommandNotAvailable) {
        this.known.set(result.command, false);
        throw result;
      }
      return result;
    }));
  }

  private exec(args: string[], cwd?: string, token?: vscode.CancellationToken, onLine?: (line: string) => void): Promise<{ code: number | null; stdout: string; stderr: string; cancelled: boolean }> {
    const l = this.launcher();
    this.log.info(`cli: sightline ${args.join(' ')}`);
    return new Promise((resolve) => {
      const child = spawn(l.command, [...l.prefix, ...args], { env: l.env, cwd, stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true });
      let stdout = '';
      let stderr = '';
      let cancelled = false;
      const sub = token?.onCancellationRequested(() => {
        cancelled = true;
        this.log.info(`cli: cancelled sightline ${args[0]}; stopping pid ${child.pid}`);
        child.kill('SIGTERM');
        // The CLI cancels its run on SIGTERM (stored as cancelled, exit 143); give it time to, then kill.
        setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
      });
      child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => {
        stderr += d;
        for (const line of d.split(/\r?\n|\r/).filter((x) => x.trim())) {
          this.log.debug(`cli ${args[0]}: ${line}`);
          onLine?.(line.trim());
        }
      });
      child.once('error', (err) => {
        stderr += err.message;
      });
      child.once('close', (code) => {
        sub?.dispose();
        resolve({ code, stdout, stderr, cancelled });
      });
    });
  }
}
