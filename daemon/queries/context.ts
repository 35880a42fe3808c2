import type { z } from 'zod';
import { fromZodError, SightlineError } from '../../protocol';
import type { Lineage } from '../lineage/service';
import type { Hub } from '../server/hub';
import type { TraceStore } from '../store/trace-store';

/** What the editor queries read: the trace, the writer (flushed first), and lineage when the daemon has it. */
export interface QueryContext {
  readonly store: TraceStore;
  readonly writer: { flush(): Promise<void> };
  /** Read at query time (the daemon creates its lineage service after registering queries). */
  readonly lineage?: Lineage;
  /** Publishes findings that a query saved. */
  readonly hub?: Pick<Hub, 'publish'>;
}

/** Validates a query's params with its schema; a failure is a typed `invalid_request` naming the field. */
export function parseParams<T extends z.ZodType>(schema: T, params: unknown, what: string): z.output<T> {
  const parsed = schema.safeParse(params ?? {});
  if (!parsed.success) throw fromZodError(parsed.error, `${what} query params`);
  return parsed.data;
}

/** Epoch milliseconds (as DuckDB's `epoch_ms(t)::DOUBLE` returns them) → ISO text. */
export function isoFromMs(value: unknown): string {
  const ms = Number(value);
  if (!Number.isFinite(ms)) throw new SightlineError('internal', `not a time: ${String(value)}`);
  return new Date(ms).toISOString();
}

export function numberOrNull(value: unknown): number | null {
  if (value === null || value === undefined) return null;
  const n = Number(value);
  return Number.isFinite(n) ? n : null;
}

export function stringOrNull(value: unknown): string | null {
  return value === null || value === undefined ? null : String(value);
}

/** JSON columns come back as text or as parsed values depending on the reader: always parsed. */
export function jsonValue(value: unknown): unknown {
  if (typeof value !== 'string') return value ?? null;
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}
