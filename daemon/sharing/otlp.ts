import { createHash } from 'node:crypto';
import { VERSION } from '../version';

/**
 * Predictions as OpenTelemetry spans in the OTLP/JSON encoding (an ExportTraceServiceRequest per
 * line, the file format OpenTelemetry Collector's `otlpjsonfile` receiver reads): trace and span
 * ids are lowercase hex, 64-bit integers (`…UnixNano`, `intValue`) are decimal strings, enums are
 * integers, and attribute values sit in `AnyValue` wrappers. Pure: rows come from the trace.
 */

export type OtlpAnyValue = { stringValue: string } | { doubleValue: number } | { intValue: string } | { boolValue: boolean };
export interface OtlpKeyValue {
  key: string;
  value: OtlpAnyValue;
}

export interface OtlpSpan {
  traceId: string;
  spanId: string;
  name: string;
  kind: number;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes: OtlpKeyValue[];
  status: { code: number };
}

export interface OtlpExportRequest {
  resourceSpans: {
    resource: { attributes: OtlpKeyValue[] };
    scopeSpans: { scope: { name: string; version: string }; spans: OtlpSpan[] }[];
  }[];
}

/** SPAN_KIND_INTERNAL: the prediction is work inside the serving process. */
export const SPAN_KIND_INTERNAL = 1;
export const SPAN_NAME = 'sightline.predict';

/** One logged prediction, with features and attributes by name. */
export interface PredictionSpanRow {
  id: string;
  /** Nanoseconds since the epoch, as a decimal string (beyond 2^53). */
  time_ns: string;
  latency_ms: number | null;
  model_id: string;
  model_name: string;
  model_version: string;
  source: string;
  execution_provider: string | null;
  score: number | null;
  label_pred: string | null;
  join_key: string | null;
  request_id: string | null;
  features: Record<string, number | string | null>;
  attributes: Record<string, number | string | null>;
}

/** traceId: the prediction's UUID as 32 hex digits; spanId: 16 hex digits of sha256 of that id. */
export function spanIds(predictionId: string): { traceId: string; spanId: string } {
  const traceId = predictionId.replace(/-/g, '').toLowerCase();
  let spanId = createHash('sha256').update(`span:${traceId}`).digest('hex').slice(0, 16);
  if (/^0+$/.test(spanId)) spanId = '0000000000000001';
  return { traceId, spanId };
}

/** An attribute value in its AnyValue wrapper; null/NaN/∞ have none (the attribute is left out). */
export function anyValue(v: unknown): OtlpAnyValue | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'boolean') return { boolValue: v };
  if (typeof v === 'bigint') return { intValue: v.toString() };
  if (typeof v === 'number') return Number.isFinite(v) ? { doubleValue: v } : null;
  return { stringValue: String(v) };
}

function kv(key: string, v: unknown): OtlpKeyValue | null {
  const value = anyValue(v);
  return value ? { key, value } : null;
}

/** Adds nanoseconds (a float of ms) to a decimal-string nanosecond time without losing precision. */
function addMs(timeNs: string, ms: number | null): string {
  if (ms === null || !Number.isFinite(ms) || ms <= 0) return timeNs;
  return (BigInt(timeNs) + BigInt(Math.round(ms * 1e6))).toString();
}

export function toSpan(row: PredictionSpanRow): OtlpSpan {
  const attributes = [
    kv('sightline.prediction_id', row.id),
    kv('sightline.model', `${row.model_name}@${row.model_version}`),
    kv('sightline.model.id', row.model_id),
    kv('sightline.source', row.source),
    kv('sightline.execution_provider', row.execution_provider),
    kv('sightline.score', row.score),
    kv('sightline.label', row.label_pred),
    kv('sightline.latency_ms', row.latency_ms),
    kv('sightline.join_key', row.join_key),
    kv('sightline.request_id', row.request_id),
    ...Object.entries(row.features).map(([k, v]) => kv(`sightline.feature.${k}`, v)),
    ...Object.entries(row.attributes).map(([k, v]) => kv(`sightline.attribute.${k}`, v)),
  ].filter((a): a is OtlpKeyValue => a !== null);
  return {
    ...spanIds(row.id),
    name: SPAN_NAME,
    kind: SPAN_KIND_INTERNAL,
    startTimeUnixNano: row.time_ns,
    endTimeUnixNano: addMs(row.time_ns, row.latency_ms),
    attributes,
    status: { code: 0 },
  };
}

/** One ExportTraceServiceRequest: the spans of one model version under its resource. */
export function toExportRequest(model: { id: string; name: string; version: string }, spans: OtlpSpan[]): OtlpExportRequest {
  return {
    resourceSpans: [{
      resource: {
        attributes: [
          { key: 'service.name', value: { stringValue: model.name } },
          { key: 'service.version', value: { stringValue: model.version } },
          { key: 'sightline.model', value: { stringValue: `${model.name}@${model.version}` } },
          { key: 'sightline.model.id', value: { stringValue: model.id } },
        ],
      },
      scopeSpans: [{ scope: { name: 'sightline', version: VERSION }, spans }],
    }],
  };
}
