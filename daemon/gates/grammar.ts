/**
 * The gate grammar (protocol/gates.ts): `identifier operator number`, nothing else. A hand-written
 * scanner, so no text of a gate ever reaches an evaluator of code.
 */
import type { Gate, GateOperator, GateSource } from '../../protocol';

export class GateSyntaxError extends Error {
  constructor(readonly expr: string, message: string) {
    super(message);
    this.name = 'GateSyntaxError';
  }
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*/;
const OPERATOR = /^(<=|>=|==|!=|<|>)/;
const NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/** Parses one gate; throws GateSyntaxError saying what is wrong and where. */
export function parseGate(text: string, source?: GateSource): Gate {
  const expr = text.trim();
  if (expr === '') throw new GateSyntaxError(text, 'empty gate');
  let rest = expr;
  const id = IDENT.exec(rest);
  if (!id) throw new GateSyntaxError(expr, `gate "${expr}" must start with a name (letters, digits, _), e.g. "flip_rate < 0.02"`);
  const identifier = id[0];
  rest = rest.slice(identifier.length).trimStart();
  const op = OPERATOR.exec(rest);
  if (!op) {
    const found = rest === '' ? 'nothing' : JSON.stringify(rest.slice(0, 10));
    throw new GateSyntaxError(expr, `gate "${expr}": expected one of < <= > >= == != after "${identifier}", found ${found}`);
  }
  rest = rest.slice(op[0].length).trim();
  if (!NUMBER.test(rest)) {
    throw new GateSyntaxError(expr, `gate "${expr}": the right-hand side must be a number (like 0.02, -0.005, 50, 1e-3), found ${rest === '' ? 'nothing' : JSON.stringify(rest.slice(0, 30))}`);
  }
  const value = Number(rest);
  if (!Number.isFinite(value)) throw new GateSyntaxError(expr, `gate "${expr}": ${rest} is not a finite number`);
  return { expr: `${identifier} ${op[0]} ${rest}`, identifier, op: op[0] as GateOperator, value, ...(source ? { source } : {}) };
}

/** Whether `left op right` holds. */
export function compare(left: number, op: GateOperator, right: number): boolean {
  switch (op) {
    case '<': return left < right;
    case '<=': return left <= right;
    case '>': return left > right;
    case '>=': return left >= right;
    case '==': return left === right;
    case '!=': return left !== right;
  }
}
