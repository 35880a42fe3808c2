import { describe, expect, it } from 'vitest';
import { findingWindowEnd, parseDuration, retentionCutoff } from '../../../daemon/sharing/cutoff';
import { selectionWhere } from '../../../daemon/sharing/selection';

describe('retention cutoffs', () => {
  it('parses durations', () => {
    expect(parseDuration('30d')).toBe(30 * 86_400_000);
    expect(parseDuration('12h')).toBe(12 * 3_600_000);
    expect(parseDuration('2w')).toBe(14 * 86_400_000);
    expect(parseDuration(' 90m ')).toBe(90 * 60_000);
    expect(parseDuration('1.5d')).toBe(1.5 * 86_400_000);
    for (const bad of ['30', 'd', '30 days', '-1d', '0d', '']) expect(() => parseDuration(bad), bad).toThrow();
  });

  it('needs exactly one of --older-than and --before', () => {
    const now = new Date('2026-03-31T12:00:00Z');
    expect(retentionCutoff({ older_than: '30d' }, now).toISOString()).toBe('2026-03-01T12:00:00.000Z');
    expect(retentionCutoff({ before: '2001-05-01' }).toISOString()).toBe('2001-05-01T00:00:00.000Z');
    expect(retentionCutoff({ before: '2001-05-01T12:00:00+02:00' }).toISOString()).toBe('2001-05-01T10:00:00.000Z');
    expect(() => retentionCutoff({})).toThrow(/exactly one/);
    expect(() => retentionCutoff({ older_than: '1d', before: '2001-01-01' })).toThrow(/exactly one/);
    expect(() => retentionCutoff({ before: 'yesterday' })).toThrow(/not an ISO date/);
  });

  it("takes a finding's window end from its description, else its time", () => {
    const t = new Date('2001-07-02T00:00:00Z');
    expect(findingWindowEnd('2001-04-01..2001-05-01, flights-delay', t).toISOString()).toBe('2001-05-01T00:00:00.000Z');
    expect(findingWindowEnd('2001-04-01..…, flights-delay@v1', t)).toEqual(t);
    expect(findingWindowEnd('flights-delay', t)).toEqual(t);
    expect(findingWindowEnd(null, t)).toEqual(t);
    expect(findingWindowEnd('2001-04-01..2009-01-01', t)).toEqual(t); // computed before its window closed
  });
});

describe('export selection', () => {
  it('combines model, range and a repeatable hash sample', () => {
    const w = selectionWhere({ model: 'flights-delay@v1', since: '2001-05-01', until: '2001-06-01', sample: 0.25 });
    expect(w).toContain(`p.model_name = 'flights-delay' AND p.model_version = 'v1'`);
    expect(w).toContain(`p.time >= '2001-05-01T00:00:00.000Z'::TIMESTAMPTZ`);
    expect(w).toContain(`p.time < '2001-06-01T00:00:00.000Z'::TIMESTAMPTZ`);
    expect(w).toContain('(md5_number(p.id::VARCHAR) % 1000000) < 250000');
    expect(selectionWhere({})).toBe('true');
    expect(selectionWhere({ model: "o'brien" })).toBe(`p.model_name = 'o''brien'`);
  });
});
