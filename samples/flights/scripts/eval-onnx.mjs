// Cross-check of the evaluation in onnxruntime-node: runs both committed ONNX models on the captured
// traffic (traffic/requests.parquet joined to traffic/labels.parquet) and scores them per month.
// Features come from each of the two feature paths:
//   training code (features.py --jsonl) -> must reproduce reports/metrics.json "traffic_sample"
//   serving code  (serving/features.ts) -> what production actually scored, skew bug included
//
//   node samples/flights/scripts/eval-onnx.mjs     -> reports/onnx-traffic.json
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { SAMPLE_DIR } from './flights-sql.mjs';
import { loadTraffic, servingFeatures, trainingFeatures } from './feature-paths.mjs';
import { accuracy, openModel, predict, rocAuc } from './onnx-io.mjs';

const MODELS = ['v1', 'v2'];
const round = (x) => Math.round(x * 1e6) / 1e6;

const rows = await loadTraffic({ labels: true });
const paths = { training_code: trainingFeatures(rows), serving_code: await servingFeatures(rows) };
const sklearn = JSON.parse(readFileSync(path.join(SAMPLE_DIR, 'reports', 'metrics.json'), 'utf8'));
const groups = { all: rows.map((_, i) => i) };
for (const m of [4, 5, 6]) groups[`2001-0${m}`] = rows.flatMap((r, i) => (r.month === m ? [i] : []));

const report = { rows: rows.length, execution_provider: 'cpu', models: {} };
for (const version of MODELS) {
  const file = path.join(SAMPLE_DIR, 'models', `flights-delay-${version}.onnx`);
  const { session, signature } = await openModel(file);
  const entry = { signature, feature_paths: {} };
  for (const [pathName, feats] of Object.entries(paths)) {
    const { probability, label } = await predict(session, feats);
    const scores = {};
    for (const [g, idx] of Object.entries(groups)) {
      const y = idx.map((i) => rows[i].is_delayed);
      scores[g] = {
        rows: idx.length,
        roc_auc: round(rocAuc(y, idx.map((i) => probability[i]))),
        accuracy: round(accuracy(y, idx.map((i) => label[i]))),
        predicted_positive_rate: round(idx.reduce((a, i) => a + label[i], 0) / idx.length),
      };
    }
    entry.feature_paths[pathName] = scores;
  }
  // Same rows, same features, float32 ONNX vs float64 sklearn: the metrics must agree.
  entry.max_abs_diff_vs_sklearn = { roc_auc: 0, accuracy: 0 };
  for (const [g, mine] of Object.entries(entry.feature_paths.training_code)) {
    const ref = sklearn.models[version]?.[g === 'all' ? 'traffic_sample' : `traffic_${g}`];
    if (!ref || typeof mine !== 'object') continue;
    const d = entry.max_abs_diff_vs_sklearn;
    d.roc_auc = round(Math.max(d.roc_auc, Math.abs(ref.roc_auc - mine.roc_auc)));
    d.accuracy = round(Math.max(d.accuracy, Math.abs(ref.accuracy - mine.accuracy)));
  }
  report.models[version] = entry;
  await session.release();
}
writeFileSync(path.join(SAMPLE_DIR, 'reports', 'onnx-traffic.json'), JSON.stringify(report, null, 2) + '\n');

for (const [version, e] of Object.entries(report.models)) {
  for (const [p, s] of Object.entries(e.feature_paths)) {
    const line = Object.entries(s).map(([g, x]) => `${g} auc=${x.roc_auc.toFixed(4)} acc=${x.accuracy.toFixed(4)}`).join(' | ');
    console.log(`${version} ${p.padEnd(13)} ${line}`);
  }
  const d = e.max_abs_diff_vs_sklearn;
  console.log(`${version} ONNX (training-code features) vs sklearn, max over groups: |d auc|=${d.roc_auc} |d acc|=${d.accuracy}`);
}
console.log('signature v1:', JSON.stringify(report.models.v1.signature));
