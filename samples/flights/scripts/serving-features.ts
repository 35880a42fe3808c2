// The serving feature path as a command, for `sightline replay|eval --transform`:
// raw booking requests as JSON lines on stdin → the same records with the model features
// computed by serving/features.ts (the code production runs, skew bug included) on stdout.
// Every raw field is passed through (flight_id, labels, …), the features are added or replace
// raw fields of the same name (origin → OTHER for rare airports, distance as a number).
//
// Built by `npm run build` (esbuild.mjs) into dist/samples/serving-features.js:
//   node dist/samples/serving-features.js < requests.jsonl > features.jsonl
//   npx sightline replay --traffic samples/flights/traffic/requests.parquet \
//       --transform "node dist/samples/serving-features.js" --model …v2.onnx --baseline …v1.onnx
import { createInterface } from 'node:readline';
import { computeFeatures, type RawFlight } from '../serving/features';

async function main(): Promise<void> {
  const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
  let out: string[] = [];
  let n = 0;
  const flush = async (): Promise<void> => {
    if (out.length === 0) return;
    const text = out.join('\n') + '\n';
    out = [];
    if (!process.stdout.write(text)) await new Promise<void>((resolve) => process.stdout.once('drain', () => resolve()));
  };
  for await (const line of lines) {
    n++;
    if (!line.trim()) continue;
    let raw: Record<string, unknown>;
    try {
      raw = JSON.parse(line) as Record<string, unknown>;
    } catch (err) {
      throw new Error(`line ${n}: not JSON (${err instanceof Error ? err.message : String(err)})`);
    }
    let features: ReturnType<typeof computeFeatures>;
    try {
      features = computeFeatures({ ...raw, distance: Number(raw.distance) } as unknown as RawFlight);
    } catch (err) {
      throw new Error(`line ${n}: ${err instanceof Error ? err.message : String(err)}`);
    }
    out.push(JSON.stringify({ ...raw, ...features }));
    if (out.length >= 2000) await flush();
  }
  await flush();
}

main().catch((err: unknown) => {
  process.stderr.write(`serving-features: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
