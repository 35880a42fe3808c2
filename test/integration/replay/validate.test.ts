/**
 * `sightline validate` failure paths, on small ONNX models built in TypeScript
 * (test/helpers/onnx-builder.ts) with their cards: NaN and infinite outputs, probabilities
 * outside [0, 1], invalid class ids — each a failed check and exit 1 — and the latency/memory
 * checks: `info` with their figures when no limit is given, pass/fail against
 * --max-p99-ms / --max-memory-mb, bad limits refused (exit 2).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { ValidationReport } from '../../../protocol';
import { runCli } from '../../helpers/daemon';
import { binaryCard, linearClassifier, writeModel } from '../../helpers/onnx-builder';

const dir = mkdtempSync(path.join(os.tmpdir(), 'sightline-validate-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A two-input classifier z = x1 + x2 − 1 with the given output stage, written with its card. */
function model(name: string, post: 'sigmoid' | 'identity' | 'div0' | 'log', classOffset = 0): string {
  const file = path.join(dir, `${name}.onnx`);
  writeModel(file, linearClassifier({ features: ['x1', 'x2'], weights: [1, 1], bias: -1, post, classOffset }), binaryCard(name, 'v1', ['x1', 'x2'], { slice_attributes: ['x1'] }));
  return file;
}

async function validate(file: string, ...extra: string[]): Promise<{ code: number | null; report: ValidationReport; stdout: string; stderr: string }> {
  const r = await runCli(['validate', file, '--json', '--calls', '20', ...extra]);
  return { code: r.code, report: ValidationReport.parse(JSON.parse(r.stdout)), stdout: r.stdout, stderr: r.stderr };
}

const check = (report: ValidationReport, name: string): ValidationReport['checks'][number] => report.checks.find((c) => c.check === name)!;

describe('outputs', () => {
  test('a sound model is valid; latency and memory are info with their figures', async () => {
    const { code, report, stderr } = await validate(model('good', 'sigmoid'));
    expect(code, stderr).toBe(0);
    expect(report.ok).toBe(true);
    for (const c of ['smoke', 'range', 'classes']) expect(check(report, c).status, c).toBe('pass');
    expect(check(report, 'latency')).toMatchObject({ status: 'info', message: expect.stringMatching(/p50 [\d.]+ ms, p99 [\d.]+ ms.*no limit/) });
    expect(check(report, 'memory')).toMatchObject({ status: 'info', message: expect.stringMatching(/grew by -?[\d.]+ MiB.*no limit/) });
    expect(report.limits).toEqual({ max_p99_ms: null, max_memory_mb: null });
    const text = await runCli(['validate', model('good', 'sigmoid'), '--calls', '20']);
    expect(text.stdout).toMatch(/INFO latency/);
    expect(text.stdout).toMatch(/\nvalid\n/);
  });

  test('infinite outputs fail the smoke check (exit 1)', async () => {
    const { code, report } = await validate(model('inf', 'div0'));
    expect(code).toBe(1);
    expect(report.ok).toBe(false);
    expect(check(report, 'smoke')).toMatchObject({ status: 'fail', message: expect.stringMatching(/^64 of 64 outputs are NaN or infinite$/) });
    expect(check(report, 'range')).toMatchObject({ status: 'fail', message: 'no finite probability to check' });
    expect(report.smoke).toMatchObject({ score_min: null, score_max: null });
  });

  test('NaN outputs fail the smoke check (exit 1)', async () => {
    const { code, report } = await validate(model('nan', 'log'));
    expect(code).toBe(1);
    const smoke = check(report, 'smoke');
    expect(smoke.status).toBe('fail');
    // ln(x1 + x2 − 1) over the smoke rows: NaN for about half of them, finite for the rest.
    const m = /^(\d+) of 64 outputs are NaN or infinite$/.exec(smoke.message);
    expect(m, smoke.message).not.toBeNull();
    expect(Number(m![1])).toBeGreaterThan(0);
    expect(Number(m![1])).toBeLessThan(64);
    expect(check(report, 'range').status).toBe('fail');
  });

  test('probabilities outside [0, 1] fail the range check (exit 1)', async () => {
    const { code, report } = await validate(model('range', 'identity'));
    expect(code).toBe(1);
    expect(check(report, 'smoke').status).toBe('pass');
    expect(check(report, 'range')).toMatchObject({ status: 'fail', message: expect.stringMatching(/\d+ probabilities outside \[0, 1\] \(e\.g\. -?[\d.]+\)/) });
    expect(report.smoke!.score_min!).toBeLessThan(0);
    expect(report.smoke!.score_max!).toBeGreaterThan(0.9);
  });

  test('invalid class ids fail the classes check (exit 1)', async () => {
    const { code, report } = await validate(model('classes', 'sigmoid', 5));
    expect(code).toBe(1);
    expect(check(report, 'range').status).toBe('pass');
    expect(check(report, 'classes')).toMatchObject({ status: 'fail', message: expect.stringMatching(/predicted classes outside \{0, 1\}: (5|6)(, (5|6))?$/) });
  });
});

describe('latency and memory limits', () => {
  test('within generous limits: pass; the limits are in the report', async () => {
    const { code, report, stderr } = await validate(model('limits', 'sigmoid'), '--max-p99-ms', '10000', '--max-memory-mb', '100000');
    expect(code, stderr).toBe(0);
    expect(check(report, 'latency')).toMatchObject({ status: 'pass', message: expect.stringMatching(/limit p99 ≤ 10000 ms/) });
    expect(check(report, 'memory')).toMatchObject({ status: 'pass', message: expect.stringMatching(/limit 100000 MiB/) });
    expect(report.limits).toEqual({ max_p99_ms: 10000, max_memory_mb: 100000 });
  });

  test('a p99 above --max-p99-ms fails validation (exit 1)', async () => {
    const { code, report } = await validate(model('limits', 'sigmoid'), '--max-p99-ms', '0.000001');
    expect(code).toBe(1);
    expect(report.ok).toBe(false);
    expect(check(report, 'latency').status).toBe('fail');
    expect(check(report, 'memory').status).toBe('info');
  });

  test('memory growth above --max-memory-mb fails validation (exit 1)', async () => {
    const { code, report } = await validate(model('limits', 'sigmoid'), '--max-memory-mb', '0.001');
    expect(report.memory.rss_delta_bytes).toBeGreaterThan(0.001 * (1 << 20));
    expect(code).toBe(1);
    expect(check(report, 'memory').status).toBe('fail');
  });

  test('a limit that is not a positive number is bad input (exit 2)', async () => {
    for (const bad of [['--max-p99-ms', '-1'], ['--max-memory-mb', 'lots']]) {
      const r = await runCli(['validate', model('limits', 'sigmoid'), ...bad]);
      expect(r.code, bad.join(' ')).toBe(2);
      expect(r.stderr).toMatch(new RegExp(`${bad[0]} needs a (positive )?number.*\\[invalid_request\\]`));
    }
  });
});
