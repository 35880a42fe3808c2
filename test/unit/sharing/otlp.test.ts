import { describe, expect, it } from 'vitest';
import { anyValue, spanIds, toExportRequest, toSpan, SPAN_KIND_INTERNAL, type PredictionSpanRow } from '../../../daemon/sharing/otlp';
import { OtlpExportTraceServiceRequest } from './spec-schemas';

const row: PredictionSpanRow = {
  id: '01a21220-3afc-7000-81ae-f15936d9b3f0',
  time_ns: '986083920000000000', // 2001-04-01T00:12:00Z
  latency_ms: 1.25,
  model_id: 'a'.repeat(64), model_name: 'flights-delay', model_version: 'v1',
  source: 'served', execution_provider: 'cpu', score: 0.3634, label_pred: '0', join_key: 'F1477920', request_id: null,
  features: { dep_hour: 0, day_of_week: 'Sun', distance: 236, missing: null },
  attributes: { fare_class: 'economy', weird: Number.NaN },
};

describe('predictions as OTLP/JSON spans', () => {
  it('derives hex ids from the prediction id', () => {
    const { traceId, spanId } = spanIds(row.id);
    expect(traceId).toBe('01a212203afc700081aef15936d9b3f0');
    expect(spanId).toMatch(/^[0-9a-f]{16}$/);
    expect(spanIds(row.id)).toEqual({ traceId, spanId });
    expect(spanIds('01a21220-3afc-7000-81ae-f15936d9b3f1').spanId).not.toBe(spanId);
  });

  it('wraps values in AnyValue and leaves out nulls and non-finite numbers', () => {
    expect(anyValue(1.5)).toEqual({ doubleValue: 1.5 });
    expect(anyValue('x')).toEqual({ stringValue: 'x' });
    expect(anyValue(true)).toEqual({ boolValue: true });
    expect(anyValue(10n)).toEqual({ intValue: '10' });
    expect(anyValue(null)).toBeNull();
    expect(anyValue(Number.POSITIVE_INFINITY)).toBeNull();
  });

  it('maps a prediction to a span: times as decimal strings (end = start + latency, exact), model, score, features', () => {
    const span = toSpan(row);
    expect(span.kind).toBe(SPAN_KIND_INTERNAL);
    expect(span.name).toBe('sightline.predict');
    expect(span.startTimeUnixNano).toBe('986083920000000000');
    expect(span.endTimeUnixNano).toBe('986083920001250000');
    const attrs = Object.fromEntries(span.attributes.map((a) => [a.key, a.value]));
    expect(attrs['sightline.model']).toEqual({ stringValue: 'flights-delay@v1' });
    expect(attrs['sightline.score']).toEqual({ doubleValue: 0.3634 });
    expect(attrs['sightline.feature.dep_hour']).toEqual({ doubleValue: 0 });
    expect(attrs['sightline.feature.day_of_week']).toEqual({ stringValue: 'Sun' });
    expect(attrs['sightline.attribute.fare_class']).toEqual({ stringValue: 'economy' });
    expect('sightline.feature.missing' in attrs).toBe(false);
    expect('sightline.attribute.weird' in attrs).toBe(false);
    expect('sightline.request_id' in attrs).toBe(false);
    expect(toSpan({ ...row, latency_ms: null }).endTimeUnixNano).toBe(row.time_ns);
  });

  it('groups spans under a resource and scope, in the shape the OTLP JSON spec requires', () => {
    const req = toExportRequest({ id: 'a'.repeat(64), name: 'flights-delay', version: 'v1' }, [toSpan(row), toSpan({ ...row, id: '01a21220-3afc-7001-b4f0-6bde67cf9f8f' })]);
    const parsed = OtlpExportTraceServiceRequest.parse(JSON.parse(JSON.stringify(req)));
    expect(parsed.resourceSpans[0]!.scopeSpans[0]!.spans).toHaveLength(2);
    expect(req.resourceSpans[0]!.resource.attributes[0]).toEqual({ key: 'service.name', value: { stringValue: 'flights-delay' } });
    expect(req.resourceSpans[0]!.scopeSpans[0]!.scope.name).toBe('sightline');
  });

  it('the spec schema rejects what the encoding forbids', () => {
    const bad = (span: object) => OtlpExportTraceServiceRequest.safeParse({ resourceSpans: [{ scopeSpans: [{ spans: [{ ...toSpan(row), ...span }] }] }] }).success;
    expect(bad({})).toBe(true);
    expect(bad({ startTimeUnixNano: 986083920000000000 })).toBe(false); // a number, not a string
    expect(bad({ traceId: 'AQIDBAUGBwgJCgsMDQ4PEA==' })).toBe(false); // base64, not hex
    expect(bad({ spanId: '0000000000000000' })).toBe(false);
    expect(bad({ attributes: [{ key: 'x', value: 1 }] })).toBe(false); // no AnyValue wrapper
  });
});
