import { statSync } from 'node:fs';

/**
 * Calls `onChange` when a trace file changes. Polls size and mtime of the file and its WAL:
 * a DuckDB writer often touches only the WAL until it checkpoints, and file-system events are
 * unreliable on network and container mounts.
 */
export function watchTrace(file: string, onChange: () => void, intervalMs = 500): () => void {
  const signature = (): string => [file, `${file}.wal`].map((p) => {
    try {
      const s = statSync(p);
      return `${s.size}:${s.mtimeMs}`;
    } catch {
      return '-';
    }
  }).join('|');
  let last = signature();
  const timer = setInterval(() => {
    const now = signature();
    if (now !== last) {
      last = now;
      onChange();
    }
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
