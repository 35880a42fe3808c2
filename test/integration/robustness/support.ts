import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { ErrorBody, HTTP_STATUS, type ErrorCode } from '../../../protocol';
import { CLI } from '../../helpers/daemon';
import { queryTrace } from '../../helpers/sample';

/**
 * Shared by the robustness tests (corpus, fuzz, faults, security): a checksum of what a trace
 * holds, raw HTTP on a socket, CLI runs with a deadline, and the check that an answer is typed.
 */

export interface TableSum {
  n: string;
  sum: string | null;
}

export interface TraceChecksum {
  columns: string[];
  predictions: TableSum;
  labels: TableSum;
  models: TableSum;
  feature_columns: TableSum;
}

async function tableSum(trace: string, table: string, columns: string[]): Promise<TableSum> {
  const cols = columns.map((c) => `"${c.replace(/"/g, '""')}"`).join(', ');
  const rows = await queryTrace<{ n: string; sum: string | null }>(trace, `SELECT count(*)::VARCHAR AS n, sum(hash(${cols}))::VARCHAR AS sum FROM ${table}`);
  return rows[0]!;
}

async function columnsOf(trace: string, table: string): Promise<string[]> {
  return (await queryTrace<{ name: string }>(trace, `SELECT name FROM pragma_table_info('${table}') ORDER BY cid`)).map((r) => r.name);
}

/**
 * Row count and an order-independent sum of row hashes of each table that holds what was
 * logged. Equal checksums before and after: nothing already logged changed (and nothing was added).
 * `columns` pins the predictions columns hashed (those of the first snapshot).
 */
export async function traceChecksum(trace: string, columns?: string[]): Promise<TraceChecksum> {
  const predCols = columns ?? (await columnsOf(trace, 'predictions'));
  return {
    columns: predCols,
    predictions: await tableSum(trace, 'predictions', predCols),
    labels: await tableSum(trace, 'labels', await columnsOf(trace, 'labels')),
    models: await tableSum(trace, 'models', ['id', 'name', 'version', 'path', 'inputs', 'outputs', 'card']),
    feature_columns: await tableSum(trace, 'feature_columns', ['feature', 'kind', 'column_name']),
  };
}

export interface RawAnswer {
  /** null when the connection closed without an HTTP answer. */
  status: number | null;
  body: string;
  head: string;
}

/**
 * Writes `bytes` on a new connection to 127.0.0.1:port and reads the first answer: complete by
 * its Content-Length, or whatever came before the server closed (or `timeoutMs`).
 */
export function sendRaw(port: number, bytes: Buffer, timeoutMs = 10_000, opts: { halfClose?: boolean; headOnly?: boolean } = {}): Promise<RawAnswer> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    const chunks: Buffer[] = [];
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      s.destroy();
      // Interim answers (`100 Continue` to `Expect: 100-continue`) precede the response.
      const text = Buffer.concat(chunks).toString('utf8').replace(/^(HTTP\/1\.[01] 1\d\d[^\r]*\r\n(?:[^\r]+\r\n)*\r\n)+/, '');
      const split = text.indexOf('\r\n\r\n');
      const head = split >= 0 ? text.slice(0, split) : text;
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(head);
      let body = split >= 0 ? text.slice(split + 4) : '';
      const len = /\r\ncontent-length:\s*(\d+)/i.exec(head);
      if (len) body = Buffer.from(body).subarray(0, Number(len[1])).toString('utf8');
      resolve({ status: m ? Number(m[1]) : null, body, head });
    };
    const timer = setTimeout(finish, timeoutMs);
    s.on('data', (c: Buffer) => {
      chunks.push(c);
      // One complete response is enough (a kept-alive socket would otherwise wait for the timeout).
      const text = Buffer.concat(chunks).toString('utf8').replace(/^(HTTP\/1\.[01] 1\d\d[^\r]*\r\n(?:[^\r]+\r\n)*\r\n)+/, '');
      const split = text.indexOf('\r\n\r\n');
      const len = /\r\ncontent-length:\s*(\d+)/i.exec(text.slice(0, Math.max(0, split)));
      if (split >= 0 && (opts.headOnly || (len && Buffer.byteLength(text.slice(split + 4)) >= Number(len[1])))) finish();
    });
    s.on('error', finish);
    s.on('close', finish);
    // No half-close by default: Node's HTTP server takes a client's FIN as an abort of the request
    // in flight and drops its answer. Half-close only requests that can never complete otherwise.
    s.on('connect', () => {
      s.write(bytes, () => { if (opts.halfClose) s.end(); });
    });
  });
}

