// Small helpers shared by the Node checks of the flights sample: feed feature rows to a model whose
// inputs are one [N,1] tensor per feature, and score predictions like scikit-learn does.
import ort from 'onnxruntime-node';

/** Open a model; returns the session, its model card (from metadata) and its signature. */
export async function openModel(modelPath) {
  const session = await ort.InferenceSession.create(modelPath, { executionProviders: ['cpu'] });
  const signature = {
    inputs: session.inputMetadata.map(describe),
    outputs: session.outputMetadata.map(describe),
  };
  return { session, signature };
}

function describe(m) {
  return { name: m.name, type: m.isTensor ? m.type : 'non-tensor', shape: m.isTensor ? m.shape : undefined };
}

/** Feature rows (objects keyed by feature name) -> ORT feeds: float32 or string tensors [N,1]. */
export function toFeeds(session, rows) {
  const feeds = {};
  for (const meta of session.inputMetadata) {
    const values = rows.map((r) => r[meta.name]);
    if (values.some((v) => v === undefined || v === null)) throw new Error(`missing feature ${meta.name}`);
    feeds[meta.name] = meta.type === 'string'
      ? new ort.Tensor('string', values.map(String), [rows.length, 1])
      : new ort.Tensor('float32', Float32Array.from(values, Number), [rows.length, 1]);
  }
  return feeds;
}

/** Run in batches; returns { probability: Float32Array, label: Int32Array }. */
export async function predict(session, rows, batch = 8192) {
  const probability = new Float32Array(rows.length);
  const label = new Int32Array(rows.length);
  for (let i = 0; i < rows.length; i += batch) {
    const out = await session.run(toFeeds(session, rows.slice(i, i + batch)));
    probability.set(out.probability.data, i);
    label.set(Array.from(out.label.data, Number), i);
  }
  return { probability, label };
}

/** ROC AUC with tied scores sharing their average rank (= sklearn.metrics.roc_auc_score). */
export function rocAuc(y, p) {
  const idx = Array.from(p.keys()).sort((a, b) => p[a] - p[b]);
  let rankSumPos = 0;
  let nPos = 0;
  for (let i = 0; i < idx.length; ) {
    let j = i;
    while (j + 1 < idx.length && p[idx[j + 1]] === p[idx[i]]) j++;
    const avgRank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) if (y[idx[k]] === 1) { rankSumPos += avgRank; nPos++; }
    i = j + 1;
  }
  const nNeg = y.length - nPos;
  return (rankSumPos - (nPos * (nPos + 1)) / 2) / (nPos * nNeg);
}

export function accuracy(y, label) {
  let ok = 0;
  for (let i = 0; i < y.length; i++) if (y[i] === label[i]) ok++;
  return ok / y.length;
}
