import cliProgress from 'cli-progress';
import { SightlineError } from '../../protocol';

/**
 * Exit codes of every command: 0 ok, 1 a declared gate failed, 2 bad usage or bad input;
 * a run cancelled by SIGINT exits 130 and by SIGTERM 143 (128 + the signal, as a shell reports it).
 */
export const EXIT = { ok: 0, gateFailed: 1, badInput: 2, interrupted: 130, terminated: 143 } as const;

/** The command was stopped by a signal (its work cancelled cleanly): the message, then `exitCode`. */
export class Interrupted extends SightlineError {
  constructor(message: string, readonly exitCode: number) {
    super('conflict', message);
  }
}

/**
 * Progress for long work: a bar (cli-progress) on a terminal, plain periodic lines otherwise
 * (CI logs, pipes), and nothing at all under --json so stdout stays machine-readable.
 */
export interface Progress {
  update(done: number, note?: string): void;
  stop(): void;
}

export function progress(label: string, total: number, opts: { quiet?: boolean } = {}): Progress {
  if (opts.quiet) return { update: () => undefined, stop: () => undefined };
  if (process.stderr.isTTY) {
    const bar = new cliProgress.SingleBar(
      { format: `${label} [{bar}] {percentage}% | {value}/{total} {note}`, stream: process.stderr, hideCursor: true, clearOnComplete: false },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, 0, { note: '' });
    return { update: (d, note) => bar.update(d, { note: note ?? '' }), stop: () => bar.stop() };
  }
  let lastPct = -1;
  return {
    update(done, note) {
      const pct = total > 0 ? Math.floor((done / total) * 10) * 10 : 100;
      if (pct !== lastPct) {
        lastPct = pct;
        process.stderr.write(`${label}: ${done}/${total} (${pct}%)${note ? ` ${note}` : ''}\n`);
      }
    },
    stop: () => undefined,
  };
}

/** Runs a command body; typed errors become a clear message and exit code 2. */
export async function runCommand(body: () => Promise<number | void>): Promise<void> {
  try {
    const code = await body();
    process.exitCode = code ?? 0;
  } catch (err) {
    if (err instanceof Interrupted) {
      process.stderr.write(`sightline: ${err.message}\n`);
      process.exitCode = err.exitCode;
    } else if (err instanceof SightlineError) {
      process.stderr.write(`sightline: ${err.message}${err.path ? ` (at ${err.path.join('.')})` : ''} [${err.code}]\n`);
      process.exitCode = err.code === 'internal' ? 70 : EXIT.badInput;
    } else {
      process.stderr.write(`sightline: unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exitCode = 70;
    }
  }
}

export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n');
}
