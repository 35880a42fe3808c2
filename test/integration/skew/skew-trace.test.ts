/**
 * Skew on a real trace: the real daemon (`serve --model v1 --log-raw`) is fed 3,000 real
 * April–June requests whose features come from the real serving code (serving/features.ts, with
 * the planted route-key bug), keyed by flight_id. Then all three modes, through the daemon
 * (`POST /v1/skew`, and the CLI while the daemon holds the trace) and in-process on the file.
 *
 * Expected values are computed here independently of Sightline: the rows where features.py and
 * serving/features.ts disagree are counted in JavaScript on the same requests.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SightlineError, SkewReport, type Finding } from '../../../protocol';
import type { SkewRunResult } from '../../../daemon/findings/skew-run';
import { MODEL_V1, runCli, startDaemon, type RunningDaemon } from '../../helpers/daemon';
import { queryTrace } from '../../helpers/sample';
import {
  BASELINE, FEATURE_NAMES, loadRequests, mismatchCount, PYTHON, REQUESTS, servedFeatures, TRANSFORM, trainingFeatures, writeJsonl,
} from './sample-traffic';

const N = 3000;
const FIXTURES = path.join(__dirname, 'fixtures');

describe('sightline skew on a trace of served traffic', () => {
  let dir: string;
  let d: RunningDaemon;
  let trace: string;
  let trainingPath: string;
  /** Rows where the training code's route_delay_rate differs from the served one (counted in JS). */
  let routeMismatches: number;
  const env = (): Record<string, string> => ({ SIGHTLINE_HOME: d.home });

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'sightline-skew-trace-'));
    const raws = await loadRequests(N);
    const served = servedFeatures(raws);
    const trained = trainingFeatures(raws);
    routeMismatches = mismatchCount(trained, served, 'route_delay_rate');
    for (const f of FEATURE_NAMES) if (f !== 'route_delay_rate') expect(mismatchCount(trained, served, f), f).toBe(0);
    trainingPath = path.join(dir, 'training-features.jsonl');
    writeJsonl(trainingPath, trained);

    d = await startDaemon(['--model', MODEL_V1, '--log-raw']);
    trace = d.trace;
    for (let i = 0; i < N; i += 250) {
      const batch = raws.slice(i, i + 250);
      await d.client.predict({
        model: 'flights-delay',
        records: served.slice(i, i + 250).map((f) => ({ ...f })),
        join_keys: batch.map((r) => r.flight_id),
        times: batch.map((r) => r.date),
      });
    }
  });
  afterAll(async () => {
    if (d) {
      await d.stop();
      d.cleanup();
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('distribution mode through the daemon route: only route_delay_rate, served as one spike', async () => {
    const res = await d.client.request<SkewRunResult>('POST', '/v1/skew', { training: BASELINE });
    const report = SkewReport.parse(res.report);
    expect(report.mode).toBe('distribution');
    expect(report.skewed).toEqual(['route_delay_rate']);
    expect(report.rows_serving).toBe(N);
    const route = report.features[0]!;
    expect(route).toMatchObject({ name: 'route_delay_rate', mode: 'distribution', kind: 'numeric', metric: 'js', threshold: 0.1, skew: true, n_training: 100000, n_serving: N });
    // The whole served sample is the global rate 0.2183…, in one decile bin of the training values.
    expect(route.score).toBeGreaterThan(0.8);
    for (const f of report.features.slice(1)) {
      expect(f.score, f.name).toBeLessThan(0.05);
      expect(f.metric).toBe(f.kind === 'categorical' ? 'linf' : 'js');
    }
    expect(res.findings).toHaveLength(1);
    expect(res.baseline).toBe('train-v1.parquet');
    expect(res.modelName).toBe('flights-delay');
    // The editor asks the same over the WebSocket.
    const stream = await d.client.stream();
    try {
      const viaWs = await stream.query<SkewRunResult>('skew', { training: BASELINE, features: ['route_delay_rate', 'origin'] });
      expect(viaWs.report.features.map((f) => f.name)).toEqual(['route_delay_rate', 'origin']);
      expect(viaWs.report.features[0]!.score).toBe(route.score);
    } finally {
      stream.close();
    }
  });

  it('replay through the CLI while the daemon holds the trace: raw requests → features.py → 99.7 % of route_delay_rate rows differ; saved and published as a finding', async () => {
    const stream = await d.client.stream();
    const events: unknown[] = [];
    stream.onMessage((m) => events.push(m));
    stream.subscribe(['finding']);
    await stream.query('health'); // answered after the subscription is in place
    const r = await runCli(['skew', '--db', trace, '--raw', REQUESTS, '--key', 'flight_id', '--transform', TRANSFORM, '--save', '--json'], env());
    expect(r.code, r.stderr).toBe(0);
    const report = SkewReport.parse(JSON.parse(r.stdout));
    expect(report.mode).toBe('replay');
    expect(report.skewed).toEqual(['route_delay_rate']);
    expect(report).toMatchObject({ key: 'flight_id', matched: N, only_serving: 0, only_training: 60000 - N, rows_serving: N });
    expect(report.transform).toMatchObject({ rows_in: 60000, rows_out: 60000 });
    const route = report.features[0]!;
    expect(route.mismatches).toBe(routeMismatches);
    expect(route.mismatch_rate).toBeCloseTo(routeMismatches / N, 12);
    expect(route.mismatch_rate).toBeGreaterThan(0.99);
    expect(route.examples).toHaveLength(5);
    for (const e of route.examples!) expect(e.serving).toBe(0.21832352173368033);
    for (const f of report.features.slice(1)) expect(f.mismatch_rate, f.name).toBe(0);

    const findings = await d.client.request<{ findings: Finding[] }>('GET', '/v1/findings?kind=skew');
    expect(findings.findings).toHaveLength(1);
    const finding = findings.findings[0]!;
    expect(finding).toMatchObject({ kind: 'skew', feature: 'route_delay_rate', metric: 'mismatch_rate', model_name: 'flights-delay', threshold: 0.001 });
    expect(finding.baseline).toBe(`${TRANSFORM} (replay on flight_id)`);
    expect(finding.details).toMatchObject({ mode: 'replay', mismatch_rate: route.mismatch_rate, key: 'flight_id' });
    expect(finding.details.examples).toHaveLength(5);
    const histogram = finding.details.histogram as { edges: number[]; ref: number[]; cur: number[] };
    expect(histogram.ref).toHaveLength(histogram.edges.length + 1);
    expect(Math.max(...histogram.cur)).toBe(1); // every served value in one bin
    await new Promise((resolve) => setTimeout(resolve, 200));
    stream.close();
    expect(JSON.stringify(events)).toContain('route_delay_rate');
  });

  it('replay from the logged raw inputs (serve --log-raw): the key comes from join_key, only the feature the transform changes differs', async () => {
    const res = await d.client.request<SkewRunResult>('POST', '/v1/skew', {
      key: 'flight_id', transform: { command: `${PYTHON} ${path.join(FIXTURES, 'bump_dep_hour.py')}` },
    });
    const report = SkewReport.parse(res.report);
    expect(report.transform).toMatchObject({ rows_in: N, rows_out: N });
    expect(report.matched).toBe(N);
    expect(report.skewed).toEqual(['dep_hour']);
    const dep = report.features[0]!;
    expect(dep).toMatchObject({ name: 'dep_hour', mismatch_rate: 1, mean_abs_diff: 1, max_abs_diff: 1 });
    for (const f of report.features.slice(1)) expect(f.mismatch_rate, f.name).toBe(0);
  });

  it('refuses bad input through the route with typed errors', async () => {
    const fail = (body: unknown) => d.client.request('POST', '/v1/skew', body).then(() => null, (e: SightlineError) => e);
    const noKey = await fail({ training: BASELINE, key: 'no_such_column' });
    expect(noKey).toBeInstanceOf(SightlineError);
    expect(noKey!.code).toBe('invalid_request');
    expect(noKey!.message).toContain('key column "no_such_column"');
    const exit1 = await fail({ key: 'flight_id', raw: REQUESTS, transform: { command: `${PYTHON} ${path.join(FIXTURES, 'fail.py')}` } });
    expect(exit1!.code).toBe('invalid_request');
    expect(exit1!.message).toContain('exited with code 1');
    expect(exit1!.message).toContain('cannot load lookup table route_stats.json');
    const garbage = await fail({ key: 'flight_id', raw: REQUESTS, transform: { command: `${PYTHON} ${path.join(FIXTURES, 'garbage.py')}` } });
    expect(garbage!.code).toBe('bad_value');
    expect(garbage!.message).toContain('not JSON lines');
    expect(garbage!.message).toContain('loading lookups');
    const shadowWindow = await fail({ key: 'flight_id', transform: { command: TRANSFORM }, window: { source: 'shadow' } });
    expect(shadowWindow!.message).toContain('no logged predictions');
    const bodyError = await fail({ mode: 'sideways' });
    expect(bodyError!.code).toBe('invalid_request');
  });

  describe('in-process on the trace file once the daemon has stopped', () => {
    beforeAll(async () => {
      expect(await d.stop()).toBe(0);
    });

    it('rows mode on flight_id: training-code rows of the same requests vs the served rows', async () => {
      const r = await runCli(['skew', '--training', trainingPath, '--db', trace, '--key', 'flight_id', '--json'], env());
      expect(r.code, r.stderr).toBe(0);
      const report = SkewReport.parse(JSON.parse(r.stdout));
      expect(report.mode).toBe('rows');
      expect(report.skewed).toEqual(['route_delay_rate']);
      expect(report).toMatchObject({ matched: N, only_training: 0, only_serving: 0, duplicates_serving: 0, missing_key_serving: 0 });
      const route = report.features[0]!;
      expect(route.mismatches).toBe(routeMismatches);
      expect(route.mismatch_rate).toBeGreaterThan(0.99);
      for (const f of report.features.slice(1)) {
        expect(f.mismatch_rate, f.name).toBe(0);
        if (f.kind === 'numeric') expect(f.mean_abs_diff, f.name).toBe(0);
      }
    });

    it('distribution against a baseline stored in the trace, read-only, same verdict as the daemon', async () => {
      const add = await runCli(['baseline', 'add', 'train-v1', BASELINE, '--trace', trace], env());
      expect(add.code, add.stderr).toBe(0);
      const r = await runCli(['skew', '--db', trace, '--baseline', 'train-v1', '--json'], env());
      expect(r.code, r.stderr).toBe(0);
      const report = SkewReport.parse(JSON.parse(r.stdout));
      expect(report.skewed).toEqual(['route_delay_rate']);
      const viaFile = SkewReport.parse(JSON.parse((await runCli(['skew', '--db', trace, '--training', BASELINE, '--json'], env())).stdout));
      expect(viaFile.features).toEqual(report.features);
    });

    it('replay with --save writes the finding into the file; a rerun under a stricter threshold clears it', async () => {
      const r = await runCli(['skew', '--db', trace, '--raw', REQUESTS, '--key', 'flight_id', '--transform', TRANSFORM, '--save'], env());
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain('skewed: route_delay_rate');
      expect(r.stdout).toContain('1 finding(s) saved');
      const rows = await queryTrace<{ feature: string; metric: string; details: string }>(trace, "SELECT feature, metric, details FROM findings WHERE kind = 'skew'");
      expect(rows).toHaveLength(1);
      expect(JSON.parse(rows[0]!.details)).toMatchObject({ mode: 'replay', key: 'flight_id' });
      // Only a feature that differs on every row counts now: route_delay_rate (99.7 %) no longer does.
      const again = await runCli(['skew', '--db', trace, '--raw', REQUESTS, '--key', 'flight_id', '--transform', TRANSFORM, '--mismatch', '1', '--save', '--json'], env());
      expect(again.code, again.stderr).toBe(0);
      expect(JSON.parse(again.stdout).skewed).toEqual([]);
      expect(await queryTrace(trace, "SELECT * FROM findings WHERE kind = 'skew'")).toHaveLength(0);
    });

    it('bad input from the CLI exits 2 with a message that says what to do', async () => {
      const unknownKey = await runCli(['skew', '--training', trainingPath, '--db', trace, '--key', 'no_such_column'], env());
      expect(unknownKey.code).toBe(2);
      expect(unknownKey.stderr).toContain('key column "no_such_column" is not in the training file');
      const exit1 = await runCli(['skew', '--db', trace, '--raw', REQUESTS, '--key', 'flight_id', '--transform', `${PYTHON} ${path.join(FIXTURES, 'fail.py')}`], env());
      expect(exit1.code).toBe(2);
      expect(exit1.stderr).toContain('exited with code 1');
      expect(exit1.stderr).toContain('cannot load lookup table');
      const garbage = await runCli(['skew', '--db', trace, '--raw', REQUESTS, '--key', 'flight_id', '--transform', `${PYTHON} ${path.join(FIXTURES, 'garbage.py')}`], env());
      expect(garbage.code).toBe(2);
      expect(garbage.stderr).toContain('not JSON lines');
      const missing = await runCli(['skew', '--db', trace, '--raw', REQUESTS, '--key', 'flight_id', '--transform', 'no-such-feature-command --jsonl'], env());
      expect(missing.code).toBe(2);
      expect(missing.stderr).toContain('command not found: no-such-feature-command');
      const piped = await runCli(['skew', '--db', trace, '--raw', REQUESTS, '--key', 'flight_id', '--transform', `${TRANSFORM} | head`], env());
      expect(piped.code).toBe(2);
      expect(piped.stderr).toContain('without a shell');
      const noBaseline = await runCli(['skew', '--db', trace, '--baseline', 'nope'], env());
      expect(noBaseline.code).toBe(2);
      expect(noBaseline.stderr).toContain('no baseline "nope"');
      const noOverlap = await runCli(['skew', '--db', trace, '--baseline', 'train-v1', '--key', 'flight_id'], env());
      expect(noOverlap.code).toBe(2);
      expect(noOverlap.stderr).toContain('no "flight_id" value is on both sides');
      expect(noOverlap.stderr).toContain('--transform');
    });
  });
});
