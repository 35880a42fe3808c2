import type { Command } from 'commander';
import { ExecutionProvider, SightlineError } from '../../protocol';
import { validateModel } from '../eval/validate';
import { int, num } from '../replay/cli-support';
import { printJson, runCommand } from './output';

/** `sightline validate MODEL.onnx`: load, hash, signature vs card and feature map, smoke request, output checks, latency, memory. */
export function registerValidate(program: Command): void {
  program
    .command('validate <model>')
    .description('check that a model is fit to ship: loads, matches its card and the feature map, gives finite in-range outputs; measures latency and memory (exit 1 when a check fails)')
    .option('--workspace <dir>', 'the workspace (sightline.json) whose feature map and baseline to use (default: found from the model\'s folder upwards)')
    .option('--provider <name>', `execution provider: ${ExecutionProvider.options.join(' | ')}`)
    .option('--threads <n>', 'onnxruntime intra-op threads')
    .option('--rows <n>', 'smoke rows', '64')
    .option('--calls <n>', 'single-row calls timed for latency', '200')
    .option('--max-p99-ms <ms>', 'fail when the p99 latency of single-row calls is above this (without it latency is reported as info)')
    .option('--max-memory-mb <MiB>', 'fail when resident memory grows by more than this while loading and running the model (without it memory is reported as info)')
    .option('--json', 'print the report as JSON (schema: `sightline schema ValidationReport`)')
    .addHelpText('after', '\nChecks: load, card, signature, outputs, feature_map, smoke (no NaN/Inf), range (probabilities in [0, 1]), classes (valid ids), latency, memory.\nExit codes: 0 valid, 1 a check failed, 2 bad usage or bad input.\n')
    .action((model: string, o: { workspace?: string; provider?: string; threads?: string; rows?: string; calls?: string; maxP99Ms?: string; maxMemoryMb?: string; json?: boolean }) => runCommand(async () => {
      const provider = o.provider === undefined ? undefined : ExecutionProvider.safeParse(o.provider);
      if (provider && !provider.success) throw new SightlineError('invalid_request', `--provider must be ${ExecutionProvider.options.join(', ')}`);
      const report = await validateModel(model, {
        ...(o.workspace ? { workspace: o.workspace } : {}),
        ...(provider?.success ? { provider: provider.data } : {}),
        ...(o.threads ? { threads: int(o.threads, '--threads') } : {}),
        rows: int(o.rows ?? '64', '--rows'),
        latencyCalls: int(o.calls ?? '200', '--calls'),
        ...(o.maxP99Ms !== undefined ? { maxP99Ms: positive(o.maxP99Ms, '--max-p99-ms') } : {}),
        ...(o.maxMemoryMb !== undefined ? { maxMemoryMb: positive(o.maxMemoryMb, '--max-memory-mb') } : {}),
      });
      if (o.json) printJson(report);
      else {
        process.stdout.write(`${report.model.name ?? '?'}@${report.model.version ?? '?'} ${report.model.path} (sha256 ${report.model.id.slice(0, 12)}, ${report.model.execution_provider ?? 'not loaded'}, onnxruntime ${report.model.onnxruntime})\n`);
        for (const c of report.checks) process.stdout.write(`  ${c.status.toUpperCase().padEnd(4)} ${c.check.padEnd(12)} ${c.message}\n`);
        process.stdout.write(report.ok ? 'valid\n' : 'INVALID\n');
      }
      return report.ok ? 0 : 1;
    }));
}

function positive(value: string, flag: string): number {
  const x = num(value, flag);
  if (!(x > 0)) throw new SightlineError('invalid_request', `${flag} needs a positive number, got ${JSON.stringify(value)}`);
  return x;
}
