/**
 * The robustness corpus: ≥ 200 bad inputs for the daemon's HTTP and WebSocket fronts and for the
 * CLI, each with the typed error it must get. `generateCorpus(dir, ctx)` writes the file-shaped
 * cases (corrupt ONNX and DuckDB files, malformed CSV/Parquet/JSONL, pipes, hostile names) into
 * `dir` and returns every case; test/integration/robustness/corpus.test.ts runs them against a
 * real daemon and the built CLI. Deterministic: the same inputs every run (a seeded generator
 * for the random bytes), so a failure names a case that can be rerun.
 *
 * Categories (the test prints the count of each): malformed-json, wrong-shape, wrong-dtype,
 * nan-inf, huge-number, oversize, deep-nesting, unknown-model, hostile-name, hostile-path,
 * corrupt-onnx, corrupt-duckdb, malformed-tabular, http-framing, websocket.
 */
import { DuckDBInstance } from '@duckdb/node-api';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ErrorCode, FeatureRecord } from '../../protocol';
import { TRACE_SCHEMA_VERSION } from '../../protocol';
import { SCHEMA_V1 } from '../../daemon/store/schema';

export type Category =
  | 'malformed-json' | 'wrong-shape' | 'wrong-dtype' | 'nan-inf' | 'huge-number' | 'oversize' | 'deep-nesting'
  | 'unknown-model' | 'hostile-name' | 'hostile-path' | 'corrupt-onnx' | 'corrupt-duckdb' | 'malformed-tabular'
  | 'http-framing' | 'websocket';

interface Base {
  category: Category;
  name: string;
  /** Codes that are a correct answer (usually one). */
  expect: ErrorCode[];
}

/** A request to the daemon, framed correctly (fetch); the body is sent verbatim. */
export interface HttpCase extends Base {
  kind: 'http';
  method: string;
  route: string;
  body?: string | Buffer;
  headers?: Record<string, string>;
}

/** Raw bytes on a fresh TCP connection (bad framing, headers fetch will not send). */
export interface RawCase extends Base {
  kind: 'raw';
  bytes: (port: number, token: string) => Buffer;
}

/** One frame on an authenticated WebSocket; `close` is the close code the protocol answers with instead of an error message. */
export interface WsCase extends Omit<Base, 'expect'> {
  kind: 'ws';
  frame: string | Buffer;
  binary?: boolean;
  expect: ErrorCode[] | { close: number };
}

/**
 * A CLI run that must exit 2 with `sightline: … [code]`; or, for a gate command refusing what it
 * was asked to check (`sightline validate` on a model that does not load), exit 1 with a report
 * line matching `report`.
 */
export interface CliCase extends Base {
  kind: 'cli';
  args: string[];
  gate?: { report: RegExp };
}

export type CorpusCase = HttpCase | RawCase | WsCase | CliCase;

export interface CorpusContext {
  /** A valid predict record of the served model. */
  record: FeatureRecord;
  /** The served model's name. */
  model: string;
  /** A valid .onnx file (corrupted copies are derived from it). */
  onnx: string;
  /** A valid Parquet file (train-v1), for corrupted copies. */
  parquet: string;
  /** The --max-body the daemon runs with. */
  maxBody: number;
}

/** mulberry32: deterministic bytes for the "random garbage" files. */
function bytes(seed: number, n: number): Buffer {
  let s = seed >>> 0;
  const out = Buffer.alloc(n);
  for (let i = 0; i < n; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = ((t ^ (t >>> 14)) >>> 0) & 0xff;
  }
  return out;
}

function flipBits(buf: Buffer, seed: number, count: number, from = 0, to = buf.length): Buffer {
  const out = Buffer.from(buf);
  const r = bytes(seed, count * 5);
  for (let i = 0; i < count; i++) {
    const pos = from + (r.readUInt32LE(i * 4 % (r.length - 4)) % Math.max(1, to - from));
    out[pos] = out[pos]! ^ (1 << (r[i * 5 + 4]! % 8));
  }
  return out;
}

/** A small but real trace (the current schema, a few rows), written with DuckDB directly. */
export async function writeRealTrace(file: string, opts: { views?: string[]; macros?: string[]; version?: string; drop?: string[] } = {}): Promise<void> {
  const db = await DuckDBInstance.create(file);
  const c = await db.connect();
  try {
    for (const ddl of SCHEMA_V1) await c.run(ddl);
    await c.run(`INSERT INTO meta VALUES ('schema_version', '${opts.version ?? String(TRACE_SCHEMA_VERSION)}')`);
    await c.run(`INSERT INTO models (id, name, version, inputs, outputs, card) VALUES ('m1', 'm', '1', '[]', '[]', '{"name":"m","version":"1","features":[{"name":"x","kind":"numeric"}]}')`);
    await c.run(`ALTER TABLE predictions ADD COLUMN f_1 DOUBLE`);
    await c.run(`INSERT INTO feature_columns VALUES ('x', 'numeric', 'f_1')`);
    await c.run(`INSERT INTO predictions (id, time, model_id, model_name, model_version, source, score, f_1) SELECT uuid(), now() - INTERVAL (i) MINUTE, 'm1', 'm', '1', 'served', (i % 10) / 10.0, i FROM range(200) t(i)`);
    await c.run(`CREATE TABLE baseline__ref AS SELECT i::DOUBLE AS x FROM range(200) t(i)`);
    await c.run(`INSERT INTO baselines (name, source, table_name, rows, profile) VALUES ('ref', 'gen', 'baseline__ref', 200, '{"row_count":200,"features":[{"name":"x","kind":"numeric"}]}')`);
    for (const t of opts.drop ?? []) await c.run(`DROP TABLE ${t}`);
    for (const v of opts.views ?? []) await c.run(v);
    for (const m of opts.macros ?? []) await c.run(m);
    await c.run('CHECKPOINT');
  } finally {
    c.closeSync();
    db.closeSync();
  }
}

