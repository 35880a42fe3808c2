// Parity check of a hand-built ONNX model against scikit-learn (the "verify" step of train.py):
// runs the model in onnxruntime-node (CPU) on rows that carry sklearn's predict_proba and fails
// if any probability differs by more than 1e-5.
//
//   node samples/flights/scripts/verify-onnx.mjs --model M.onnx --rows parity.jsonl --out parity.json
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import path from 'node:path';
import { openModel, predict } from './onnx-io.mjs';

const TOLERANCE = 1e-5;
const { values } = parseArgs({ options: { model: { type: 'string' }, rows: { type: 'string' }, out: { type: 'string' } } });
if (!values.model || !values.rows) {
  console.error('usage: verify-onnx.mjs --model M.onnx --rows parity.jsonl [--out parity.json]');
  process.exit(2);
}
const rows = readFileSync(values.rows, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
const { session, signature } = await openModel(values.model);
const { probability, label } = await predict(session, rows);

let maxAbsDiff = 0;
let labelDisagreements = 0;
rows.forEach((r, i) => {
  maxAbsDiff = Math.max(maxAbsDiff, Math.abs(probability[i] - r.sklearn_probability));
  if (label[i] !== (r.sklearn_probability >= 0.5 ? 1 : 0)) labelDisagreements++;
});
const result = {
  model: path.relative(process.cwd(), values.model),
  execution_provider: 'cpu',
  rows: rows.length,
  max_abs_diff: maxAbsDiff,
  tolerance: TOLERANCE,
  label_disagreements: labelDisagreements,
  ok: maxAbsDiff <= TOLERANCE,
  signature,
};
if (values.out) writeFileSync(values.out, JSON.stringify(result, null, 2) + '\n');
console.log(`onnx vs sklearn: ${rows.length} rows, max |dp| = ${maxAbsDiff.toExponential(2)}, ` +
  `label disagreements ${labelDisagreements} -> ${result.ok ? 'OK' : 'FAIL'}`);
await session.release();
if (!result.ok) process.exit(1);
