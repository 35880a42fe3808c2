/**
 * Node options the daemon runs with; its launchers (the extension's supervisor, `npm run demo`,
 * the test and bench harnesses) put them before the script. They cannot be set from inside: V8
 * sizes its heap when the process starts.
 *
 * `--max-semi-space-size=2` (MB): V8 grows the young generation of a process that allocates
 * steadily up to 16 MB per semi-space and keeps it; under the soak's steady load (500 predictions
 * a second) its committed heap rose by ~20 MB over ten minutes while the live heap stayed flat,
 * half of the daemon's RSS growth. With 2 MB the committed heap stayed at ~34 MB (soak, 10 min);
 * requests allocate little that outlives them, so scavenges stay cheap (`npm run bench -- daemon`
 * measures the served throughput with it).
 */
export const DAEMON_NODE_OPTIONS: readonly string[] = ['--max-semi-space-size=2'];
