/**
 * Lineage from TypeScript/Node pipelines, like the Python SDK: each step is a component run with
 * the files it read and wrote (sha256 streamed), params, metrics, the git commit and dirty flag,
 * and the file:line of the step.
 *
 *   const buildFeatures = componentRun('features', { inputs: ['clean.csv'], outputs: ['features.csv'] })(async () => { … });
 *   await withRun('train', { params: { C: 1 } }, async (r) => { r.input('features.csv'); …; r.output('model.onnx'); r.metric('auc', 0.81); });
 *
 * `componentRun(...)` also works as a (TC39) method decorator. The run goes to the daemon
 * (`POST /v1/runs`) when the step ends; with no daemon answering it is spooled to
 * `$SIGHTLINE_HOME/spool/<time>-<id>.jsonl` (temp file + rename) and stored at the daemon's next
 * start. SDK failures never reach the pipeline: they are warnings on stderr; requests time out
 * after `timeoutMs`; the step's own errors propagate (the run is logged `failed`).
 * `SIGHTLINE_LINEAGE=off` turns it off; `SIGHTLINE_LINEAGE=spool` only spools (never contacts a daemon).
 */
import { execFile } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, existsSync, promises as fsp, readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL, fileURLToPath } from 'node:url';
import type { ArtifactKind, ArtifactRef, RunRequest } from '../../protocol';

export const DEFAULT_LINEAGE_TIMEOUT_MS = 2000;
const GIT_TIMEOUT_MS = 2000;
const MODEL_SUFFIXES = new Set(['.onnx', '.pkl', '.pickle', '.joblib', '.pt', '.pth', '.h5', '.keras', '.safetensors', '.ckpt']);
const KINDS: ArtifactKind[] = ['data', 'features', 'model', 'labels', 'report'];
/** Codes meaning the daemon did not take the run: spool it for the next daemon start. */
const SPOOL_CODES = new Set(['unavailable', 'timeout', 'internal', 'bad_file']);

export interface ArtifactOptions {
  name?: string;
  kind?: ArtifactKind;
  uri?: string;
  /** sha256 hex of an object's content; or give `value` to have it hashed. */
  contentHash?: string;
  value?: unknown;
  size?: number;
}

export type ArtifactSpec = string | ({ path?: string } & ArtifactOptions);

export interface RunOptions {
  params?: Record<string, unknown>;
  inputs?: ArtifactSpec[];
  outputs?: ArtifactSpec[];
  owner?: string;
  tags?: string[];
  description?: string;
  notes?: string;
  /** State folder of the daemon (default `$SIGHTLINE_HOME` or `~/.sightline`). */
  home?: string;
  timeoutMs?: number;
  /** Where the step's code is (default: the caller of startRun/withRun). */
  codeLocation?: { file: string; line: number } | null;
}

export type Delivery = 'sent' | 'spooled' | 'refused' | 'lost' | 'off';

function warn(message: string): void {
  try {
    process.stderr.write(`sightline: warning: ${message}\n`);
  } catch {
    /* stderr gone: nothing left to tell */
  }
}

function enabled(): boolean {
  return !['0', 'off', 'false', 'no'].includes((process.env.SIGHTLINE_LINEAGE ?? '').trim().toLowerCase());
}

export function sightlineHome(): string {
  const h = process.env.SIGHTLINE_HOME;
  return h && h.length > 0 ? path.resolve(h) : path.join(os.homedir(), '.sightline');
}

export function spoolDir(home = sightlineHome()): string {
  return path.join(home, 'spool');
}

// ── hashing ─────────────────────────────────────────────────────────────────

/** sha256 hex of a file (streamed) and its size; a folder hashes its files' sorted paths and hashes. */
export async function hashFile(file: string): Promise<{ hash: string; size: number }> {
  const st = await fsp.stat(file);
  if (st.isDirectory()) {
    const files = (await fsp.readdir(file, { recursive: true, withFileTypes: true }))
      .filter((d) => d.isFile())
      .map((d) => path.join(d.parentPath ?? (d as unknown as { path: string }).path, d.name))
      .sort((a, b) => toPosix(path.relative(file, a)).localeCompare(toPosix(path.relative(file, b))));
    const digest = createHash('sha256');
    let size = 0;
    for (const f of files) {
      const h = await hashFile(f);
      digest.update(`${toPosix(path.relative(file, f))}\u0000${h.hash}\n`);
      size += h.size;
    }
    return { hash: digest.digest('hex'), size };
  }
  return new Promise((resolve, reject) => {
    const digest = createHash('sha256');
    let size = 0;
    createReadStream(file, { highWaterMark: 1 << 20 })
      .on('data', (chunk) => {
        const buf = chunk as Buffer;
        digest.update(buf);
        size += buf.length;
      })
      .on('error', reject)
      .on('end', () => resolve({ hash: digest.digest('hex'), size }));
  });
}

