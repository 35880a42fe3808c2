import type { z } from 'zod';
import { SightlineError } from '../../protocol';

/**
 * An analysis report as its protocol/ schema describes it (what `--json` and the wire promise);
 * a report that does not match is a bug here, so it is an `internal` error naming the first
 * offending field, never sent on.
 */
export function checkedReport<S extends z.ZodType>(schema: S, report: z.input<S>, what: string): z.output<S> {
  const parsed = schema.safeParse(report);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new SightlineError('internal', `the ${what} report does not match its schema at ${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`);
}
