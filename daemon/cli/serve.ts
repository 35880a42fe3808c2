import type { Command } from 'commander';
import { ExecutionProvider, SightlineError } from '../../protocol';
import { chaosFromOptions } from '../chaos';
import { DEFAULT_DAEMON_OPTIONS, Daemon } from '../server/daemon';
import { runCommand } from './output';

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('run the daemon: serve models on 127.0.0.1 and log every prediction to the trace file')
    .requiredOption('--trace <file>', 'trace file (DuckDB) to write; created if missing')
    .option('--model <path...>', '.onnx files or folders to load', [])
    .option('--port <n>', 'port on 127.0.0.1 (0 = pick a free one)', '0')
    .option('--provider <ep>', 'execution provider: cpu | webgpu | cuda (falls back to cpu with a message)', 'cpu')
    .option('--shadow <candidate=primary...>', 'run candidate.onnx in shadow of the model named primary', [])
    .option('--durable', 'acknowledge a request only after its rows are committed', false)
    .option('--flush-interval <ms>', 'commit queued predictions at least this often', String(DEFAULT_DAEMON_OPTIONS.flushIntervalMs))
    .option('--max-batch <rows>', 'micro-batch size for concurrent requests', String(DEFAULT_DAEMON_OPTIONS.maxBatchRows))
    .option('--max-wait <ms>', 'longest a request waits for a micro-batch to fill', String(DEFAULT_DAEMON_OPTIONS.maxWaitMs))
    .option('--threads <n>', 'onnxruntime intra-op threads (default: one per core)')
    .option('--log-raw', 'also keep each raw input record as JSON', false)
    .option('--no-logging', 'serve without logging (for benchmarks)')
    .option('--max-body <bytes>', 'largest accepted request body', String(DEFAULT_DAEMON_OPTIONS.maxBodyBytes))
    .option('--allow-origin <origin...>', 'browser origins allowed to call the daemon (none by default)', [])
    .option('--memory-limit <size>', "DuckDB's memory limit for the trace (cache and query memory, e.g. 128MB, 1GB); larger queries spill to <trace>.tmp", DEFAULT_DAEMON_OPTIONS.memoryLimit)
    .option('--read-only', "open the trace read-only (e.g. a teammate's file): queries and analyses, no models, no writes", false)
    .option('--chaos <spec...>', 'inject faults on purpose, marked in the log: latency=50ms@0.1, drop@0.05, flip@0.3, noise=0.1@0.5, shift:FEATURE=+N|-N|*N|VALUE@SHARE [,model=NAME], or a .json file of them (docs/reliability.md)', [])
    .option('--chaos-seed <n>', 'seed of --chaos (same seed and requests, same faults)')
    .action((opts) => runCommand(async () => {
      const provider = ExecutionProvider.parse(opts.provider);
      // Parsed before anything starts: a bad spec exits 2 at once.
      const chaos = chaosFromOptions(opts.chaos as string[], opts.chaosSeed as string | undefined);
      if (chaos && opts.readOnly) throw new SightlineError('invalid_request', '--chaos injects faults into serving; a --read-only daemon serves no models');
      const daemon = await Daemon.start({
        ...DEFAULT_DAEMON_OPTIONS,
        trace: opts.trace,
        models: opts.model,
        port: int(opts.port, 'port'),
        provider,
        durable: Boolean(opts.durable),
        flushIntervalMs: int(opts.flushInterval, 'flush-interval'),
        maxBatchRows: int(opts.maxBatch, 'max-batch'),
        maxWaitMs: int(opts.maxWait, 'max-wait'),
        ...(opts.threads ? { intraOpThreads: int(opts.threads, 'threads') } : {}),
        logRaw: Boolean(opts.logRaw),
        logging: opts.logging !== false,
        maxBodyBytes: int(opts.maxBody, 'max-body'),
        allowedOrigins: opts.allowOrigin,
        readOnly: Boolean(opts.readOnly),
        memoryLimit: memorySize(opts.memoryLimit),
        shadows: (opts.shadow as string[]).map((s) => {
          const [p, primary] = s.split('=');
          if (!p || !primary) throw new SightlineError('invalid_request', `--shadow takes candidate.onnx=primaryName, got ${s}`);
          return { path: p, primary };
        }),
        log: (level, msg) => process.stderr.write(`[${level}] ${msg}\n`),
      });
      for (const m of daemon.registry.list()) {
        process.stderr.write(`model ${m.ref} ${m.id.slice(0, 12)} on ${m.provider}${m.opened.fallbackReason ? ` (${m.opened.fallbackReason})` : ''}\n`);
      }
      if (chaos) {
        // Checked against the loaded models (a typo would inject nothing); set before the readiness line.
        try {
          chaos.check(daemon.registry.list());
        } catch (err) {
          await daemon.stop();
          throw err;
        }
        daemon.predictor.chaos = chaos;
        for (const line of chaos.describe()) process.stderr.write(`chaos: ${line}\n`);
        process.stderr.write(`chaos: seed ${chaos.seed} (--chaos-seed ${chaos.seed} reproduces these faults for the same requests)\n`);
      }
      await new Promise<void>((resolve) => {
        let stopping = false;
        const stop = (): void => {
          if (stopping) return;
          stopping = true;
          process.stderr.write('stopping: committing queued predictions…\n');
          if (chaos) process.stderr.write(`chaos: ${JSON.stringify(chaos.stats)}\n`);
          void daemon.stop().then(resolve, resolve);
        };
        // Handlers first, then the readiness line: a supervisor may signal as soon as it reads it.
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
        process.stdout.write(`listening on http://127.0.0.1:${daemon.port}\n`);
      });
    }));
}

/** A DuckDB memory size: a number and a unit (KB, MB, GB, TB, or KiB, MiB, GiB, TiB). */
function memorySize(v: string): string {
  if (!/^\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/i.test(v.trim())) throw new SightlineError('invalid_request', `--memory-limit takes a size such as 128MB or 1GB, got ${v}`);
  return v.trim();
}

export function int(v: string, name: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new SightlineError('invalid_request', `--${name} must be a non-negative integer, got ${v}`);
  return n;
}
