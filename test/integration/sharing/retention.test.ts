import { copyFileSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RetentionResult } from '../../../protocol';
import { TraceStore } from '../../../daemon/store/trace-store';
import { runCli, startDaemon } from '../../helpers/daemon';
import { queryTrace, textColumnsWhere } from '../../helpers/sample';
import { buildSharingTrace, type SharingTrace } from './fixture';

/** Text columns of any table still mentioning `value` (the subject's traces anywhere), as "table.column". */
const mentions = async (trace: string, value: string): Promise<string[]> =>
  (await textColumnsWhere(trace, (v) => `contains(${v}, '${value}')`)).map((hit) => hit.replace(/: \d+$/, ''));

async function counts(trace: string): Promise<{ predictions: number; labels: number; findings: number; flags: number }> {
  const [r] = await queryTrace<Record<string, number>>(trace, `SELECT (SELECT count(*) FROM predictions)::INTEGER AS predictions, (SELECT count(*) FROM labels)::INTEGER AS labels,
    (SELECT count(*) FROM findings)::INTEGER AS findings, (SELECT count(*) FROM flags)::INTEGER AS flags`);
  return { predictions: Number(r!.predictions), labels: Number(r!.labels), findings: Number(r!.findings), flags: Number(r!.flags) };
}

describe('retention: sightline prune and forget', () => {
  let dir: string;
  let src: SharingTrace;
  let n = 0;
  const copy = (): string => {
    const f = path.join(dir, `copy-${++n}.duckdb`);
    copyFileSync(src.trace, f);
    return f;
  };
  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'sightline-retention-'));
    src = await buildSharingTrace(dir, 800);
    // An old finding (its window ended in mid-April) and a flag on the first subject's prediction.
    const store = await TraceStore.open(src.trace);
    await store.conn.run(`INSERT INTO findings (id, time, kind, feature, model_name, score, metric, baseline, window_desc, details)
      VALUES ('old-drift', '2001-04-16', 'drift', 'dep_hour', 'flights-delay', 0.3, 'psi', 'train-v1', '2001-04-01..2001-04-15, flights-delay', '{}')`);
    store.close();
    const [p] = await queryTrace<{ id: string }>(src.trace, `SELECT id::VARCHAR AS id FROM predictions WHERE join_key = '${src.exampleKeys[0]}'`);
    const flag = await runCli(['flag', p!.id, '--trace', src.trace, '--reason', 'customer complaint']);
    expect(flag.code, flag.stderr).toBe(0);
  }, 300_000); // builds a trace with the real daemon: slow on a loaded machine
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('prune --before deletes older predictions, their labels and findings whose window ended before; dry-run deletes nothing', async () => {
    const f = copy();
    const [exp] = await queryTrace<{ old: number; keep: number }>(f, `SELECT count(*) FILTER (WHERE time < '2001-05-01')::INTEGER AS old, count(*) FILTER (WHERE time >= '2001-05-01')::INTEGER AS keep FROM predictions`);
    const before = await counts(f);

    const dry = RetentionResult.parse(JSON.parse((await runCli(['prune', f, '--before', '2001-05-01', '--dry-run', '--json'])).stdout));
    expect(dry.deleted.predictions).toBe(Number(exp!.old));
    expect(await counts(f)).toEqual(before);

    const r = await runCli(['prune', f, '--before', '2001-05-01', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const res = RetentionResult.parse(JSON.parse(r.stdout));
    expect(res.cutoff).toBe('2001-05-01T00:00:00.000Z');
    // The flagged prediction (an early-April flight) goes with its flag.
    expect(res.deleted).toEqual({ predictions: Number(exp!.old), labels: Number(exp!.old), findings: 1, flags: 1, baseline_rows: 0 });
    const after = await counts(f);
    expect(after.predictions).toBe(Number(exp!.keep));
    expect(after.labels).toBe(Number(exp!.keep)); // every remaining prediction keeps its label, no orphans
    expect(after.findings).toBe(before.findings - 1);
    const [min] = await queryTrace<{ t: string }>(f, 'SELECT min(time)::VARCHAR AS t FROM predictions');
    expect(min!.t >= '2001-05-01').toBe(true);
    expect((await queryTrace(f, `SELECT id FROM findings WHERE id = 'old-drift'`))).toEqual([]);
    expect((await runCli(['open', f])).code).toBe(0);

    // --older-than is relative to now: everything from 2001 goes, with the skew finding (its window
    // ended 2001-07-01); drift and quality computed today over unbounded windows stay.
    const all = RetentionResult.parse(JSON.parse((await runCli(['prune', f, '--older-than', '30d', '--compact', '--json'])).stdout));
    expect(all.deleted.predictions).toBe(Number(exp!.keep));
    expect(all.compacted).toBe(true);
    expect(all.bytes_after).toBeLessThan(all.bytes_before);
    expect(statSync(f).size).toBe(all.bytes_after);
    expect((await counts(f)).predictions).toBe(0);
    expect(all.deleted.findings).toBe(1);
    expect((await counts(f)).findings).toBe(after.findings - 1);
    expect(await queryTrace(f, `SELECT id FROM findings WHERE kind = 'skew'`)).toEqual([]);
  });

  it('forget --key erases a subject: predictions, labels, flags, findings whose examples name them; the file is rewritten', async () => {
    const f = copy();
    const [subject, other] = src.exampleKeys as [string, string];
    const before = await counts(f);
    expect(await mentions(f, subject)).toEqual(expect.arrayContaining(['predictions.join_key', 'labels.join_key', 'findings.details']));
    const r = await runCli(['forget', f, '--key', subject, 'NO-SUCH-KEY', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const res = RetentionResult.parse(JSON.parse(r.stdout));
    expect(res.deleted).toEqual({ predictions: 1, labels: 1, findings: 1, flags: 1, baseline_rows: 0 });
    expect(res.keys_not_found).toEqual(['NO-SUCH-KEY']);
    expect(res.compacted).toBe(true);
    expect(await mentions(f, subject)).toEqual([]);
    expect(await counts(f)).toEqual({ predictions: before.predictions - 1, labels: before.labels - 1, findings: before.findings - 1, flags: before.flags - 1 });
    // The other key named in the same (now deleted) finding keeps its own rows.
    expect((await queryTrace(f, `SELECT id FROM predictions WHERE join_key = '${other}'`)).length).toBe(1);
    const text = await runCli(['forget', f, '--key', other]);
    expect(text.stdout).toContain('deleted 1 prediction(s), 1 label(s), 0 finding(s), 0 flag(s)');
    expect(text.stdout).toContain('rewritten');

    // Training rows too, with --baseline-column (the baseline holds Jan–Feb flights).
    const [train] = await queryTrace<{ id: string }>(f, `SELECT flight_id AS id FROM "baseline__train-v1" ORDER BY flight_id LIMIT 1`);
    const b = RetentionResult.parse(JSON.parse((await runCli(['forget', f, '--key', train!.id, '--baseline-column', 'flight_id', '--json'])).stdout));
    expect(b.deleted.baseline_rows).toBe(1);
    expect(b.notes.join(' ')).toContain('re-add the baseline');
    expect(await mentions(f, train!.id)).toEqual([]);

    const none = await runCli(['forget', f]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('--key');
  });

  it('go through the daemon that holds the file (POST /v1/prune, /v1/forget); refuse without one when the file is locked', async () => {
    const f = copy();
    const d = await startDaemon([], { trace: f, dir: mkdtempSync(path.join(dir, 'd-')) });
    try {
      const locked = await runCli(['prune', f, '--before', '2001-05-01'], { SIGHTLINE_HOME: path.join(dir, 'nobody-home') });
      expect(locked.code).toBe(2);
      expect(locked.stderr).toContain('locked');

      const r = await runCli(['prune', f, '--before', '2001-05-01', '--json'], { SIGHTLINE_HOME: d.home });
      expect(r.code, r.stderr).toBe(0);
      const res = RetentionResult.parse(JSON.parse(r.stdout));
      expect(res.deleted.predictions).toBeGreaterThan(0);
      expect(res.compacted).toBe(false);
      expect(res.notes.join(' ')).toContain('the daemon holds the file');

      const fr = RetentionResult.parse(JSON.parse((await runCli(['forget', f, '--key', src.flightIds.at(-1)!, '--json'], { SIGHTLINE_HOME: d.home })).stdout));
      expect(fr.deleted.predictions).toBe(1);

      const bad = await fetch(`${d.client.baseUrl}/v1/forget`, { method: 'POST', headers: { Authorization: `Bearer ${d.info.token}`, 'Content-Type': 'application/json' }, body: JSON.stringify({ keys: [] }) });
      expect(bad.status).toBe(400);
      expect((await bad.json()).error.code).toBe('invalid_request');
      const badPrune = await d.client.request('POST', '/v1/prune', { older_than: 'soon' }).catch((e: Error) => e);
      expect(String(badPrune)).toContain('not a duration');
    } finally {
      expect(await d.stop()).toBe(0);
    }
    const [min] = await queryTrace<{ t: string; n: number }>(f, `SELECT min(time)::VARCHAR AS t, count(*) FILTER (WHERE join_key = '${src.flightIds.at(-1)}')::INTEGER AS n FROM predictions`);
    expect(min!.t >= '2001-05-01').toBe(true);
    expect(Number(min!.n)).toBe(0);

    // A read-only daemon (someone else's file) refuses both.
    const ro = await startDaemon(['--read-only'], { trace: copy(), dir: mkdtempSync(path.join(dir, 'ro-')) });
    try {
      const res = await ro.client.request('POST', '/v1/prune', { before: '2001-05-01' }).catch((e: Error & { code?: string }) => e);
      expect(String(res)).toContain('read-only');
    } finally {
      await ro.stop();
    }
  });
});
