import type { DaemonInfo } from '../../protocol';
import { SightlineError } from '../../protocol';
import { SightlineClient } from '../../clients/typescript/client';
import { readDaemonInfo, sightlineHome } from '../server/state-file';

/** The running daemon described by $SIGHTLINE_HOME/daemon.json, if it answers. */
export async function findDaemon(home = sightlineHome()): Promise<{ info: DaemonInfo; client: SightlineClient } | null> {
  const info = readDaemonInfo(home);
  if (!info) return null;
  try {
    process.kill(info.pid, 0);
  } catch {
    return null; // stale file from a daemon that died
  }
  const client = new SightlineClient(info);
  try {
    await client.health();
  } catch {
    return null;
  }
  return { info, client };
}

export async function requireDaemon(home = sightlineHome()): Promise<{ info: DaemonInfo; client: SightlineClient }> {
  const found = await findDaemon(home);
  if (!found) throw new SightlineError('not_found', `no daemon is running for ${home} (start one with \`sightline serve --trace FILE --model MODEL.onnx\`)`);
  return found;
}
