import { createWriteStream, type WriteStream } from 'node:fs';
import { readPages } from '../io/tabular';
import { Lineage } from '../lineage/service';
import { LineageIndex } from '../lineage/snapshot';
import { ident } from '../store/sql';
import { TraceStore } from '../store/trace-store';
import { toRunEvent } from './openlineage';
import { toExportRequest, toSpan, type OtlpSpan, type PredictionSpanRow } from './otlp';
import { orderedFeatureColumns } from './source';

/** Spans per ExportTraceServiceRequest line (one model version per line). */
const SPANS_PER_LINE = 500;

/**
 * Predictions of an (already exported, redacted) trace as OTLP/JSON lines. Rows are read in pages
 * ordered by model; each line holds up to 500 spans of one model version.
 */
export async function writeOtlp(trace: string, out: string): Promise<number> {
  const store = await TraceStore.open(trace, { readOnly: true });
  const file = createWriteStream(out, { flags: 'wx' });
  try {
    const cols = orderedFeatureColumns(store);
    const select = [
      'p.id::VARCHAR AS id', 'epoch_ns(p.time)::VARCHAR AS time_ns', 'p.latency_ms::DOUBLE AS latency_ms', 'p.model_id', 'p.model_name', 'p.model_version',
      'p.source', 'p.execution_provider', 'p.score', 'p.label_pred', 'p.join_key', 'p.request_id',
      ...cols.map((c, i) => `p.${ident(c.column)} AS c${i}`),
    ];
    let spans: OtlpSpan[] = [];
    let model: { id: string; name: string; version: string } | null = null;
    let written = 0;
    const flush = async (): Promise<void> => {
      if (model && spans.length) await write(file, JSON.stringify(toExportRequest(model, spans)) + '\n');
      spans = [];
    };
    for await (const page of readPages(store.conn, `SELECT ${select.join(', ')} FROM predictions p ORDER BY p.model_id, p.time, p.id`, 2000)) {
      for (const r of page) {
        if (!model || model.id !== r.model_id) {
          await flush();
          model = { id: String(r.model_id), name: String(r.model_name), version: String(r.model_version) };
        }
        const features: PredictionSpanRow['features'] = {};
        const attributes: PredictionSpanRow['attributes'] = {};
        cols.forEach((c, i) => { (c.kind === 'attribute' ? attributes : features)[c.feature] = r[`c${i}`] as number | string | null; });
        spans.push(toSpan({
          id: String(r.id), time_ns: String(r.time_ns), latency_ms: r.latency_ms as number | null, model_id: model.id, model_name: model.name, model_version: model.version,
          source: String(r.source), execution_provider: r.execution_provider as string | null, score: r.score as number | null, label_pred: r.label_pred as string | null,
          join_key: r.join_key as string | null, request_id: r.request_id as string | null, features, attributes,
        }));
        written++;
        if (spans.length >= SPANS_PER_LINE) await flush();
      }
    }
    await flush();
    return written;
  } finally {
    await close(file);
    store.close();
  }
}

/** Component runs of an (exported) trace as OpenLineage RunEvents, one JSON object per line, oldest first. */
export async function writeOpenLineage(trace: string, out: string, namespace: string): Promise<number> {
  const store = await TraceStore.open(trace, { readOnly: true });
  const file = createWriteStream(out, { flags: 'wx' });
  try {
    const index = new LineageIndex(await new Lineage(store).store.load());
    const runs = [...index.runs.values()].sort((a, b) => a.start - b.start || a.id.localeCompare(b.id));
    for (const run of runs) await write(file, JSON.stringify(toRunEvent(run, index.inputsOf(run.id), index.outputsOf(run.id), { namespace })) + '\n');
    return runs.length;
  } finally {
    await close(file);
    store.close();
  }
}

function write(stream: WriteStream, text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    if (stream.write(text)) resolve();
    else {
      stream.once('drain', resolve);
      stream.once('error', reject);
    }
  });
}

function close(stream: WriteStream): Promise<void> {
  return new Promise((resolve) => stream.end(() => resolve()));
}
