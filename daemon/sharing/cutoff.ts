import { SightlineError } from '../../protocol';

const UNITS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 };

/** `30d`, `12h`, `2w`, `90m`, `45s` → milliseconds. */
export function parseDuration(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$/i.exec(text);
  if (!m) throw new SightlineError('invalid_request', `${JSON.stringify(text)} is not a duration; write e.g. 30d, 12h, 2w (units s, m, h, d, w)`);
  const ms = Number(m[1]) * UNITS[m[2]!.toLowerCase()]!;
  if (!(ms > 0)) throw new SightlineError('invalid_request', `the duration ${JSON.stringify(text)} must be positive`);
  return ms;
}

/** An ISO date or date-time; a bare date or a time without zone is UTC. */
export function parseInstant(text: string, what: string): Date {
  const hasZone = /(Z|[+-]\d{2}:?\d{2})$/i.test(text);
  const ms = Date.parse(hasZone ? text : `${text}${text.length <= 10 ? 'T00:00:00' : ''}Z`);
  if (!Number.isFinite(ms)) throw new SightlineError('invalid_request', `${what}: ${JSON.stringify(text)} is not an ISO date or time`);
  return new Date(ms);
}

/** The retention cutoff: exactly one of `older_than` (relative to `now`) or `before`. */
export function retentionCutoff(spec: { older_than?: string | undefined; before?: string | undefined }, now: Date = new Date()): Date {
  if ((spec.older_than === undefined) === (spec.before === undefined)) {
    throw new SightlineError('invalid_request', 'give exactly one of --older-than DURATION (e.g. 30d) or --before DATE');
  }
  if (spec.older_than !== undefined) return new Date(now.getTime() - parseDuration(spec.older_than));
  return parseInstant(spec.before!, '--before');
}

/**
 * The end of the window a finding was computed over: the `until` of its window description
 * ("2001-04-01..2001-05-01, flights-delay") when it has one, else the time the finding was made
 * (an unbounded window covers only data logged before then).
 */
export function findingWindowEnd(windowDesc: string | null, findingTime: Date): Date {
  const m = /(\S+)\.\.(\S+?)(?:,|$)/.exec(windowDesc ?? '');
  if (m && m[2] !== '…' && m[2] !== '...') {
    try {
      const until = parseInstant(m[2]!, 'window');
      return until.getTime() < findingTime.getTime() ? until : findingTime;
    } catch {
      /* not a time: fall back to the finding's time */
    }
  }
  return findingTime;
}
