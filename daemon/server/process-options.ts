/**
 * How the daemon's process is started, so that its memory stays flat over days of traffic. Its
 * launchers (the extension's supervisor, `npm run demo`, the test and bench harnesses) pass these;
 * neither can be set from inside: V8 sizes its heap and glibc its allocator when the process starts.
 * The soak (`npm run stress -- soak`, 500 predictions a second for 10 minutes) measured each.
 */

/**
 * `--max-semi-space-size=2` (MB): V8 grows the young generation of a process that allocates
 * steadily up to 16 MB per semi-space and keeps it; under the soak its committed heap rose by
 * ~20 MB while the live heap stayed flat, half of the daemon's RSS growth. With 2 MB the committed
 * heap stayed at ~34 MB. Requests allocate little that outlives them, so scavenges stay cheap
 * (`npm run bench -- daemon` measures the served throughput with it).
 */
export const DAEMON_NODE_OPTIONS: readonly string[] = ['--max-semi-space-size=2'];

/**
 * `GLIBC_TUNABLES=glibc.malloc.arena_max=2`: glibc gives each thread that allocates its own arena
 * (up to 8 per core) — libuv's pool running DuckDB queries, DuckDB's and onnxruntime's threads —
 * and memory freed in one stays there; the soak's per-thread arenas grew by ~15 MB in 8 minutes
 * with a live heap of ~30 MB (heaptrack). Two arenas held that to ~5 MB. Ignored where glibc is
 * not the C library (macOS, musl, Windows); a GLIBC_TUNABLES the user set is kept as is.
 */
export function daemonEnv(base: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return base.GLIBC_TUNABLES === undefined ? { ...base, GLIBC_TUNABLES: 'glibc.malloc.arena_max=2' } : { ...base };
}

/** How to spawn `script` (bin/sightline.js or the bundle) as the daemon on this Node: program, arguments, environment. */
export function daemonProcess(script: string, args: readonly string[], env: NodeJS.ProcessEnv): { command: string; args: string[]; env: NodeJS.ProcessEnv } {
  return { command: process.execPath, args: [...DAEMON_NODE_OPTIONS, script, ...args], env: daemonEnv(env) };
}
