import type { Command } from 'commander';
import { ExecutionProvider, SightlineError } from '../../protocol';
import { validateModel } from '../eval/validate';
import { int } from '../replay/cli-support';
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
    .option('--json', 'print the report as JSON (schema: `sightline schema ValidationReport`)')
    .action((model: string, o: { workspace?: string; provider?: string; threads?: string; rows?: string; calls?: string; json?: boolean }) => runCommand(async () => {
      const provider = o.provider === undefined ? undefined : ExecutionProvider.safeParse(o.provider);
      if (provider && !provider.success) throw new SightlineError('invalid_request', `--provider must be ${ExecutionProvider.options.join(', ')}`);
      const report = await validateModel(model, {
        ...(o.workspace ? { workspace: o.workspace } : {}),
        ...(provider?.success ? { provider: provider.data } : {}),
        ...(o.threads ? { threads: int(o.threads, '--threads') } : {}),
        rows: int(o.rows ?? '64', '--rows'),
        latencyCalls: int(o.calls ?? '200', '--calls'),
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
