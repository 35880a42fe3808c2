import { SightlineError, type Gate, type GateResult, type GateSpec } from '../../protocol';
import { compare, GateSyntaxError, parseGate } from './grammar';

/** Parses gate specs; a syntax error is bad input (exit 2). */
export function parseGates(specs: readonly GateSpec[]): Gate[] {
  return specs.map((s) => {
    try {
      return parseGate(s.expr, s.source);
    } catch (err) {
      if (err instanceof GateSyntaxError) throw new SightlineError('invalid_request', `${err.message}${where(s)}`, ['gates']);
      throw err;
    }
  });
}

/** Refuses gates on names the report does not define, listing the names it does. */
export function checkIdentifiers(gates: readonly Gate[], known: readonly string[], what: string): void {
  const set = new Set(known);
  for (const g of gates) {
    if (!set.has(g.identifier)) {
      const near = known.filter((k) => k.includes(g.identifier) || g.identifier.includes(k)).slice(0, 5);
      throw new SightlineError(
        'invalid_request',
        `gate "${g.expr}"${where(g)}: ${what} has no value named "${g.identifier}"${near.length ? ` (did you mean ${near.join(', ')}?)` : ''}. Known: ${known.join(', ')}`,
        ['gates'],
      );
    }
  }
}

/** Evaluates gates against named values; a value that could not be computed fails its gate. */
export function evaluateGates(gates: readonly Gate[], values: Readonly<Record<string, number | null>>): GateResult[] {
  return gates.map((g) => {
    const v = values[g.identifier];
    const source = g.source ? { source: g.source } : {};
    if (v === undefined || v === null || Number.isNaN(v)) {
      return { expr: g.expr, passed: false, value: null, message: `${g.identifier} could not be computed on this run (e.g. no labels, no baseline or too few rows), so the gate fails`, ...source };
    }
    const passed = compare(v, g.op, g.value);
    return {
      expr: g.expr,
      passed,
      value: v,
      ...(passed ? {} : { message: `${g.identifier} = ${formatValue(v)}, which is not ${g.op} ${g.value}` }),
      ...source,
    };
  });
}

export function formatValue(v: number): string {
  if (Number.isInteger(v)) return String(v);
  const abs = Math.abs(v);
  if (abs !== 0 && (abs < 1e-3 || abs >= 1e6)) return v.toExponential(3);
  return String(Number(v.toPrecision(5)));
}

function where(g: { source?: GateSpec['source'] }): string {
  const s = g.source;
  if (!s || !s.file) return '';
  return ` (${s.file}${s.line ? `:${s.line}` : ''})`;
}
