import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

/** The fields of `$SIGHTLINE_HOME/daemon.json` the extension uses (schema: DaemonInfo in protocol/models.ts). */
export interface TokenFile {
  port: number;
  token: string;
  pid: number;
  trace: string;
  protocol: number;
}

/** A daemon.json path from a setting that names the file or the SIGHTLINE_HOME folder holding it. */
export function tokenFilePath(setting: string): string {
  const p = path.resolve(setting.replace(/^~(?=$|[/\\])/, process.env.HOME ?? '~'));
  return existsSync(p) && statSync(p).isDirectory() ? path.join(p, 'daemon.json') : p;
}

/** Reads and checks a token file; throws a message fit for the user. */
export function readTokenFile(file: string): TokenFile {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new Error(code === 'ENOENT' ? `no daemon token file at ${file} (is \`sightline serve\` running?)` : `cannot read ${file}: ${(err as Error).message}`);
  }
  const o = raw as Partial<Record<keyof TokenFile, unknown>>;
  if (!o || typeof o.port !== 'number' || typeof o.token !== 'string' || typeof o.pid !== 'number') {
    throw new Error(`${file} is not a Sightline daemon token file (port, token, pid)`);
  }
  return { port: o.port, token: o.token, pid: o.pid, trace: typeof o.trace === 'string' ? o.trace : '', protocol: typeof o.protocol === 'number' ? o.protocol : 1 };
}

/** Whether a process with this pid exists (signal 0 checks without sending anything). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
