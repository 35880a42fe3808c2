import { readFileSync, statSync } from 'node:fs';
import { z } from 'zod';
import { SightlineError } from '../../protocol';

/**
 * Faults `sightline serve --chaos` injects into serving, each on a declared share of traffic:
 *
 * | spec                         | effect                                                              | share of |
 * |------------------------------|---------------------------------------------------------------------|----------|
 * | `latency=50ms@0.1`           | waits 50 ms before inference (`latency=20-200ms` draws uniformly)    | requests |
 * | `drop@0.05`                  | refuses the request: 503 `chaos_dropped`, nothing logged             | requests |
 * | `flip@0.3`                   | flips the binary label, score → 1 − score                            | rows     |
 * | `noise=0.1@0.5`              | adds N(0, 0.1²) to the score, clipped to [0, 1] (not for regression) | rows     |
 * | `shift:distance=+500@0.2`    | changes a feature before inference: `+N`, `-N`, `*N`, or a value     | rows     |
 *
 * A spec may end in `,model=NAME` (or `name@version`, or a hash prefix) to touch one model only;
 * `@SHARE` is a fraction in [0, 1] or a percentage (`30%`), default 1. Every affected row is
 * marked in the `chaos` column of `predictions` (e.g. `flip`, `shift:distance=*1.5`).
 */
const Share = z.number().min(0).max(1);
const Model = z.string().min(1).max(300).optional();

export const ChaosFault = z.discriminatedUnion('fault', [
  z.object({ fault: z.literal('latency'), ms: z.number().min(0).max(60_000), max_ms: z.number().min(0).max(60_000).optional(), share: Share.default(1), model: Model }),
  z.object({ fault: z.literal('drop'), share: Share.default(1), model: Model }),
  z.object({ fault: z.literal('flip'), share: Share.default(1), model: Model }),
  z.object({ fault: z.literal('noise'), sigma: z.number().positive().max(1e6), share: Share.default(1), model: Model }),
  z.object({
    fault: z.literal('shift'),
    feature: z.string().min(1).max(200),
    op: z.enum(['add', 'mul', 'set']),
    value: z.union([z.number().finite(), z.string().max(1000)]),
    share: Share.default(1),
    model: Model,
  }),
]).superRefine((f, ctx) => {
  if (f.fault === 'latency' && f.max_ms !== undefined && f.max_ms < f.ms) ctx.addIssue({ code: 'custom', message: 'max_ms must be ≥ ms', path: ['max_ms'] });
  if (f.fault === 'shift' && f.op !== 'set' && typeof f.value !== 'number') ctx.addIssue({ code: 'custom', message: `op ${f.op} needs a number`, path: ['value'] });
});
export type ChaosFault = z.infer<typeof ChaosFault>;

/** The file form of `--chaos FILE.json`: a list of faults (strings or objects), or `{ seed?, faults }`. */
const ChaosFile = z.union([
  z.array(z.union([z.string(), z.unknown()])),
  z.object({ seed: z.number().int().optional(), faults: z.array(z.union([z.string(), z.unknown()])) }),
]);

export interface ChaosConfig {
  faults: ChaosFault[];
  /** From a chaos file; `--chaos-seed` overrides it. */
  seed?: number;
}

function bad(spec: string, why: string): SightlineError {
  return new SightlineError(
    'invalid_request',
    `--chaos ${JSON.stringify(spec)}: ${why}. Examples: latency=50ms@0.1, drop@0.05, flip@0.3, noise=0.1@0.5, shift:distance=+500@0.2, shift:distance=*1.5, shift:origin=ORD@0.1,model=flights-delay`,
  );
}

function parseShare(spec: string, text: string | undefined): number {
  if (text === undefined) return 1;
  const pct = text.endsWith('%');
  const n = Number(pct ? text.slice(0, -1) : text);
  if (text.trim() === '' || !Number.isFinite(n)) throw bad(spec, `share "${text}" is not a number`);
  const share = pct ? n / 100 : n;
  if (share < 0 || share > 1) throw bad(spec, `share ${text} is outside [0, 1]`);
  return share;
}

function parseMs(spec: string, text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s)?$/.exec(text.trim());
  if (!m) throw bad(spec, `latency "${text}" is not a duration like 50ms or 1.5s`);
  return Number(m[1]) * (m[2] === 's' ? 1000 : 1);
}

