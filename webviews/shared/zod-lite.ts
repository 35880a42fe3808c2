/**
 * What the webview bundles get for `import { z } from 'zod'` (esbuild.mjs resolves `zod` here for
 * the webview entries only; the protocol/ schemas themselves are unchanged and every message is
 * still parsed with them on arrival).
 *
 * Why: `z` of the `zod` package is a namespace re-export of all of zod classic, which esbuild
 * cannot shake: every panel carried zod's 40-odd locales, JSON Schema conversion and
 * `fromJSONSchema` (~450 KiB of each ~500–680 KiB bundle). Named imports shake down to the
 * schema constructors the protocol uses, with the same classic (chainable) API and the same
 * English messages. A constructor the protocol starts using must be added here: the webview
 * tests (test/webviews/zod-lite.test.ts) check every `z.<name>(` in protocol/ and webviews/.
 *
 * Also sets `jitless` (the webviews' CSP forbids `new Function`) before any schema is built.
 */
import {
  array, boolean, config, discriminatedUnion, enum as zEnum, json, literal, null as zNull, number, object, record, strictObject, string, tuple, union, unknown,
} from 'zod';

config({ jitless: true });

export const z = {
  array, boolean, config, discriminatedUnion, enum: zEnum, json, literal, null: zNull, number, object, record, strictObject, string, tuple, union, unknown,
};
export default z;
