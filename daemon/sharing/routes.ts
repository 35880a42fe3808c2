/**
 * Retention over HTTP, for a trace the daemon holds (DuckDB lets one process write a file):
 * `POST /v1/prune` and `POST /v1/forget`. Queued predictions are committed first, so rows the
 * daemon already acknowledged are covered; a read-only daemon refuses both.
 */
import { ForgetRequest, PruneRequest } from '../../protocol';
import type { Engine } from '../engine';
import type { HttpServer } from '../server/http-server';
import { forgetKeys, pruneTrace } from './retention';

const NOT_COMPACTED = 'the daemon holds the file, so it was not rewritten: freed blocks are reused but not zeroed. To remove the deleted bytes from disk, stop the daemon and run the same `sightline forget`/`sightline prune --compact` on the file.';

export function registerSharingRoutes(engine: Engine, http: HttpServer): void {
  http.registerRoute('POST', '/v1/prune', async (body) => {
    const req = await body(PruneRequest, 'prune request');
    engine.store.assertWritable();
    await engine.writer.flush();
    const result = await pruneTrace(engine.store, req);
    return { ...result, notes: [...result.notes, ...(result.dry_run ? [] : [NOT_COMPACTED])] };
  });
  http.registerRoute('POST', '/v1/forget', async (body) => {
    const req = await body(ForgetRequest, 'forget request');
    engine.store.assertWritable();
    await engine.writer.flush();
    const result = await forgetKeys(engine.store, req);
    return { ...result, notes: [...result.notes, ...(result.dry_run ? [] : [NOT_COMPACTED])] };
  });
}
