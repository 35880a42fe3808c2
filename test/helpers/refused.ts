import { expect } from 'vitest';
import { ErrorBody } from '../../protocol';
import type { RawResponse } from './wire';

/** Asserts a typed refusal: the status, and a body `{ error: { code, message, path } }` with a message that says something. */
export function expectRefused(res: RawResponse, status: number, code: string, path?: (string | number)[]): void {
  expect(res.status, res.text).toBe(status);
  const body = ErrorBody.parse(res.json);
  expect(body.error.code, res.text).toBe(code);
  expect(body.error.message.length).toBeGreaterThan(10);
  if (path) expect(body.error.path).toEqual(path);
}
