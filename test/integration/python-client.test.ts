import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MODEL_V1, ROOT, startDaemon, type RunningDaemon } from '../helpers/daemon';
import { queryTrace, sampleRecords } from '../helpers/sample';

/** Any python3 ≥ 3.9 will do: the client is standard library only. */
const PYTHON = process.env.PYTHON ?? 'python3';
const PY_CLIENT = path.join(ROOT, 'clients', 'python');

function runPython(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, args, {
      cwd: ROOT,
      env: { ...process.env, PYTHONPATH: PY_CLIENT, PYTHONDONTWRITEBYTECODE: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d.toString()));
    child.stderr.on('data', (d) => (stderr += d.toString()));
    child.once('error', (err) => reject(new Error(`cannot run ${PYTHON} (set $PYTHON to a python3 ≥ 3.9): ${err.message}`)));
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

interface Refusal { code: string; message: string; path: (string | number)[] | null; is_exception: boolean }
interface Summary {
  python: string;
  health: { status: string; pid: number; trace: string };
  models: string[];
  predict: { count: number; ids: string[]; scores: number[]; request_id: string; model: { name: string; version: string }; execution_provider: string; batch_size: number };
  labels_logged: number;
  log_predictions: { ids: string[]; logged: number };
  errors: Record<'unknown_model' | 'nan' | 'missing_feature' | 'unauthorized' | 'unavailable' | 'no_daemon_file', Refusal | null>;
}

describe('python client: stdlib unit tests', () => {
  it('pass (python3 -m unittest discover -s clients/python/tests)', async () => {
    const { code, stdout, stderr } = await runPython(['-m', 'unittest', 'discover', '-s', 'clients/python/tests', '-v']);
    expect(code, `${stdout}\n${stderr}`).toBe(0);
    expect(stderr).toMatch(/Ran \d+ tests/);
    expect(stderr).toMatch(/\nOK\b/);
  });
});

describe('python client against the real daemon (real ORT, real DuckDB)', () => {
  const N = 30;
  let d: RunningDaemon;
  let sample: Awaited<ReturnType<typeof sampleRecords>>;
  let summary: Summary;

  beforeAll(async () => {
    [d, sample] = await Promise.all([startDaemon(['--model', MODEL_V1]), sampleRecords(N)]);
  });
  afterAll(async () => {
    await d?.stop();
    d?.cleanup();
  });

  it('predicts, logs labels and predictions, and raises typed errors', async () => {
    const input = path.join(d.dir, 'python-input.json');
    writeFileSync(input, JSON.stringify({ model: 'flights-delay@v1', records: sample.records, join_keys: sample.flightIds, labels: sample.labels }));
    const run = await runPython([path.join(PY_CLIENT, 'tests', 'integration_scenario.py'), input], { SIGHTLINE_HOME: d.home });
    expect(run.code, run.stderr).toBe(0);
    summary = JSON.parse(run.stdout) as Summary;

    const [major, minor] = summary.python.split('.').map(Number);
    expect(major! * 100 + minor!).toBeGreaterThanOrEqual(309);
    expect(summary.health).toEqual({ status: 'ok', pid: d.info.pid, trace: d.info.trace });
    expect(summary.models).toEqual(['flights-delay@v1']);

    const p = summary.predict;
    expect(p.batch_size).toBeLessThan(N); // the batch really went in several requests
    expect(p.count).toBe(N);
    expect(new Set(p.ids).size).toBe(N);
    expect(p.request_id).toBe('py-req-1');
    expect(p.model).toMatchObject({ name: 'flights-delay', version: 'v1' });
    expect(p.execution_provider).toBe('cpu');
    for (const s of p.scores) {
      expect(s).toBeGreaterThanOrEqual(0);
      expect(s).toBeLessThanOrEqual(1);
    }

    expect(summary.labels_logged).toBe(N);
    expect(summary.log_predictions.logged).toBe(3);
    expect(summary.log_predictions.ids).toHaveLength(3);

    const e = summary.errors;
    expect(e.unknown_model).toMatchObject({ code: 'unknown_model', path: ['model'], is_exception: true });
    expect(e.unknown_model!.message).toContain('no-such-model');
    // Refused client-side: json.dumps would otherwise write the invalid token NaN.
    expect(e.nan).toMatchObject({ code: 'bad_value', path: ['records', 1, 'distance'] });
    expect(e.nan!.message).toContain('records[1].distance');
    // Refused by the daemon in the last chunk; the client names the caller's row, not the chunk's.
    const chunkStart = Math.floor((N - 1) / p.batch_size) * p.batch_size;
    expect(e.missing_feature).toMatchObject({ code: 'missing_feature', path: ['records', N - 1, 'distance'] });
    expect(e.missing_feature!.message).toContain(`records[${N - 1}] lacks feature "distance"`);
    expect(e.missing_feature!.message).toContain(`the first ${chunkStart} rows of this batch were already sent and logged`);
    expect(e.unauthorized).toMatchObject({ code: 'unauthorized' });
    expect(e.unavailable).toMatchObject({ code: 'unavailable' });
    expect(e.unavailable!.message).toContain('sightline serve');
    expect(e.no_daemon_file).toMatchObject({ code: 'unavailable' });
    expect(e.no_daemon_file!.message).toMatch(/daemon\.json does not exist.*sightline serve/);
  });

  it('left exactly those rows in the trace after a clean stop', async () => {
    expect(summary).toBeDefined();
    expect(await d.stop()).toBe(0);
    const q = <T = Record<string, unknown>>(sql: string) => queryTrace<T>(d.trace, sql);

    // The python predict call: every row, with its id, join key, score and slice attribute.
    const [carrier] = await q<{ column_name: string }>(`SELECT column_name FROM feature_columns WHERE feature = 'carrier' AND kind = 'attribute'`);
    const served = await q<{ id: string; join_key: string; score: number; source: string; model_version: string; carrier: string }>(
      `SELECT id::VARCHAR AS id, join_key, score, source, model_version, "${carrier!.column_name}" AS carrier FROM predictions WHERE request_id = 'py-req-1'`,
    );
    expect(served).toHaveLength(N);
    const byId = new Map(served.map((r) => [r.id, r]));
    summary.predict.ids.forEach((id, i) => {
      const row = byId.get(id);
      expect(row, `prediction ${id}`).toBeDefined();
      expect(row).toMatchObject({ join_key: sample.flightIds[i], source: 'served', model_version: 'v1', carrier: i % 2 ? 'AA' : 'UA' });
      expect(row!.score).toBeCloseTo(summary.predict.scores[i]!, 9);
    });

    // Refused requests: the NaN and unknown-model ones left nothing; the missing-feature batch
    // left the chunks sent before its refusal (as its message said), and nothing after.
    const chunkStart = Math.floor((N - 1) / summary.predict.batch_size) * summary.predict.batch_size;
    const requests = await q<{ request_id: string; n: number; keys: number }>(
      `SELECT request_id, count(*)::INT AS n, count(join_key)::INT AS keys FROM predictions WHERE source = 'served' GROUP BY request_id ORDER BY n DESC`,
    );
    expect(requests.map((r) => r.n)).toEqual([N, chunkStart]);
    expect(requests[1]!.keys).toBe(0);

    // log_predictions: source `python`, the external model, its features and join keys.
    const external = await q<{ id: string; model_name: string; model_version: string; join_key: string; score: number }>(
      `SELECT id::VARCHAR AS id, model_name, model_version, join_key, score FROM predictions WHERE source = 'python' ORDER BY join_key`,
    );
    expect(external.map((r) => r.id).sort()).toEqual([...summary.log_predictions.ids].sort());
    expect(external.map((r) => r.join_key)).toEqual(sample.flightIds.slice(0, 3).map((k) => `ext-${k}`).sort());
    for (const r of external) expect(r).toMatchObject({ model_name: 'external-model', model_version: 'v0', score: 0.25 });

    // Labels: N - 1 by join key, one by prediction id, all attached to the python predictions.
    const labels = await q<{ join_key: string | null; prediction_id: string | null; value: number; source: string }>(
      `SELECT join_key, prediction_id::VARCHAR AS prediction_id, value, source FROM labels`,
    );
    expect(labels).toHaveLength(N);
    expect(new Set(labels.map((l) => l.source))).toEqual(new Set(['python']));
    const byKey = new Map(labels.filter((l) => l.join_key !== null).map((l) => [l.join_key, l.value]));
    expect(byKey.size).toBe(N - 1);
    sample.flightIds.slice(0, N - 1).forEach((k, i) => expect(byKey.get(k)).toBe(sample.labels[i]));
    const byPrediction = labels.filter((l) => l.prediction_id !== null);
    expect(byPrediction).toEqual([{ join_key: null, prediction_id: summary.predict.ids[N - 1], value: sample.labels[N - 1], source: 'python' }]);
    const [joined] = await q<{ n: number }>(
      `SELECT count(DISTINCT p.id)::INT AS n FROM predictions p JOIN labels l ON l.join_key = p.join_key OR l.prediction_id = p.id WHERE p.request_id = 'py-req-1'`,
    );
    expect(joined!.n).toBe(N);
  });
});