/** sha256 hex of an object: bytes as they are, text as UTF-8, anything else as JSON with sorted keys. */
export function hashValue(value: unknown): string {
  const data = value instanceof Uint8Array ? value : typeof value === 'string' ? Buffer.from(value, 'utf8') : Buffer.from(canonicalJson(value), 'utf8');
  return createHash('sha256').update(data).digest('hex');
}

function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v));
}

// ── git and code location ───────────────────────────────────────────────────

const roots = new Map<string, string | null>();

/** The git work tree holding `dir` (by looking for `.git` upward), or null. */
function repoRoot(dir: string): string | null {
  const abs = path.resolve(dir);
  const cached = roots.get(abs);
  if (cached !== undefined) return cached;
  let d = abs;
  let root: string | null = null;
  for (;;) {
    if (existsSync(path.join(d, '.git'))) {
      root = d;
      break;
    }
    const parent = path.dirname(d);
    if (parent === d) break;
    d = parent;
  }
  roots.set(abs, root);
  return root;
}

function toPosix(p: string): string {
  return p.split(path.sep).join('/');
}

/** A path relative to its git repository, else absolute. */
function displayPath(p: string): string {
  const abs = path.resolve(p);
  const root = repoRoot(path.dirname(abs));
  return toPosix(root ? path.relative(root, abs) : abs);
}