/** Parses one `--chaos` string into a fault (see the table above). */
export function parseChaosSpec(spec: string): ChaosFault {
  let body = spec.trim();
  let model: string | undefined;
  const scoped = /,\s*model=(.+)$/.exec(body);
  if (scoped) {
    model = scoped[1]!.trim();
    body = body.slice(0, scoped.index).trim();
  }
  const at = body.lastIndexOf('@');
  const share = parseShare(spec, at >= 0 ? body.slice(at + 1).trim() : undefined);
  const head = at >= 0 ? body.slice(0, at).trim() : body;
  const scope = model ? { model } : {};
  let fault: unknown;
  if (head.startsWith('shift:')) {
    const rest = head.slice('shift:'.length);
    const eq = rest.indexOf('=');
    if (eq <= 0) throw bad(spec, 'a shift needs FEATURE=CHANGE, e.g. shift:distance=+500');
    const feature = rest.slice(0, eq);
    const change = rest.slice(eq + 1);
    if (change === '') throw bad(spec, 'the shift has no change');
    const op = change[0] === '+' || change[0] === '-' ? 'add' : change[0] === '*' ? 'mul' : 'set';
    const num = Number(op === 'mul' ? change.slice(1) : change);
    if (op !== 'set' && (!Number.isFinite(num) || change.trim() === '')) throw bad(spec, `"${change}" is not a number`);
    const value = op === 'set' ? (change.trim() !== '' && Number.isFinite(Number(change)) ? Number(change) : change) : num;
    fault = { fault: 'shift', feature, op, value, share, ...scope };
  } else {
    const eq = head.indexOf('=');
    const kind = (eq >= 0 ? head.slice(0, eq) : head).trim();
    const arg = eq >= 0 ? head.slice(eq + 1).trim() : undefined;
    switch (kind) {
      case 'latency': {
        if (!arg) throw bad(spec, 'latency needs a duration, e.g. latency=50ms');
        const range = /^(\d+(?:\.\d+)?)-(\d+(?:\.\d+)?)(ms|s)?$/.exec(arg);
        fault = range
          ? { fault: 'latency', ms: parseMs(spec, range[1]! + (range[3] ?? '')), max_ms: parseMs(spec, range[2]! + (range[3] ?? '')), share, ...scope }
          : { fault: 'latency', ms: parseMs(spec, arg), share, ...scope };
        break;
      }
      case 'noise': {
        const sigma = Number(arg);
        if (!arg || !Number.isFinite(sigma)) throw bad(spec, 'noise needs a standard deviation, e.g. noise=0.1');
        fault = { fault: 'noise', sigma, share, ...scope };
        break;
      }
      case 'flip':
      case 'drop':
        if (arg !== undefined) throw bad(spec, `${kind} takes no value`);
        fault = { fault: kind, share, ...scope };
        break;
      default:
        throw bad(spec, `unknown fault "${kind}" (known: latency, drop, flip, noise, shift)`);
    }
  }
  const parsed = ChaosFault.safeParse(fault);
  if (!parsed.success) throw bad(spec, parsed.error.issues[0]?.message ?? 'invalid');
  return parsed.data;
}

/**
 * `--chaos` values: each is a spec string, or a `.json` file holding a list of specs (strings or
 * fault objects) or `{ "seed": 7, "faults": [...] }`.
 */
export function loadChaosConfig(values: string[]): ChaosConfig {
  const faults: ChaosFault[] = [];
  let seed: number | undefined;
  for (const v of values) {
    if (!/\.json$/i.test(v.trim())) {
      faults.push(parseChaosSpec(v));
      continue;
    }
    let json: unknown;
    try {
      if (!statSync(v).isFile()) throw new Error('not a regular file');
      json = JSON.parse(readFileSync(v, 'utf8'));
    } catch (err) {
      throw new SightlineError('bad_file', `--chaos ${v}: cannot read it as JSON (${err instanceof Error ? err.message : String(err)})`);
    }
    const file = ChaosFile.safeParse(json);
    if (!file.success) throw new SightlineError('bad_file', `--chaos ${v}: expected a list of faults or { "seed": N, "faults": [...] }`);
    const items = Array.isArray(file.data) ? file.data : file.data.faults;
    if (!Array.isArray(file.data) && file.data.seed !== undefined) seed = file.data.seed;
    items.forEach((item, i) => {
      if (typeof item === 'string') return void faults.push(parseChaosSpec(item));
      const parsed = ChaosFault.safeParse(item);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw new SightlineError('bad_file', `--chaos ${v}: fault ${i}${issue?.path.length ? ` at ${issue.path.join('.')}` : ''}: ${issue?.message ?? 'invalid'}`);
      }
      faults.push(parsed.data);
    });
  }
  return { faults, ...(seed !== undefined ? { seed } : {}) };
}

/** The canonical text of a fault: what `chaos` holds for the rows it touched. */
export function faultLabel(f: ChaosFault): string {
  switch (f.fault) {
    case 'latency': return `latency=${f.ms}${f.max_ms !== undefined ? `-${f.max_ms}` : ''}ms`;
    case 'drop': return 'drop';
    case 'flip': return 'flip';
    case 'noise': return `noise=${f.sigma}`;
    case 'shift': return `shift:${f.feature}=${f.op === 'add' ? (Number(f.value) >= 0 ? `+${f.value}` : String(f.value)) : f.op === 'mul' ? `*${f.value}` : String(f.value)}`;
  }
}

/** One line per fault for the daemon's log. */
export function describeFault(f: ChaosFault): string {
  const share = `${+(f.share * 100).toFixed(4)}% of ${f.fault === 'latency' || f.fault === 'drop' ? 'requests' : 'rows'}`;
  return `${faultLabel(f)} on ${share}${f.model ? ` of ${f.model}` : ''}`;
}
