/**
 * SIGKILL during load, cycle after cycle on one trace file: a daemon in durable mode serves
 * concurrent predict requests and is killed at a random moment (after the first acknowledgement)
 * while they are in flight. After every kill the file must open, every acknowledged prediction must
 * be in it (whole: model, join key, features), and nothing may be in it twice. Used by
 * test/integration/daemon/durability.test.ts (5 cycles) and `npm run stress` (20).
 */
import { MODEL_V1, startDaemon, type RunningDaemon } from '../helpers/daemon';
import { queryTrace, sampleRecords } from '../helpers/sample';
import { featuresOf, project } from '../helpers/wire';
import { Rng } from './fuzz';

export interface KillCyclesOptions {
  cycles: number;
  trace: string;
  dir: string;
  seed?: number;
  /** Concurrent clients during each cycle. */
  clients?: number;
  log?: (line: string) => void;
  /** Called with each daemon once it runs (tests keep it to clean up). */
  onDaemon?: (d: RunningDaemon) => void;
}

export interface KillCycle {
  cycle: number;
  /** ms from the first request to the kill */
  killedAfterMs: number;
  acknowledged: number;
  /** requests in flight when the kill landed (answered with a connection error) */
  inFlight: number;
  rowsInFile: number;
  missing: number;
}

export interface KillCyclesReport {
  cycles: KillCycle[];
  acknowledged: number;
  rowsInFile: number;
  missing: string[];
  duplicates: number;
  incompleteRows: number;
}

export async function runKillCycles(o: KillCyclesOptions): Promise<KillCyclesReport> {
  const r = new Rng(o.seed ?? 7);
  const sample = await sampleRecords(400);
  const acknowledged = new Set<string>();
  const report: KillCyclesReport = { cycles: [], acknowledged: 0, rowsInFile: 0, missing: [], duplicates: 0, incompleteRows: 0 };
  let records = sample.records;
  for (let cycle = 0; cycle < o.cycles; cycle++) {
    // A long flush interval: in durable mode an acknowledgement must not depend on the timer.
    const d = await startDaemon(['--model', MODEL_V1, '--durable', '--flush-interval', '60000'], { trace: o.trace, dir: o.dir });
    o.onDaemon?.(d);
    if (cycle === 0) records = project(sample.records, await featuresOf(d, 'flights-delay'));
    let acked = 0;
    let inFlight = 0;
    let killed = false;
    // The kill comes at a random moment after the first acknowledgement, not after a fixed delay
    // from the start: on a loaded machine the first answer can take longer than any fixed delay,
    // and a cycle with nothing acknowledged proves nothing.
    let firstAck!: () => void;
    const acknowledgedOnce = new Promise<void>((resolve) => (firstAck = resolve));
    const t0 = Date.now();
    const client = async (c: number): Promise<void> => {
      for (let n = 0; !killed && n < 10_000; n++) {
        const at = (cycle * 97 + c * 31 + n * 5) % (records.length - 5);
        const keys = Array.from({ length: 5 }, (_, k) => `c${cycle}-w${c}-${n}-${k}`);
        try {
          const res = await d.client.predict({ model: 'flights-delay', records: records.slice(at, at + 5), join_keys: keys });
          for (const p of res.predictions) acknowledged.add(p.id);
          acked += res.predictions.length;
          firstAck();
        } catch {
          if (killed) inFlight++;
          else throw new Error(`cycle ${cycle}: a request failed before the kill`);
          return;
        }
      }
    };
    const clients = Array.from({ length: o.clients ?? 4 }, (_, c) => client(c));
    // Killed at a random moment while requests are in flight. A client that fails before the kill
    // ends the wait too, so its error is reported instead of a hang.
    await Promise.race([acknowledgedOnce, Promise.all(clients)]);
    const after = r.int(600);
    await new Promise((resolve) => setTimeout(resolve, after));
    killed = true;
    await d.kill();
    await Promise.all(clients);
    // The file opens, and holds every acknowledged prediction.
    const ids = new Set((await queryTrace<{ id: string }>(o.trace, 'SELECT id::VARCHAR AS id FROM predictions')).map((x) => x.id));
    const missing = [...acknowledged].filter((id) => !ids.has(id));
    report.missing.push(...missing);
    report.cycles.push({ cycle, killedAfterMs: Date.now() - t0, acknowledged: acked, inFlight, rowsInFile: ids.size, missing: missing.length });
    o.log?.(`kill cycle ${cycle + 1}/${o.cycles}: killed ${after} ms after the first acknowledgement with ${inFlight} request(s) in flight; ${acked} acknowledged this cycle, ${ids.size} rows in the file, ${missing.length} acknowledged missing`);
  }
  const whole = await queryTrace<{ n: number; distinct_ids: number; incomplete: number }>(
    o.trace,
    `SELECT count(*)::INT AS n, count(DISTINCT id)::INT AS distinct_ids,
            count(*) FILTER (WHERE join_key IS NULL OR model_id IS NULL OR score IS NULL OR f_1 IS NULL)::INT AS incomplete
     FROM predictions`,
  );
  report.acknowledged = acknowledged.size;
  report.rowsInFile = whole[0]!.n;
  report.duplicates = whole[0]!.n - whole[0]!.distinct_ids;
  report.incompleteRows = whole[0]!.incomplete;
  return report;
}
