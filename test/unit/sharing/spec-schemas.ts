/**
 * Small hand-written zod schemas of the fields the OTLP/JSON and OpenLineage specs require, to
 * check the shapes Sightline exports (not Sightline's own types: written from the specs).
 *
 * OTLP/JSON (opentelemetry-proto, trace/v1/trace.proto + the OTLP JSON encoding rules): trace and
 * span ids are hex strings (16 and 8 bytes, not all zero), fixed64/int64 are decimal strings,
 * enums are integers, attribute values are AnyValue objects with exactly one value field.
 * OpenLineage 2-0-2 RunEvent: eventTime, producer, schemaURL, run.runId (UUID), job.namespace,
 * job.name required; datasets need namespace and name; every facet carries _producer and _schemaURL.
 */
import { z } from 'zod';

const hex = (bytes: number) => z.string().regex(new RegExp(`^[0-9a-f]{${bytes * 2}}$`)).refine((s) => !/^0+$/.test(s), 'all-zero id is invalid');
const uint64String = z.string().regex(/^\d+$/);

const AnyValue: z.ZodType<unknown> = z.lazy(() => z.union([
  z.strictObject({ stringValue: z.string() }),
  z.strictObject({ boolValue: z.boolean() }),
  z.strictObject({ intValue: z.string().regex(/^-?\d+$/) }),
  z.strictObject({ doubleValue: z.number() }),
  z.strictObject({ bytesValue: z.string() }),
  z.strictObject({ arrayValue: z.object({ values: z.array(AnyValue) }) }),
  z.strictObject({ kvlistValue: z.object({ values: z.array(KeyValue) }) }),
]));
const KeyValue: z.ZodType<{ key: string; value: unknown }> = z.lazy(() => z.object({ key: z.string().min(1), value: AnyValue }));

export const OtlpSpan = z.object({
  traceId: hex(16),
  spanId: hex(8),
  parentSpanId: z.string().optional(),
  name: z.string().min(1),
  kind: z.number().int().min(0).max(5),
  startTimeUnixNano: uint64String,
  endTimeUnixNano: uint64String,
  attributes: z.array(KeyValue).optional(),
  status: z.object({ code: z.number().int().min(0).max(2).optional(), message: z.string().optional() }).optional(),
}).refine((s) => BigInt(s.endTimeUnixNano) >= BigInt(s.startTimeUnixNano), 'a span ends after it starts');

export const OtlpExportTraceServiceRequest = z.object({
  resourceSpans: z.array(z.object({
    resource: z.object({ attributes: z.array(KeyValue) }).optional(),
    scopeSpans: z.array(z.object({
      scope: z.object({ name: z.string(), version: z.string().optional() }).optional(),
      spans: z.array(OtlpSpan),
    })),
  })),
});

const Facet = z.object({ _producer: z.string().url(), _schemaURL: z.string().url() }).passthrough();
const Facets = z.record(z.string(), Facet);

const Dataset = z.object({ namespace: z.string().min(1), name: z.string().min(1), facets: Facets.optional() });

export const OpenLineageRunEvent = z.object({
  eventType: z.enum(['START', 'RUNNING', 'COMPLETE', 'ABORT', 'FAIL', 'OTHER']).optional(),
  eventTime: z.string().datetime({ offset: true }),
  producer: z.string().url(),
  schemaURL: z.string().url(),
  run: z.object({ runId: z.string().uuid(), facets: Facets.optional() }),
  job: z.object({ namespace: z.string().min(1), name: z.string().min(1), facets: Facets.optional() }),
  inputs: z.array(Dataset).optional(),
  outputs: z.array(Dataset).optional(),
});
