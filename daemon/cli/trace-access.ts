import path from 'node:path';
import type { SightlineClient } from '../../clients/typescript/client';
import { TraceStore } from '../store/trace-store';
import { findDaemon } from './connect';

/**
 * How a command reaches a trace file: through the daemon that holds it (DuckDB allows one
 * writing process, and a held file cannot be opened by another), or in-process — read-only
 * unless the command writes.
 */
export type TraceAccess = { kind: 'daemon'; client: SightlineClient } | { kind: 'file'; store: TraceStore };

export async function openTrace(trace: string, opts: { write: boolean }): Promise<TraceAccess> {
  const daemon = await findDaemon();
  if (daemon && path.resolve(daemon.info.trace) === path.resolve(trace)) return { kind: 'daemon', client: daemon.client };
  return { kind: 'file', store: await TraceStore.open(trace, { readOnly: !opts.write }) };
}

export function closeTrace(access: TraceAccess): void {
  if (access.kind === 'file') access.store.close();
}