function git(args: string[], cwd: string): Promise<string | null> {
  return new Promise((resolve) => {
    try {
      execFile('git', args, { cwd, timeout: GIT_TIMEOUT_MS, env: { ...process.env, GIT_OPTIONAL_LOCKS: '0', GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C' }, windowsHide: true }, (err, stdout) => resolve(err ? null : String(stdout)));
    } catch {
      resolve(null);
    }
  });
}

/** Commit and dirty flag (tracked changes) of the work tree at `dir`; nulls without git or a repository. */
export async function gitState(dir = process.cwd()): Promise<{ commit: string | null; dirty: boolean | null }> {
  const head = await git(['rev-parse', 'HEAD'], dir);
  if (head === null) return { commit: null, dirty: null };
  const status = await git(['status', '--porcelain', '--untracked-files=no'], dir);
  return { commit: head.trim().toLowerCase() || null, dirty: status === null ? null : status.trim().length > 0 };
}

const THIS_FILE = (() => {
  try {
    return typeof __filename === 'string' ? __filename : fileURLToPath(import.meta.url);
  } catch {
    return '';
  }
})();

/** file:line of the first stack frame outside this module. */
function callerLocation(): { file: string; line: number } | null {
  const stack = new Error().stack?.split('\n').slice(1) ?? [];
  for (const frame of stack) {
    const m = /\(?((?:file:\/\/)?[^\s()]+?):(\d+):\d+\)?\s*$/.exec(frame.trim());
    if (!m) continue;
    let file = m[1]!;
    if (file.startsWith('file://')) file = fileURLToPath(file);
    if (file === THIS_FILE || file.startsWith('node:') || /lineage\.(ts|js|mjs|cjs)$/.test(file) && file.includes('clients')) continue;
    if (!path.isAbsolute(file)) continue;
    return { file, line: Number(m[2]) };
  }
  return null;
}

// ── delivery ────────────────────────────────────────────────────────────────

interface DaemonFile {
  port: number;
  token: string;
}

function readDaemonFile(home: string): DaemonFile | null {
  try {
    const info = JSON.parse(readFileSync(path.join(home, 'daemon.json'), 'utf8')) as Partial<DaemonFile>;
    return typeof info.port === 'number' && typeof info.token === 'string' ? { port: info.port, token: info.token } : null;
  } catch {
    return null;
  }
}

/** Writes one run as one JSON line, atomically (temp file, fsync, rename). */
export async function spoolRun(payload: RunRequest & { id: string }, home = sightlineHome()): Promise<string> {
  const dir = spoolDir(home);
  await fsp.mkdir(dir, { recursive: true, mode: 0o700 });
  const stamp = new Date().toISOString().replace(/[-:.]/g, '');
  const final = path.join(dir, `${stamp}-${payload.id}.jsonl`);
  const tmp = path.join(dir, `.${payload.id}.tmp`);
  const fh = await fsp.open(tmp, 'w', 0o600);
  try {
    await fh.writeFile(`${JSON.stringify(payload)}\n`);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await fsp.rename(tmp, final);
  return final;
}

async function deliver(payload: RunRequest & { id: string }, home: string, timeoutMs: number): Promise<Delivery> {
  const spoolOnly = (process.env.SIGHTLINE_LINEAGE ?? '').trim().toLowerCase() === 'spool';
  const info = spoolOnly ? null : readDaemonFile(home);
  if (info) {
    try {
      const res = await fetch(`http://127.0.0.1:${info.port}/v1/runs`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${info.token}`, 'Content-Type': 'application/json' },
        body: JSON.stringify(payload),
        signal: AbortSignal.timeout(timeoutMs),
      });
      if (res.ok) return 'sent';
      const body = (await res.json().catch(() => ({}))) as { error?: { code?: string; message?: string } };
      const code = body.error?.code ?? 'internal';
      if (!SPOOL_CODES.has(code)) {
        warn(`the daemon refused run ${payload.id} of "${payload.component}": [${code}] ${body.error?.message ?? res.status}`);
        return 'refused';
      }
    } catch {
      /* not running, refused, or too slow: spool it */
    }
  }
  try {
    await spoolRun(payload, home);
    return 'spooled';
  } catch (err) {
    warn(`could not spool run ${payload.id} of "${payload.component}" to ${spoolDir(home)}: ${err instanceof Error ? err.message : String(err)}`);
    return 'lost';
  }
}

// ── runs ────────────────────────────────────────────────────────────────────

/** One execution of a step: declare inputs (hashed at once) and outputs (hashed at the end). */
export class RunRecorder {
  readonly id = randomUUID();
  readonly params: Record<string, unknown>;
  readonly metrics: Record<string, number> = {};
  readonly start = new Date().toISOString();
  status: 'ok' | 'failed' = 'ok';
  notes: string | undefined;
  delivery: Delivery | null = null;
  private readonly inputs: Promise<ArtifactRef | null>[] = [];
  private readonly outputs: ArtifactSpec[] = [];
  private readonly code: { file: string; line: number } | null;
  private ended: Promise<Delivery> | null = null;

  constructor(readonly component: string, private readonly options: RunOptions = {}) {
    this.params = { ...(options.params ?? {}) };
    this.notes = options.notes;
    this.code = options.codeLocation === undefined ? callerLocation() : options.codeLocation;
    for (const spec of options.inputs ?? []) this.input(spec);
    for (const spec of options.outputs ?? []) this.output(spec);
  }

  input(spec: ArtifactSpec, opts: ArtifactOptions = {}): this {
    const p = this.artifact(spec, opts);
    p.catch(() => undefined);
    this.inputs.push(p);
    return this;
  }

  output(spec: ArtifactSpec, opts: ArtifactOptions = {}): this {
    this.outputs.push(typeof spec === 'string' ? { path: spec, ...opts } : { ...spec, ...opts });
    return this;
  }

  metric(name: string, value: number): this {
    if (typeof value === 'number' && Number.isFinite(value)) this.metrics[name] = value;
    else warn(`metric "${name}" of run "${this.component}" ignored: ${String(value)} is not a finite number`);
    return this;
  }

  param(name: string, value: unknown): this {
    this.params[name] = value;
    return this;
  }

  note(text: string): this {
    this.notes = this.notes ? `${this.notes}\n${text}` : text;
    return this;
  }

  /** Ends the run and delivers it (once); never throws. */
  end(status: 'ok' | 'failed' = this.status, error?: unknown): Promise<Delivery> {
    if (this.ended) return this.ended;
    this.status = status;
    if (error !== undefined) this.note(`failed: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
    const end = new Date().toISOString();
    this.ended = (async (): Promise<Delivery> => {
      if (!enabled()) return (this.delivery = 'off');
      try {
        const payload = await this.payload(end);
        return (this.delivery = await deliver(payload, this.options.home ?? sightlineHome(), this.options.timeoutMs ?? DEFAULT_LINEAGE_TIMEOUT_MS));
      } catch (err) {
        warn(`lineage of run "${this.component}" was not recorded: ${err instanceof Error ? err.message : String(err)}`);
        return (this.delivery = 'lost');
      }
    })();
    return this.ended;
  }

  private async payload(end: string): Promise<RunRequest & { id: string }> {
    const inputs = (await Promise.all(this.inputs.map((p) => p.catch(() => null)))).filter((a): a is ArtifactRef => a !== null);
    const outputs = (await Promise.all(this.outputs.map((s) => this.artifact(s, {}).catch(() => null)))).filter((a): a is ArtifactRef => a !== null);
    const git = await gitState(this.code ? path.dirname(this.code.file) : process.cwd());
    return {
      id: this.id, component: this.component, start: this.start, end, status: this.status,
      git_commit: git.commit, git_dirty: git.dirty,
      code_file: this.code ? displayPath(this.code.file) : null, code_line: this.code?.line ?? null,
      params: JSON.parse(JSON.stringify(this.params, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : typeof v === 'bigint' ? String(v) : v))) as RunRequest['params'],
      metrics: this.metrics, inputs, outputs,
      ...(this.notes !== undefined ? { notes: this.notes } : {}),
      ...(this.options.owner !== undefined ? { owner: this.options.owner } : {}),
      ...(this.options.tags !== undefined ? { tags: this.options.tags } : {}),
      ...(this.options.description !== undefined ? { description: this.options.description } : {}),
    };
  }

  private async artifact(spec: ArtifactSpec, opts: ArtifactOptions): Promise<ArtifactRef> {
    const o: { path?: string } & ArtifactOptions = typeof spec === 'string' ? { path: spec, ...opts } : { ...spec, ...opts };
    const what = o.path ?? o.name ?? '?';
    try {
      const art: ArtifactRef = { name: o.name ?? '', kind: o.kind ?? 'data' };
      if (o.path) {
        art.name = o.name ?? displayPath(o.path);
        art.uri = o.uri ?? pathToFileURL(path.resolve(o.path)).href;
        art.kind = o.kind ?? (MODEL_SUFFIXES.has(path.extname(o.path).toLowerCase()) ? 'model' : 'data');
        if (existsSync(o.path) && statSync(o.path)) {
          const h = await hashFile(o.path);
          art.content_hash = h.hash;
          art.size = h.size;
        } else warn(`${o.path} does not exist; run "${this.component}" records it without a content hash (its lineage then falls back to name matching)`);
      } else if ('value' in o) art.content_hash = hashValue(o.value);
      if (o.uri !== undefined) art.uri = o.uri;
      if (o.contentHash !== undefined) art.content_hash = o.contentHash.toLowerCase();
      if (o.size !== undefined) art.size = o.size;
      if (!art.name) throw new Error('an artifact needs a path or a name');
      if (!KINDS.includes(art.kind as ArtifactKind)) throw new Error(`kind must be one of ${KINDS.join(', ')}`);
      return art;
    } catch (err) {
      warn(`artifact ${what} of run "${this.component}" not recorded: ${err instanceof Error ? err.message : String(err)}`);
      throw err;
    }
  }
}

/** Starts a run; call `end()` when the step is done (or use `withRun`). */
export function startRun(component: string, options: RunOptions = {}): RunRecorder {
  return new RunRecorder(component, { ...options, codeLocation: options.codeLocation === undefined ? callerLocation() : options.codeLocation });
}

/** Runs `fn` as a run of `component`; its errors propagate after the run is logged `failed`. */
export async function withRun<T>(component: string, options: RunOptions, fn: (run: RunRecorder) => T | Promise<T>): Promise<T> {
  const run = new RunRecorder(component, { ...options, codeLocation: options.codeLocation === undefined ? callerLocation() : options.codeLocation });
  let result: T;
  try {
    result = await fn(run);
  } catch (err) {
    await run.end('failed', err);
    throw err;
  }
  await run.end('ok');
  return result;
}

type AnyFn = (...args: any[]) => any;
type Specs = ArtifactSpec[] | ((...args: any[]) => ArtifactSpec[]);

/**
 * Wraps a step function (or decorates a method) so every call is a run of `component`.
 * `inputs`/`outputs` are specs or a function of the call's arguments. The wrapped function
 * returns a Promise of the original result.
 */
export function componentRun(component: string, options: Omit<RunOptions, 'inputs' | 'outputs'> & { inputs?: Specs; outputs?: Specs } = {}) {
  const location = options.codeLocation === undefined ? callerLocation() : options.codeLocation;
  return <F extends AnyFn>(fn: F, _context?: unknown): ((...args: Parameters<F>) => Promise<Awaited<ReturnType<F>>>) => {
    return async function (this: unknown, ...args: Parameters<F>): Promise<Awaited<ReturnType<F>>> {
      const resolve = (s: Specs | undefined): ArtifactSpec[] => {
        try {
          return typeof s === 'function' ? s(...args) : (s ?? []);
        } catch (err) {
          warn(`artifacts of "${component}" not recorded: ${err instanceof Error ? err.message : String(err)}`);
          return [];
        }
      };
      const { inputs, outputs, ...rest } = options;
      const run = new RunRecorder(component, { ...rest, codeLocation: location, inputs: resolve(inputs) });
      let result: Awaited<ReturnType<F>>;
      try {
        result = await fn.apply(this, args);
      } catch (err) {
        await run.end('failed', err);
        throw err;
      }
      for (const o of resolve(outputs)) run.output(o);
      await run.end('ok');
      return result;
    };
  };
}