/** Checks a JSON error answer: known code among `expect`, status matching the code, a message. Returns a problem or null. */
export function typedProblem(status: number | null, text: string, expect?: readonly ErrorCode[]): string | null {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return `status ${status}: body is not JSON: ${JSON.stringify(text.slice(0, 200))}`;
  }
  const parsed = ErrorBody.safeParse(json);
  if (!parsed.success) return `status ${status}: not an error body: ${text.slice(0, 200)}`;
  const { code, message } = parsed.data.error;
  if (code === 'internal') return `status ${status}: internal error: ${message.slice(0, 300)}`;
  if (expect && !expect.includes(code)) return `got ${code} (expected ${expect.join(' | ')}): ${message.slice(0, 300)}`;
  const allowed = code === 'payload_too_large' ? [413, 431] : code === 'invalid_request' ? [400, 408] : [HTTP_STATUS[code]];
  if (status !== null && !allowed.includes(status)) return `status ${status} for code ${code}`;
  if (message.length < 10) return `message too short: ${JSON.stringify(message)}`;
  if (/\n\s+at .+:\d+:\d+/.test(message)) return `message carries a stack trace: ${message.slice(0, 300)}`;
  return null;
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/** Runs the built CLI with a deadline (a command that should fail but serves instead is killed). */
export function runCliTimed(args: string[], env: NodeJS.ProcessEnv, timeoutMs = 30_000): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.on('data', (d) => (stdout += d.toString()));
    child.stderr.on('data', (d) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    // Resolved on 'close', when the pipes are drained: the child's last writes can arrive after
    // 'exit' (seen under CI load: exit 2 with an empty stderr). Should a process the child left
    // behind hold the pipes open, 'exit' plus a grace period settles it.
    let grace: NodeJS.Timeout | undefined;
    const done = (code: number | null, signal: NodeJS.Signals | null): void => {
      clearTimeout(timer);
      clearTimeout(grace);
      resolve({ code, signal, stdout, stderr, timedOut });
    };
    child.on('exit', (code, signal) => {
      grace = setTimeout(() => done(code, signal), 5_000);
    });
    child.on('close', (code, signal) => done(code, signal));
  });
}

/** A CLI refusal: exit 2 and a `sightline: … [code]` line with an expected code; never a stack trace or exit 70. */
export function cliProblem(r: CliResult, expect: readonly ErrorCode[], gate?: { report: RegExp }): string | null {
  if (r.timedOut) return `did not exit within the deadline (stderr: ${r.stderr.slice(-300)})`;
  if (gate) {
    if (r.code !== 1) return `exit ${r.code ?? r.signal} (expected 1, a failed check): ${r.stderr.slice(-300)}`;
    if (/unexpected error|\n\s+at .+:\d+:\d+/.test(r.stderr)) return `stack trace on stderr: ${r.stderr.slice(-400)}`;
    return gate.report.test(r.stdout) ? null : `no report line ${gate.report}: ${r.stdout.slice(-300)}`;
  }
  const line = r.stderr.split('\n').find((l) => /^sightline: .* \[[a-z_]+\]$/.test(l));
  const code = line ? /\[([a-z_]+)\]$/.exec(line)![1] : null;
  if (r.code !== 2) return `exit ${r.code ?? r.signal} (expected 2): ${r.stderr.slice(-400)}`;
  if (!line) return `no "sightline: … [code]" line: ${r.stderr.slice(-400)}`;
  if (/unexpected error|\n\s+at .+:\d+:\d+/.test(r.stderr)) return `stack trace on stderr: ${r.stderr.slice(-400)}`;
  if (!expect.includes(code as ErrorCode)) return `got [${code}] (expected ${expect.join(' | ')}): ${line.slice(0, 300)}`;
  return null;
}

/** Runs `tasks` with at most `limit` at a time. */
export async function pool<T>(items: T[], limit: number, fn: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
