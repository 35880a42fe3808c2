/**
 * What a run of the `sightline` CLI meant (pure, unit-tested; cli.ts runs the process): its
 * `--json` output, a failed gate (exit 1 with a full result), a command this version lacks, or an
 * error with the CLI's last lines.
 */

/** The CLI of this version has no such command (`sightline eval` before the engine landed, …). */
export class CommandNotAvailable extends Error {
  constructor(readonly command: string) {
    super(`\`sightline ${command}\` is not available in this version of Sightline`);
  }
}

export class CliError extends Error {
  constructor(message: string, readonly exitCode: number | null, readonly stderr: string) {
    super(message);
  }
}

export interface CliResult<T> {
  /** Parsed `--json` output. */
  json: T;
  /** Exit code 1: a declared gate failed (the output is still a full result). */
  gateFailed: boolean;
}

const UNKNOWN_COMMAND = /unknown command '([^']+)'/;

/**
 * The result of `sightline <command> … --json` from its exit code and output. Returns (rather than
 * throws) CommandNotAvailable so the caller can remember it; throws CliError for anything else
 * that is not a JSON result with exit 0 or 1.
 */
export function cliResult<T>(command: string, code: number | null, stdout: string, stderr: string): CliResult<T> | CommandNotAvailable {
  const unknown = UNKNOWN_COMMAND.exec(stderr);
  if (unknown) return new CommandNotAvailable(unknown[1]!);
  let json: T | undefined;
  try {
    json = stdout.trim() ? (JSON.parse(stdout) as T) : undefined;
  } catch {
    json = undefined;
  }
  if ((code === 0 || code === 1) && json !== undefined) return { json, gateFailed: code === 1 };
  const last = stderr.trim().split('\n').filter(Boolean).slice(-3).join(' · ');
  throw new CliError(last || `sightline ${command} exited with code ${code}`, code, stderr);
}

/**
 * Whether `sightline help <command>` showed that command: it prints the command's usage and exits
 * 0 only for a known command (`<command> --help` would print the general help for an unknown one
 * and exit 0).
 */
export function helpShowsCommand(command: string, code: number | null, stdout: string): boolean {
  return code === 0 && stdout.includes(`Usage: sightline ${command}`);
}
