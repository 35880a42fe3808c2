import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DaemonInfo } from '../../protocol';

/** `$SIGHTLINE_HOME`, default `~/.sightline`: the daemon's state folder (user-only). */
export function sightlineHome(env: NodeJS.ProcessEnv = process.env): string {
  return env.SIGHTLINE_HOME && env.SIGHTLINE_HOME.length > 0 ? path.resolve(env.SIGHTLINE_HOME) : path.join(os.homedir(), '.sightline');
}

export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

export function daemonInfoPath(home: string): string {
  return path.join(home, 'daemon.json');
}

/** Writes daemon.json with mode 0600 atomically (temp file + rename), in a 0700 folder. */
export function writeDaemonInfo(home: string, info: DaemonInfo): string {
  mkdirSync(home, { recursive: true, mode: 0o700 });
  try {
    chmodSync(home, 0o700);
  } catch {
    /* not ours to change (e.g. a shared CI home); the file itself is still 0600 */
  }
  const file = daemonInfoPath(home);
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(info, null, 2), { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);
  return file;
}

export function readDaemonInfo(home: string): DaemonInfo | null {
  const file = daemonInfoPath(home);
  if (!existsSync(file)) return null;
  try {
    const parsed = DaemonInfo.safeParse(JSON.parse(readFileSync(file, 'utf8')));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/** Removes daemon.json if it still describes this process. */
export function removeDaemonInfo(home: string, pid: number): void {
  const info = readDaemonInfo(home);
  if (info && info.pid === pid) rmSync(daemonInfoPath(home), { force: true });
}
