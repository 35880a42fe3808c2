import { z } from 'zod';

/**
 * Gates: declarative pass/fail conditions on the named values of a replay, evaluation or
 * comparison report, fixed before the run (`--gate`, `--gates FILE`, or the `gates` key of a
 * committed `sightline.json`).
 *
 * Grammar (no evaluation of code, ever):
 *
 *   gate       := identifier operator number
 *   identifier := [A-Za-z_][A-Za-z0-9_]*         a named value of the report (`flip_rate`, `auc_delta`, …)
 *   operator   := < | <= | > | >= | == | !=
 *   number     := [+-]? digits [. digits] [e [+-] digits]   (also `.5`, `5.`)
 *
 * Whitespace between the parts is optional. An identifier the report does not define is a
 * bad-input error (exit 2) that lists the known ones; a value the run could not compute (no
 * labels, so no `auc_delta`) makes the gate fail with a message.
 */

export const GateOperator = z.enum(['<', '<=', '>', '>=', '==', '!=']);
export type GateOperator = z.infer<typeof GateOperator>;

/** Where a gate was declared (SARIF points failed gates at the declaring line when known). */
export const GateSource = z.object({
  kind: z.enum(['flag', 'file', 'config', 'request']),
  /** The gates file or sightline.json (absolute path); null for flags and API requests. */
  file: z.string().nullable(),
  /** 1-based line of the gate in that file, when found. */
  line: z.number().int().positive().nullable(),
});
export type GateSource = z.infer<typeof GateSource>;

/** A gate as a request carries it: its text and, optionally, where it was declared. */
export const GateSpec = z.object({
  expr: z.string().min(1).max(500),
  source: GateSource.optional(),
});
export type GateSpec = z.infer<typeof GateSpec>;

/** A parsed gate. */
export const Gate = z.object({
  expr: z.string(),
  identifier: z.string(),
  op: GateOperator,
  value: z.number(),
  source: GateSource.optional(),
});
export type Gate = z.infer<typeof Gate>;

/**
 * The `gates` key of sightline.json, or the content of a `--gates FILE` (JSON; a plain-text file
 * with one gate per line and `#` comments is accepted too): one list for every command, or one
 * list per command.
 */
export const GatesConfig = z.union([
  z.array(z.string().min(1).max(500)),
  z.object({
    replay: z.array(z.string().min(1).max(500)).optional(),
    eval: z.array(z.string().min(1).max(500)).optional(),
    compare: z.array(z.string().min(1).max(500)).optional(),
  }).strict(),
]);
export type GatesConfig = z.infer<typeof GatesConfig>;
