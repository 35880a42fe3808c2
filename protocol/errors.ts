import { z } from 'zod';

/**
 * Every refusal, on HTTP and WebSocket, has this shape: a stable machine `code`, a human
 * `message` that says how to fix it, and the `path` of the offending field when there is one.
 */
export const ErrorCode = z.enum([
  'bad_json',
  'invalid_request',
  'unauthorized',
  'forbidden_origin',
  'forbidden_host',
  'not_found',
  'unknown_model',
  'unknown_feature',
  'missing_feature',
  'bad_value',
  'bad_shape',
  'payload_too_large',
  'model_load_failed',
  'inference_failed',
  'unsupported',
  'conflict',
  'internal',
  'schema_too_new',
  'bad_file',
  /** `serve --chaos drop@…` refused this request on purpose; nothing was logged. Retry. */
  'chaos_dropped',
  /** The trace file cannot be written (disk full, file-size limit, I/O error); reads still work. */
  'storage_error',
]);
export type ErrorCode = z.infer<typeof ErrorCode>;

export const ErrorBody = z.object({
  error: z.object({
    code: ErrorCode,
    message: z.string(),
    path: z.array(z.union([z.string(), z.number()])).optional(),
  }),
});
export type ErrorBody = z.infer<typeof ErrorBody>;

/** A typed error any layer can throw; the server turns it into an ErrorBody and an HTTP status. */
export class SightlineError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly path?: (string | number)[],
  ) {
    super(message);
    this.name = 'SightlineError';
  }

  toBody(): ErrorBody {
    return { error: { code: this.code, message: this.message, ...(this.path ? { path: this.path } : {}) } };
  }
}

/** HTTP status for each code (used by the daemon; clients map back by `code`). */
export const HTTP_STATUS: Record<ErrorCode, number> = {
  bad_json: 400,
  invalid_request: 400,
  unauthorized: 401,
  forbidden_origin: 403,
  forbidden_host: 403,
  not_found: 404,
  unknown_model: 404,
  unknown_feature: 400,
  missing_feature: 400,
  bad_value: 400,
  bad_shape: 400,
  payload_too_large: 413,
  model_load_failed: 422,
  inference_failed: 500,
  unsupported: 400,
  conflict: 409,
  internal: 500,
  schema_too_new: 400,
  bad_file: 400,
  chaos_dropped: 503,
  storage_error: 503,
};

/** Converts a zod failure into the first offending field, as a SightlineError. */
export function fromZodError(err: z.ZodError, what: string): SightlineError {
  const issue = err.issues[0];
  const path = (issue?.path ?? []).map((p) => (typeof p === 'symbol' ? String(p) : p));
  const where = path.length > 0 ? ` at ${path.join('.')}` : '';
  return new SightlineError('invalid_request', `invalid ${what}${where}: ${issue?.message ?? 'malformed'}`, path);
}