export async function generateCorpus(dir: string, ctx: CorpusContext): Promise<CorpusCase[]> {
  mkdirSync(dir, { recursive: true });
  const f = (name: string): string => path.join(dir, name);
  const cases: CorpusCase[] = [];
  const good = ctx.record;
  const numeric = Object.keys(good).find((k) => typeof good[k] === 'number')!;
  const categorical = Object.keys(good).find((k) => typeof good[k] === 'string')!;
  const predict = (body: unknown): string => JSON.stringify(body);
  const valid = predict({ model: ctx.model, records: [good, good] });

  const http = (category: Category, name: string, route: string, body: string | Buffer | undefined, expect: ErrorCode[], method = 'POST', headers?: Record<string, string>): void => {
    cases.push({ kind: 'http', category, name, method, route, ...(body !== undefined ? { body } : {}), expect, ...(headers ? { headers } : {}) });
  };
  const cli = (category: Category, name: string, args: string[], expect: ErrorCode[]): void => {
    cases.push({ kind: 'cli', category, name, args, expect });
  };
  const ws = (category: Category, name: string, frame: string | Buffer, expect: WsCase['expect'], binary = false): void => {
    cases.push({ kind: 'ws', category, name, frame, expect, ...(binary ? { binary } : {}) });
  };

  // ── malformed JSON ───────────────────────────────────────────────────────────────────────
  for (const cut of [1, 2, 10, 25, 50, 75, 90, 99]) {
    http('malformed-json', `predict body truncated at ${cut}%`, '/v1/predict', valid.slice(0, Math.floor((valid.length * cut) / 100)), ['bad_json']);
  }
  const mj: [string, string, string][] = [
    ['/v1/predict', 'empty body', ''],
    ['/v1/predict', 'whitespace only', ' \n\t '],
    ['/v1/predict', 'trailing garbage', `${valid}x`],
    ['/v1/predict', 'two objects', `${valid}${valid}`],
    ['/v1/predict', 'single quotes', valid.replace(/"/g, "'")],
    ['/v1/predict', 'unquoted keys', valid.replace(/"(\w+)":/g, '$1:')],
    ['/v1/predict', 'trailing comma', valid.replace(/}$/, ',}')],
    ['/v1/predict', 'a // comment', `// predict\n${valid}`],
    ['/v1/predict', 'byte-order mark', `\uFEFF${valid}`],
    ['/v1/predict', 'raw control character in a string', valid.replace(`"${ctx.model}"`, `"${ctx.model}\u0001"`)],
    ['/v1/predict', 'unterminated string', `{"model": "${'x'.repeat(500)}`],
    ['/v1/predict', 'form encoding', `model=${ctx.model}&records=1`],
    ['/v1/labels', 'labels: truncated', '{"labels": [{"join_key": "k", "value": 1}'],
    ['/v1/predictions', 'log predictions: truncated', '{"model": {"name": "x", "version": "1"}, "predictions": [{"features": {'],
    ['/v1/models', 'model load: truncated', '{"path": "/tmp/m.onnx'],
    ['/v1/runs', 'lineage run: truncated', '{"component": "train", "start": "2024-01-01T00:00:00Z"'],
    ['/v1/drift', 'drift: not JSON', 'baseline=train-v1'],
  ];
  for (const [route, name, body] of mj) http('malformed-json', name, route, body, ['bad_json']);
  http('malformed-json', 'invalid UTF-8 bytes', '/v1/predict', Buffer.concat([Buffer.from('{"model": "'), Buffer.from([0xff, 0xfe, 0xc0]), Buffer.from(`", "records": [${JSON.stringify(good)}]}`)]), ['unknown_model']);
  http('malformed-json', 'UTF-16 encoded body', '/v1/predict', Buffer.from(valid, 'utf16le'), ['bad_json']);
  for (const [name, body] of [['null', 'null'], ['an array', '[]'], ['a string', '"predict"'], ['a number', '42'], ['true', 'true']] as const) {
    http('malformed-json', `valid JSON but ${name}`, '/v1/predict', body, ['invalid_request']);
  }

  // ── wrong shapes ─────────────────────────────────────────────────────────────────────────
  const shapes: [string, unknown, ErrorCode][] = [
    ['records is an object', { model: ctx.model, records: good }, 'invalid_request'],
    ['records is a string', { model: ctx.model, records: 'all' }, 'invalid_request'],
    ['records holds arrays', { model: ctx.model, records: [Object.values(good)] }, 'invalid_request'],
    ['records holds null', { model: ctx.model, records: [null] }, 'invalid_request'],
    ['records is empty', { model: ctx.model, records: [] }, 'invalid_request'],
    ['model is a number', { model: 7, records: [good] }, 'invalid_request'],
    ['model is empty', { model: '', records: [good] }, 'invalid_request'],
    ['model is an object', { model: { name: ctx.model }, records: [good] }, 'invalid_request'],
    ['records and tensors', { model: ctx.model, records: [good], tensors: {} }, 'invalid_request'],
    ['neither records nor tensors', { model: ctx.model }, 'invalid_request'],
    ['join_keys shorter than records', { model: ctx.model, records: [good, good], join_keys: ['a'] }, 'bad_shape'],
    ['attributes longer than records', { model: ctx.model, records: [good], attributes: [{}, {}] }, 'bad_shape'],
    ['times of the wrong length', { model: ctx.model, records: [good], times: ['2024-01-01T00:00:00Z', '2024-01-01T00:00:00Z'] }, 'bad_shape'],
    ['raw of the wrong length', { model: ctx.model, records: [good], raw: [] }, 'bad_shape'],
    ['times that are not ISO', { model: ctx.model, records: [good], times: ['yesterday'] }, 'invalid_request'],
    ['join_keys holds numbers', { model: ctx.model, records: [good], join_keys: [1] }, 'invalid_request'],
    ['a missing feature', { model: ctx.model, records: [{ ...good, [numeric]: undefined }] }, 'missing_feature'],
    ['an empty record', { model: ctx.model, records: [{}] }, 'missing_feature'],
    ['tensors: one input only, its data not matching its dims', { model: ctx.model, tensors: { [numeric]: { type: 'float32', dims: [2, 1], data: [1, 2, 3] } } }, 'bad_shape'],
    ['tensors: one input only', { model: ctx.model, tensors: { [numeric]: { type: 'float32', dims: [1, 1], data: [1] } } }, 'missing_feature'],
    ['tensors: more than 8 dims', { model: ctx.model, tensors: { x: { type: 'float32', dims: [1, 1, 1, 1, 1, 1, 1, 1, 1], data: [1] } } }, 'invalid_request'],
    ['tensors: negative dim', { model: ctx.model, tensors: { x: { type: 'float32', dims: [-1], data: [] } } }, 'invalid_request'],
    ['tensors: unknown element type', { model: ctx.model, tensors: { x: { type: 'float16', dims: [1], data: [1] } } }, 'invalid_request'],
    ['tensors: nested data', { model: ctx.model, tensors: { x: { type: 'float32', dims: [1], data: [[1]] } } }, 'invalid_request'],
  ];
  for (const [name, body, code] of shapes) http('wrong-shape', `predict: ${name}`, '/v1/predict', predict(body), [code]);
  // Raw tensors with every input present but mismatched dims: bad_shape at the tensor.
  const tensors = Object.fromEntries(Object.entries(good).map(([k, v]) => [k, typeof v === 'number' ? { type: 'float32', dims: [1, 1], data: [v] } : { type: 'string', dims: [1, 1], data: [v] }]));
  http('wrong-shape', 'predict: a tensor with 3 values for dims [2,1]', '/v1/predict', predict({ model: ctx.model, tensors: { ...tensors, [numeric]: { type: 'float32', dims: [2, 1], data: [1, 2, 3] } } }), ['bad_shape']);
  http('wrong-shape', 'predict: a tensor missing', '/v1/predict', predict({ model: ctx.model, tensors: Object.fromEntries(Object.entries(tensors).slice(1)) }), ['missing_feature']);
  http('wrong-shape', 'predict: tensors of different batch sizes', '/v1/predict', predict({ model: ctx.model, tensors: { ...tensors, [numeric]: { type: 'float32', dims: [2, 1], data: [1, 2] } } }), ['inference_failed']);
  const otherShapes: [string, string, unknown, ErrorCode][] = [
    ['/v1/labels', 'labels is empty', { labels: [] }, 'invalid_request'],
    ['/v1/labels', 'a label without prediction_id or join_key', { labels: [{ value: 1 }] }, 'invalid_request'],
    ['/v1/labels', 'a label whose value is an object', { labels: [{ join_key: 'k', value: { y: 1 } }] }, 'invalid_request'],
    ['/v1/labels', 'a prediction_id that is not a UUID', { labels: [{ prediction_id: 'p-1', value: 1 }] }, 'bad_value'],
    ['/v1/predictions', 'no predictions', { model: { name: 'x', version: '1' }, predictions: [] }, 'invalid_request'],
    ['/v1/predictions', 'a prediction without features', { model: { name: 'x', version: '1' }, predictions: [{ score: 1 }] }, 'invalid_request'],
    ['/v1/predictions', 'a model without a version', { model: { name: 'x' }, predictions: [{ features: {} }] }, 'invalid_request'],
    ['/v1/predictions', 'a feature that is numeric and text', { model: { name: 'x', version: '1' }, predictions: [{ features: { a: 1 } }, { features: { a: 'one' } }] }, 'bad_value'],
    ['/v1/predictions', 'an id that is not a UUID', { model: { name: 'x', version: '1' }, predictions: [{ id: 'nope', features: {} }] }, 'bad_value'],
    ['/v1/models', 'a model load without a path', { make_default: true }, 'invalid_request'],
    ['/v1/models', 'an unknown provider', { path: ctx.onnx, provider: 'tpu' }, 'invalid_request'],
    ['/v1/runs', 'a run without a start', { component: 'train' }, 'invalid_request'],
    ['/v1/runs', 'a run with a bad content hash', { component: 'train', start: '2024-01-01T00:00:00Z', inputs: [{ name: 'a', content_hash: 'xyz' }] }, 'invalid_request'],
    ['/v1/flags', 'flags with no ids', { ids: [] }, 'invalid_request'],
    ['/v1/drift', 'drift without a baseline', { window: {} }, 'invalid_request'],
  ];
  for (const [route, name, body, code] of otherShapes) http('wrong-shape', `${route}: ${name}`, route, JSON.stringify(body), [code]);

  // ── wrong dtypes ─────────────────────────────────────────────────────────────────────────
  const dtypes: [string, unknown, ErrorCode][] = [
    ['a word for a numeric feature', 'far', 'bad_value'],
    ['a numeric string for a numeric feature', '12', 'bad_value'],
    ['an empty string for a numeric feature', '', 'bad_value'],
    ['an array for a numeric feature', [1, 2], 'invalid_request'],
    ['an object for a numeric feature', { v: 1 }, 'invalid_request'],
    ['null for a numeric feature', null, 'missing_feature'],
  ];
  for (const [name, v, code] of dtypes) http('wrong-dtype', `predict: ${name}`, '/v1/predict', predict({ model: ctx.model, records: [good, { ...good, [numeric]: v }] }), [code]);
  for (const [name, v, code] of [['an array for a categorical feature', ['a'], 'invalid_request'], ['an object for a categorical feature', {}, 'invalid_request'], ['null for a categorical feature', null, 'missing_feature']] as const) {
    http('wrong-dtype', `predict: ${name}`, '/v1/predict', predict({ model: ctx.model, records: [{ ...good, [categorical]: v }] }), [code as ErrorCode]);
  }
  http('wrong-dtype', 'predict: a string tensor for a float input', '/v1/predict', predict({ model: ctx.model, tensors: { ...tensors, [numeric]: { type: 'float32', dims: [1, 1], data: ['x'] } } }), ['bad_value']);
  http('wrong-dtype', 'predict: a float tensor for a string input', '/v1/predict', predict({ model: ctx.model, tensors: { ...tensors, [categorical]: { type: 'float32', dims: [1, 1], data: [1] } } }), ['inference_failed']);
  http('wrong-dtype', 'predict: request_id is a number', '/v1/predict', predict({ model: ctx.model, records: [good], request_id: 5 }), ['invalid_request']);
  http('wrong-dtype', 'predict: durable is a string', '/v1/predict', predict({ model: ctx.model, records: [good], durable: 'yes' }), ['invalid_request']);
  http('wrong-dtype', 'labels: value is an array', '/v1/labels', JSON.stringify({ labels: [{ join_key: 'k', value: [1] }] }), ['invalid_request']);
  http('wrong-dtype', 'log predictions: score is a string', '/v1/predictions', JSON.stringify({ model: { name: 'x', version: '1' }, predictions: [{ features: {}, score: 'high' }] }), ['invalid_request']);
  http('wrong-dtype', 'log predictions: latency is negative', '/v1/predictions', JSON.stringify({ model: { name: 'x', version: '1' }, predictions: [{ features: {}, latency_ms: -1 }] }), ['invalid_request']);
  http('wrong-dtype', 'model load: make_default is a number', '/v1/models', JSON.stringify({ path: ctx.onnx, make_default: 1 }), ['invalid_request']);

  // ── NaN and Infinity ─────────────────────────────────────────────────────────────────────
  // A numeric placeholder in a valid body, replaced by literal text that JSON.stringify cannot write.
  const withLiteral = (lit: string, build: (n: number) => unknown = (n) => ({ model: ctx.model, records: [{ ...good, [numeric]: n }] })): string => JSON.stringify(build(123456.789)).replace('123456.789', lit);
  for (const token of ['NaN', 'Infinity', '-Infinity', '+1', '0x10', '.5', '1.', '01']) {
    http('nan-inf', `predict: bare ${token} (not JSON)`, '/v1/predict', withLiteral(token), ['bad_json']);
  }
  for (const s of ['NaN', 'Infinity', '-Infinity', 'inf', '1e999']) {
    http('nan-inf', `predict: "${s}" as a string`, '/v1/predict', predict({ model: ctx.model, records: [{ ...good, [numeric]: s }] }), ['bad_value']);
  }
  http('nan-inf', 'predict: 1e400 (parses to Infinity)', '/v1/predict', withLiteral('1e400'), ['invalid_request', 'bad_value']);
  http('nan-inf', 'predict: -1e400', '/v1/predict', withLiteral('-1e400'), ['invalid_request', 'bad_value']);
  http('nan-inf', 'labels: value 1e400', '/v1/labels', '{"labels": [{"join_key": "k", "value": 1e400}]}', ['invalid_request', 'bad_value']);
  http('nan-inf', 'log predictions: feature 1e400', '/v1/predictions', '{"model": {"name": "x", "version": "1"}, "predictions": [{"features": {"a": 1e400}}]}', ['invalid_request', 'bad_value']);
  http('nan-inf', 'log predictions: score -1e400', '/v1/predictions', '{"model": {"name": "x", "version": "1"}, "predictions": [{"features": {}, "score": -1e400}]}', ['invalid_request', 'bad_value']);
  http('nan-inf', 'predict: tensor value 1e400', '/v1/predict', withLiteral('1e400', (n) => ({ model: ctx.model, tensors: { ...tensors, [numeric]: { type: 'float32', dims: [1, 1], data: [n] } } })), ['invalid_request', 'bad_value']);

  // ── huge numbers ─────────────────────────────────────────────────────────────────────────
  http('huge-number', 'predict: 1e39 for a float32 feature', '/v1/predict', predict({ model: ctx.model, records: [{ ...good, [numeric]: 1e39 }] }), ['bad_value']);
  http('huge-number', 'predict: -1.7e308', '/v1/predict', predict({ model: ctx.model, records: [{ ...good, [numeric]: -1.7e308 }] }), ['bad_value']);
  http('huge-number', 'predict: a 400-digit integer', '/v1/predict', withLiteral(`9${'0'.repeat(400)}`), ['invalid_request', 'bad_value']);
  http('huge-number', 'predict: dims [1e10, 1]', '/v1/predict', predict({ model: ctx.model, tensors: { ...tensors, [numeric]: { type: 'float32', dims: [1e10, 1], data: [1] } } }), ['bad_shape']);
  http('huge-number', 'predict: dims [2^53, 2^53]', '/v1/predict', predict({ model: ctx.model, tensors: { ...tensors, [numeric]: { type: 'float32', dims: [2 ** 53, 2 ** 53], data: [] } } }), ['invalid_request']);
  http('huge-number', 'predict: dims [2^26, 2^26] (product past 2^52)', '/v1/predict', predict({ model: ctx.model, tensors: { ...tensors, [numeric]: { type: 'float32', dims: [2 ** 26, 2 ** 26], data: [] } } }), ['bad_shape']);
  http('huge-number', 'predict: request_id of 201 characters', '/v1/predict', predict({ model: ctx.model, records: [good], request_id: 'r'.repeat(201) }), ['invalid_request']);
  http('huge-number', 'predict: model ref of 301 characters', '/v1/predict', predict({ model: 'm'.repeat(301), records: [good] }), ['invalid_request']);
  http('huge-number', 'labels: a time past year 275760', '/v1/labels', JSON.stringify({ labels: [{ join_key: 'k', value: 1, time: '+275760-09-13T00:00:00.001Z' }] }), ['invalid_request', 'bad_value']);
  http('huge-number', 'log predictions: time in year 9999999', '/v1/predictions', JSON.stringify({ model: { name: 'x', version: '1' }, predictions: [{ features: {}, time: '9999999-01-01T00:00:00Z' }] }), ['invalid_request', 'bad_value']);
  http('huge-number', 'review: limit 1e9', '/v1/review', JSON.stringify({ limit: 1e9 }), ['invalid_request']);

  // ── oversize ─────────────────────────────────────────────────────────────────────────────
  const big = predict({ model: ctx.model, records: Array.from({ length: Math.ceil((ctx.maxBody * 2) / JSON.stringify(good).length) }, () => good) });
  http('oversize', 'predict: twice --max-body', '/v1/predict', big, ['payload_too_large']);
  http('oversize', 'predict: a model name of --max-body bytes', '/v1/predict', predict({ model: 'm'.repeat(ctx.maxBody), records: [good] }), ['payload_too_large']);
  http('oversize', 'labels: past --max-body', '/v1/labels', JSON.stringify({ labels: Array.from({ length: Math.ceil(ctx.maxBody / 30) + 10 }, (_, i) => ({ join_key: `k${i}`, value: 1 })) }), ['payload_too_large']);
  http('oversize', 'runs: a notes field past --max-body', '/v1/runs', JSON.stringify({ component: 'c', start: '2024-01-01T00:00:00Z', notes: 'n'.repeat(ctx.maxBody + 1) }), ['payload_too_large']);

  // ── deep nesting ─────────────────────────────────────────────────────────────────────────
  const depthCap = Math.floor((ctx.maxBody - 200) / 2);
  for (const depth of [1000, 10_000, depthCap]) {
    http('deep-nesting', `predict: a feature nested ${depth} arrays deep`, '/v1/predict', `{"model": "${ctx.model}", "records": [{"${numeric}": ${'['.repeat(depth)}${']'.repeat(depth)}}]}`, ['invalid_request']);
    http('deep-nesting', `a body nested ${depth} arrays deep`, '/v1/predict', `${'['.repeat(depth)}${']'.repeat(depth)}`, ['invalid_request']);
  }
  http('deep-nesting', 'runs: params nested 5000 objects deep', '/v1/runs', JSON.stringify({ component: 'c', start: '2024-01-01T00:00:00Z' }).replace(/}$/, `, "params": {"p": ${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}}}`), ['invalid_request']);
  http('deep-nesting', 'predict: an unclosed nest of 50 000', '/v1/predict', '['.repeat(50_000), ['bad_json']);

  // ── unknown models ───────────────────────────────────────────────────────────────────────
  for (const ref of ['no-such-model', `${ctx.model}@v999`, `${ctx.model}@`, '@v1', ` ${ctx.model}`, 'deadbeefdeadbeef', '../../etc/passwd', '%00', 'modèle-ünïcødé-🚀', `${ctx.model}\u0000`]) {
    http('unknown-model', `predict on ${JSON.stringify(ref)}`, '/v1/predict', predict({ model: ref, records: [good] }), ['unknown_model']);
  }
  http('unknown-model', 'unload an unknown model', `/v1/models/no-such-model`, undefined, ['unknown_model'], 'DELETE');
  http('unknown-model', 'unload a traversal path', `/v1/models/..%2F..%2Fetc%2Fpasswd`, undefined, ['unknown_model'], 'DELETE');
  http('unknown-model', 'unload with broken percent-encoding', `/v1/models/%E0%A4%A`, undefined, ['invalid_request'], 'DELETE');
  http('unknown-model', 'drift on an unknown model', '/v1/drift', JSON.stringify({ baseline: 'ref', window: { model: 'no-such-model' } }), ['not_found', 'unknown_model', 'invalid_request']);

  // ── hostile feature names (the model does not have them: refused, never reach SQL) ───────
  const hostile = [
    '"; DROP TABLE predictions; --', "' OR '1'='1", 'x"); COPY predictions TO \'/tmp/pwned.csv\'; --', '../../etc/passwd', '..\\..\\windows\\win.ini',
    'a\u0000b', '\u0000', '', ' ', '\n', '\u202eevil', '🔥'.repeat(50), 'x'.repeat(10_000), '${7*7}', '%s%s%n', '<script>alert(1)</script>',
    'f_1', 'chaos', 'id', 'constructor', 'toString', 'hasOwnProperty',
  ];
  for (const name of hostile) {
    http('hostile-name', `predict with feature ${JSON.stringify(name.slice(0, 40))}`, '/v1/predict', predict({ model: ctx.model, records: [{ ...good, [name]: 1 }] }), ['unknown_feature']);
  }
  http('hostile-name', 'predict: hostile tensor name', '/v1/predict', predict({ model: ctx.model, tensors: { ...tensors, '"; DROP TABLE models; --': { type: 'float32', dims: [1, 1], data: [1] } } }), ['unknown_feature']);
  // Found by the protocol fuzzer (they answered 500 internal): NUL in names that reach SQL, and lone surrogates.
  http('hostile-name', 'predict: an attribute named with a NUL', '/v1/predict', predict({ model: ctx.model, records: [good], attributes: [{ 'tier\u0000x': 'gold' }] }), ['bad_value']);
  http('hostile-name', 'log predictions: a model name with a NUL', '/v1/predictions', JSON.stringify({ model: { name: 'm\u0000', version: '1' }, predictions: [{ features: { a: 1 } }] }), ['bad_value']);
  http('hostile-name', 'log predictions: a feature name of 201 characters', '/v1/predictions', JSON.stringify({ model: { name: 'm', version: '1' }, predictions: [{ features: { ['f'.repeat(201)]: 1 } }] }), ['bad_value']);
  http('hostile-name', 'log predictions: a version of 101 characters', '/v1/predictions', JSON.stringify({ model: { name: 'm', version: 'v'.repeat(101) }, predictions: [{ features: { a: 1 } }] }), ['invalid_request']);
  http('hostile-name', 'runs: a component with a NUL', '/v1/runs', JSON.stringify({ component: 'train\u0000', start: '2024-01-01T00:00:00Z' }), ['bad_value']);
  http('malformed-json', 'runs: params with a lone surrogate escape', '/v1/runs', '{"component": "train", "start": "2024-01-01T00:00:00Z", "params": {"p": "\\ud800"}}', ['bad_json']);
  http('malformed-json', 'predict: a key with a lone low surrogate', '/v1/predict', `{"model": "${ctx.model}", "records": [{"\\udc00": 1}]}`, ['bad_json']);
  http('hostile-name', 'baseline named with a path', '/v1/baselines', JSON.stringify({ name: '../../etc/passwd', file: ctx.parquet }), ['invalid_request']);
  http('hostile-name', 'baseline named with SQL', '/v1/baselines', JSON.stringify({ name: 'x"; DROP TABLE baselines; --', file: ctx.parquet }), ['invalid_request']);
  http('hostile-name', 'drift against a baseline named with SQL', '/v1/drift', JSON.stringify({ baseline: "x' OR '1'='1" }), ['not_found', 'invalid_request']);

  // ── hostile paths (model loads) ──────────────────────────────────────────────────────────
  writeFileSync(f('not-a-model.txt'), 'hello\n');
  execFileSync('mkfifo', [f('fifo.onnx')]);
  symlinkSync('/dev/zero', f('zero.onnx'));
  const paths: [string, string][] = [
    ['../../../../../../etc/passwd', 'traversal to /etc/passwd'],
    ['/etc/passwd', '/etc/passwd'],
    ['/dev/zero', '/dev/zero (endless)'],
    ['/dev/urandom', '/dev/urandom (endless)'],
    [f('fifo.onnx'), 'a FIFO (would block)'],
    [f('zero.onnx'), 'a symlink to /dev/zero'],
    ['/proc/self/environ', '/proc/self/environ'],
    ['/', 'the root folder'],
    [dir, 'a folder'],
    [f('does-not-exist.onnx'), 'a missing file'],
    ['file:///etc/passwd', 'a file: URL'],
    ['http://127.0.0.1:1/model.onnx', 'an http URL'],
    ['model\u0000.onnx', 'a NUL in the path'],
    [f('not-a-model.txt'), 'a text file'],
  ];
  for (const [p, name] of paths) http('hostile-path', `load ${name}`, '/v1/models', JSON.stringify({ path: p }), ['model_load_failed']);
  http('hostile-path', 'baseline from /dev/zero', '/v1/baselines', JSON.stringify({ name: 'zero', file: '/dev/zero' }), ['bad_file']);
  http('hostile-path', 'baseline from a FIFO', '/v1/baselines', JSON.stringify({ name: 'fifo', file: f('fifo.csv') }), ['bad_file']);
  execFileSync('mkfifo', [f('fifo.csv')]);
  http('hostile-path', 'baseline from a missing file', '/v1/baselines', JSON.stringify({ name: 'gone', file: f('gone.parquet') }), ['bad_file']);
  http('hostile-path', 'baseline from a file with a quote in its name', '/v1/baselines', JSON.stringify({ name: 'quote', file: f("it's.parquet") }), ['bad_file']);

  // ── corrupt ONNX (POST /v1/models and serve --model) ─────────────────────────────────────
  const onnx = readFileSync(ctx.onnx);
  const corrupt: [string, Buffer][] = [
    ['empty', Buffer.alloc(0)],
    ['one byte', Buffer.from([0x08])],
    ['truncated to 1%', onnx.subarray(0, Math.floor(onnx.length * 0.01))],
    ['truncated to 10%', onnx.subarray(0, Math.floor(onnx.length * 0.1))],
    ['truncated to 50%', onnx.subarray(0, Math.floor(onnx.length * 0.5))],
    ['truncated to 90%', onnx.subarray(0, Math.floor(onnx.length * 0.9))],
    ['missing its last byte', onnx.subarray(0, onnx.length - 1)],
    ['random bytes', bytes(1, 4096)],
    ['zeros', Buffer.alloc(4096)],
    ['0xff bytes', Buffer.alloc(4096, 0xff)],
    ['header bytes flipped', flipBits(onnx, 2, 8, 0, 64)], // may still parse: then the same name@version with other bytes is a conflict
    ['a huge length prefix', Buffer.concat([Buffer.from([0x3a, 0xff, 0xff, 0xff, 0xff, 0x0f]), onnx.subarray(0, 100)])],
    ['a JSON file', Buffer.from(JSON.stringify({ ir_version: 8, graph: {} }))],
    ['a Parquet file', readFileSync(ctx.parquet).subarray(0, 8192)],
    ['the model twice', Buffer.concat([onnx, onnx.subarray(0, 17)])],
  ];
  corrupt.forEach(([name, buf], i) => {
    const file = f(`corrupt-${i}.onnx`);
    writeFileSync(file, buf);
    http('corrupt-onnx', `load an ONNX file: ${name}`, '/v1/models', JSON.stringify({ path: file }), name === 'header bytes flipped' || name === 'the model twice' ? ['model_load_failed', 'conflict'] : ['model_load_failed']);
    if (i % 3 === 0) cli('corrupt-onnx', `serve --model (${name})`, ['serve', '--trace', f(`serve-onnx-${i}.duckdb`), '--port', '0', '--model', file], ['model_load_failed']);
    // `sightline validate` is a gate: a model that does not load fails its `load` check (exit 1).
    if (i % 3 === 1 && name !== 'header bytes flipped') cases.push({ kind: 'cli', category: 'corrupt-onnx', name: `validate (${name})`, args: ['validate', file, '--calls', '5', '--rows', '4'], expect: [], gate: { report: /FAIL\s+load\s+.*not a valid ONNX model file|FAIL\s+load\s+.*cannot load/ } });
  });

  // ── corrupt / truncated / foreign DuckDB files ───────────────────────────────────────────
  const real = f('real.duckdb');
  await writeRealTrace(real);
  const realBytes = readFileSync(real);
  const duck: [string, (file: string) => Promise<void> | void, ErrorCode[]][] = [
    ['an empty file', (file) => writeFileSync(file, ''), ['bad_file']],
    ['random bytes', (file) => writeFileSync(file, bytes(3, 64 * 1024)), ['bad_file']],
    ['truncated to its first 4 KiB', (file) => writeFileSync(file, realBytes.subarray(0, 4096)), ['bad_file']],
    ['truncated to half', (file) => writeFileSync(file, realBytes.subarray(0, Math.floor(realBytes.length / 2))), ['bad_file']],
    ['its header bytes flipped', (file) => writeFileSync(file, flipBits(realBytes, 4, 16, 0, 4096)), ['bad_file']],
    ['a SQLite file', (file) => writeFileSync(file, Buffer.concat([Buffer.from('SQLite format 3\u0000'), bytes(5, 4080)])), ['bad_file']],
    ['a Parquet file', (file) => copyFileSync(ctx.parquet, file), ['bad_file']],
    ['a CSV file', (file) => writeFileSync(file, 'a,b\n1,2\n'), ['bad_file']],
    ['a foreign DuckDB database (no meta table)', async (file) => {
      const db = await DuckDBInstance.create(file);
      const c = await db.connect();
      await c.run('CREATE TABLE customers (id INT, email VARCHAR)');
      c.closeSync();
      db.closeSync();
    }, ['bad_file']],
    ['a trace of schema version 99', (file) => writeRealTrace(file, { version: '99' }), ['schema_too_new']],
    ['a trace whose version is not a number', (file) => writeRealTrace(file, { version: 'abc' }), ['bad_file']],
    ['a trace without a predictions table', (file) => writeRealTrace(file, { drop: ['predictions'] }), ['bad_file']],
    ['a trace whose predictions are a view over /etc/passwd', (file) => writeRealTrace(file, { drop: ['predictions'], views: [`CREATE VIEW predictions AS SELECT * FROM read_csv('/etc/passwd')`] }), ['bad_file']],
    ['a trace with a macro shadowing quantile_cont', (file) => writeRealTrace(file, { macros: ['CREATE MACRO quantile_cont(x, q) AS 42'] }), ['bad_file']],
  ];
  for (let i = 0; i < duck.length; i++) {
    const [name, make, expect] = duck[i]!;
    const file = f(`corrupt-${i}.duckdb`);
    await make(file);
    cli('corrupt-duckdb', `open: ${name}`, ['open', file], expect);
    if (i % 2 === 0) cli('corrupt-duckdb', `drift --db: ${name}`, ['drift', '--db', file, '--baseline', 'ref'], expect);
    // A writable open of a damaged file is refused as well (nothing is "repaired" into it).
    if ((i < 9 && i % 2 === 1) || i === 8) {
      const copy = f(`serve-corrupt-${i}.duckdb`);
      copyFileSync(file, copy);
      cli('corrupt-duckdb', `serve --trace: ${name}`, ['serve', '--trace', copy, '--port', '0'], expect);
    }
  }
  cli('corrupt-duckdb', 'serve --read-only on a trace of version 99', ['serve', '--read-only', '--trace', f('corrupt-9.duckdb'), '--port', '0'], ['schema_too_new']);
  cli('corrupt-duckdb', 'serve --read-only on a view over /etc/passwd', ['serve', '--read-only', '--trace', f('corrupt-12.duckdb'), '--port', '0'], ['bad_file']);
  execFileSync('mkfifo', [f('fifo.duckdb')]);
  cli('hostile-path', 'open a FIFO', ['open', f('fifo.duckdb')], ['bad_file']);
  cli('hostile-path', 'validate /dev/zero', ['validate', '/dev/zero'], ['bad_file']);
  cli('hostile-path', 'validate a FIFO', ['validate', f('fifo.onnx')], ['bad_file']);
  cli('hostile-path', 'serve --trace on a FIFO', ['serve', '--trace', f('fifo.duckdb'), '--port', '0'], ['bad_file']);
  cli('hostile-path', 'open /dev/zero', ['open', '/dev/zero'], ['bad_file']);
  cli('hostile-path', 'open a folder', ['open', dir], ['bad_file']);
  cli('hostile-path', 'open a missing file', ['open', f('missing.duckdb')], ['bad_file']);
  cli('hostile-path', 'serve --trace in a missing folder', ['serve', '--trace', f('no/such/folder/t.duckdb'), '--port', '0'], ['bad_file']);
  cli('hostile-path', 'drift --db ../../etc/passwd', ['drift', '--db', '../../../../../../etc/passwd', '--baseline', 'x'], ['bad_file']);
  cli('hostile-path', "open a path with quotes and SQL", ['open', f("x'; DROP TABLE predictions; --.duckdb")], ['bad_file']);

  // ── malformed CSV / Parquet / JSONL (import, drift --reference/--current, baseline add) ──
  // Each run gets its own scratch trace: CLI cases run in parallel and a trace has one writer.
  let scratchN = 0;
  const scratchTrace = (): string => f(`scratch-${scratchN++}.duckdb`);
  const pq = readFileSync(ctx.parquet);
  const tab: [string, string, string | Buffer, ErrorCode[]][] = [
    ['ragged rows', 'ragged.csv', 'a,b,c\n1,2,3\n4,5\n6,7,8,9\n', ['bad_file']],
    ['an unbalanced quote', 'quote.csv', 'a,b\n"1,2\n3,4\n', ['bad_file']],
    ['binary garbage named .csv', 'garbage.csv', bytes(6, 8192), ['bad_file']],
    ['an empty file', 'empty.csv', '', ['bad_file']],
    ['invalid UTF-8', 'latin.csv', Buffer.concat([Buffer.from('name,x\n'), Buffer.from([0xe9, 0xff, 0x2c, 0x31, 0x0a])]), ['bad_file']],
    ['"nan" values in a numeric column', 'nan.csv', 'x,y\n1,2\nnan,3\n', ['bad_value']],
    ['"inf" values in a numeric column', 'inf.csv', 'x,y\n1,2\ninf,3\n', ['bad_value']],
    ['garbage named .parquet', 'garbage.parquet', bytes(7, 8192), ['bad_file']],
    ['a truncated Parquet file', 'truncated.parquet', pq.subarray(0, Math.floor(pq.length / 2)), ['bad_file']],
    ['a Parquet file without its footer', 'nofooter.parquet', pq.subarray(0, pq.length - 8), ['bad_file']],
    ['a Parquet file with flipped bytes in its footer', 'flipped.parquet', flipBits(pq, 8, 32, pq.length - 2048, pq.length - 8), ['bad_file']],
    ['JSONL with a broken line', 'broken.jsonl', '{"x": 1}\n{"x": 2\n{"x": 3}\n', ['bad_file']],
    ['JSONL of arrays', 'arrays.jsonl', '[1, 2]\n[3, 4]\n', ['bad_file', 'invalid_request']],
    ['JSONL with a NaN token', 'nan.jsonl', '{"x": 1}\n{"x": NaN}\n', ['bad_file', 'bad_value']],
    ['an unknown extension', 'data.txt', 'x\n1\n', ['bad_file']],
  ];
  for (const [name, file, content, expect] of tab) {
    writeFileSync(f(file), content);
    cli('malformed-tabular', `import: ${name}`, ['import', f(file), '--model', 'ext@1', '--trace', scratchTrace()], expect);
  }
  for (const [name, file] of [['garbage', 'garbage.parquet'], ['a truncated Parquet file', 'truncated.parquet'], ['ragged rows', 'ragged.csv'], ['a broken JSONL line', 'broken.jsonl'], ['an empty file', 'empty.csv']] as const) {
    cli('malformed-tabular', `drift --current: ${name}`, ['drift', '--reference', ctx.parquet, '--current', f(file)], ['bad_file']);
  }
  cli('malformed-tabular', 'drift --reference: garbage', ['drift', '--reference', f('garbage.parquet'), '--current', ctx.parquet], ['bad_file']);
  for (const [name, file] of [['garbage', 'garbage.parquet'], ['an unbalanced quote', 'quote.csv'], ['ragged rows', 'ragged.csv'], ['a broken JSONL line', 'broken.jsonl'], ['a truncated Parquet file', 'truncated.parquet'], ['an empty file', 'empty.csv']] as const) {
    cli('malformed-tabular', `baseline add: ${name}`, ['baseline', 'add', 'b', f(file), '--trace', scratchTrace()], ['bad_file']);
  }
  mkdirSync(f('folder.csv'), { recursive: true });
  cli('malformed-tabular', 'import: a FIFO', ['import', f('fifo.csv'), '--model', 'ext@1', '--trace', scratchTrace()], ['bad_file']);
  cli('malformed-tabular', 'import: /dev/zero', ['import', '/dev/zero', '--model', 'ext@1', '--trace', scratchTrace()], ['bad_file']);
  cli('malformed-tabular', 'import: a folder named .csv', ['import', f('folder.csv'), '--model', 'ext@1', '--trace', scratchTrace()], ['bad_file']);
  writeFileSync(f('scores.csv'), 'x,score,id\n1,0.5,not-a-uuid\n2,high,also-not\n');
  cli('malformed-tabular', 'import: a score column of words', ['import', f('scores.csv'), '--model', 'ext@1', '--score', 'score', '--trace', scratchTrace()], ['bad_value']);
  cli('malformed-tabular', 'import: an id column that is not UUIDs', ['import', f('scores.csv'), '--model', 'ext@1', '--id', 'id', '--features', 'x', '--trace', scratchTrace()], ['bad_value']);

  // ── HTTP framing (raw bytes) ─────────────────────────────────────────────────────────────
  const req = (head: string, body = ''): Buffer => Buffer.from(`${head}\r\n\r\n${body}`);
  const auth = (token: string): string => `Authorization: Bearer ${token}`;
  const raw = (name: string, bytesFn: RawCase['bytes'], expect: ErrorCode[]): void => void cases.push({ kind: 'raw', category: 'http-framing', name, bytes: bytesFn, expect });
  raw('a garbage request line', () => req('HELLO THERE'), ['invalid_request']);
  raw('an unknown method', (p, t) => req(`BREW /v1/health HTTP/1.1\r\nHost: 127.0.0.1:${p}\r\n${auth(t)}`), ['invalid_request', 'not_found']);
  raw('HTTP/2 preface', () => Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'), ['invalid_request']);
  raw('a non-numeric Content-Length', (p, t) => req(`POST /v1/predict HTTP/1.1\r\nHost: 127.0.0.1:${p}\r\n${auth(t)}\r\nContent-Length: ten`, '{}'), ['invalid_request']);
  raw('two different Content-Lengths', (p, t) => req(`POST /v1/predict HTTP/1.1\r\nHost: 127.0.0.1:${p}\r\n${auth(t)}\r\nContent-Length: 2\r\nContent-Length: 3`, '{}'), ['invalid_request']);
  raw('Content-Length with chunked encoding', (p, t) => req(`POST /v1/predict HTTP/1.1\r\nHost: 127.0.0.1:${p}\r\n${auth(t)}\r\nContent-Length: 5\r\nTransfer-Encoding: chunked`, '0\r\n\r\n'), ['invalid_request']);
  raw('broken chunk sizes', (p, t) => req(`POST /v1/predict HTTP/1.1\r\nHost: 127.0.0.1:${p}\r\n${auth(t)}\r\nTransfer-Encoding: chunked`, 'zz\r\n{}\r\n0\r\n\r\n'), ['invalid_request']);
  raw('a header with a NUL', (p, t) => req(`GET /v1/health HTTP/1.1\r\nHost: 127.0.0.1:${p}\r\n${auth(t)}\r\nX-Evil: a\u0000b`), ['invalid_request']);
  raw('32 KiB of headers', (p, t) => req(`GET /v1/health HTTP/1.1\r\nHost: 127.0.0.1:${p}\r\n${auth(t)}\r\nX-Big: ${'a'.repeat(32 * 1024)}`), ['payload_too_large']);
  raw('no Host header (HTTP/1.0)', (_p, t) => req(`GET /v1/health HTTP/1.0\r\n${auth(t)}`), ['forbidden_host']);
  // Node keeps the first of duplicated Host headers: a foreign first one is refused.
  raw('two Host headers, the first foreign', (p, t) => req(`GET /v1/health HTTP/1.1\r\nHost: evil.example:${p}\r\nHost: 127.0.0.1:${p}\r\n${auth(t)}`), ['forbidden_host']);
  raw('a path with a NUL', (p, t) => req(`GET /v1/he%00alth HTTP/1.1\r\nHost: 127.0.0.1:${p}\r\n${auth(t)}`), ['not_found']);
  raw('a 64 KiB path', (p, t) => req(`GET /${'a'.repeat(64 * 1024)} HTTP/1.1\r\nHost: 127.0.0.1:${p}\r\n${auth(t)}`), ['payload_too_large']);

  // ── WebSocket ────────────────────────────────────────────────────────────────────────────
  const wsCases: [string, string, WsCase['expect']][] = [
    ['not JSON', 'subscribe me', ['bad_json']],
    ['truncated JSON', '{"type": "subscribe", "events": ["predic', ['bad_json']],
    ['a bare NaN', '{"type": "ping", "id": NaN}', ['bad_json']],
    ['an unknown type', '{"type": "launch"}', ['invalid_request']],
    ['no type', '{"events": ["prediction"]}', ['invalid_request']],
    ['an array', '[1, 2, 3]', ['invalid_request']],
    ['null', 'null', ['invalid_request']],
    ['an unknown event', '{"type": "subscribe", "events": ["gossip"]}', ['invalid_request']],
    ['events as a string', '{"type": "subscribe", "events": "prediction"}', ['invalid_request']],
    ['a query id that is a string', '{"type": "query", "id": "1", "method": "health"}', ['invalid_request']],
    ['a query id that is fractional', '{"type": "query", "id": 1.5, "method": "health"}', ['invalid_request']],
    ['a query without a method', '{"type": "query", "id": 1}', ['invalid_request']],
    ['an unknown query method', '{"type": "query", "id": 1, "method": "drop_tables"}', ['not_found']],
    ['a lone surrogate in a method', '{"type": "query", "id": 1, "method": "\\ud83d"}', ['bad_json']],
    ['a query method of 101 characters', `{"type": "query", "id": 1, "method": "${'m'.repeat(101)}"}`, ['invalid_request']],
    ['hello from protocol 99', '{"type": "hello", "protocol": 99}', ['unsupported']],
    ['hello from protocol 0', '{"type": "hello", "protocol": 0}', ['invalid_request']],
    ['hello from protocol 1e400', '{"type": "hello", "protocol": 1e400}', ['invalid_request']],
    ['params nested 10 000 deep', `{"type": "query", "id": 1, "method": "predictions", "params": ${'['.repeat(10_000)}${']'.repeat(10_000)}}`, ['invalid_request']],
    ['trace query with a number target', '{"type": "query", "id": 1, "method": "trace", "params": {"target": 5}}', ['invalid_request']],
    ['trace query with params null', '{"type": "query", "id": 1, "method": "trace", "params": null}', ['invalid_request']],
    ['review query with alpha 7', '{"type": "query", "id": 1, "method": "review", "params": {"alpha": 7}}', ['invalid_request']],
    ['drift query with a hostile baseline', `{"type": "query", "id": 1, "method": "drift", "params": {"baseline": "x'; DROP TABLE findings; --"}}`, ['not_found', 'invalid_request']],
    ['a text frame larger than --max-body', `{"type": "ping", "pad": "${'x'.repeat(ctx.maxBody + 10)}"}`, { close: 1009 }],
  ];
  for (const [name, frame, expect] of wsCases) ws('websocket', name, frame, expect);
  ws('websocket', 'a binary frame', Buffer.from([0, 1, 2, 3]), ['bad_json'], true);
  ws('websocket', 'invalid UTF-8 in a text frame', Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), { close: 1007 });
  return cases;
}

/** Counts per category, for the test's report. */
export function countByCategory(cases: CorpusCase[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const c of cases) out[c.category] = (out[c.category] ?? 0) + 1;
  return out;
}
