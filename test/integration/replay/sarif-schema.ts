/**
 * The official SARIF 2.1.0 JSON schema (sarif-2.1.0-rtm.5.json, vendored from the npm package
 * @microsoft/jest-sarif@1.0.0-beta.0, lib/schemas/, MIT license, sha256 2d99159a…de4f8; the final
 * 2.1.0 schema as published by OASIS/schemastore), compiled with ajv. The schema is draft-04;
 * it uses no draft-04-only keyword semantics (no boolean exclusiveMinimum), so renaming its `id`
 * to `$id` lets ajv's draft-07 validator run it unchanged.
 */
import Ajv from 'ajv';
import { readFileSync } from 'node:fs';
import path from 'node:path';

export function sarifValidator(): (doc: unknown) => { valid: boolean; errors: string[] } {
  const schema = JSON.parse(readFileSync(path.join(__dirname, 'sarif-2.1.0-rtm.5.json'), 'utf8')) as Record<string, unknown>;
  delete schema.$schema;
  schema.$id = schema.id;
  delete schema.id;
  // The schema's `language` pattern has a stray `]` that is invalid with the `u` flag (a known
  // defect of the published schema): patterns are compiled as the schema's authors ran them, without it.
  const ajv = new Ajv({ strict: false, allErrors: true, unicodeRegExp: false });
  ajv.addFormat('uri', (s: string) => /^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(s));
  ajv.addFormat('uri-reference', (s: string) => !/\s/.test(s));
  ajv.addFormat('date-time', (s: string) => !Number.isNaN(Date.parse(s)) && /^\d{4}-\d{2}-\d{2}T/.test(s));
  const validate = ajv.compile(schema);
  return (doc) => {
    const valid = validate(doc) as boolean;
    return { valid, errors: (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message ?? ''}`) };
  };
}
