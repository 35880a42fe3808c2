import { Command } from 'commander';
import { VERSION } from '../version';
import { registerBaseline } from './baseline';
import { registerDrift } from './drift';
import { registerQuality } from './quality';
import { registerSlices } from './slices';
import { registerFreshness } from './freshness';
import { registerImport } from './import';
import { registerLsp } from './lsp';
import { registerModels } from './models';
import { registerOpen } from './open';
import { registerPredict } from './predict';
import { registerSchema } from './schema';
import { registerServe } from './serve';
import { registerSkew } from './skew';
import { registerFlag } from './flag';
import { registerReview } from './review';
import { registerTrace } from './trace';
import { registerReplay } from './replay';
import { registerEval } from './eval';
import { registerCompare } from './compare';
import { registerValidate } from './validate';
import { registerExport } from './export';
import { registerDiff } from './diff';
import { registerPrune } from './prune';
import { registerForget } from './forget';
import { registerMigrate } from './migrate';

/** `sightline`: the daemon, the CLI and (later) the language server in one bundle. */
const program = new Command()
  .name('sightline')
  .description('Sightline: why does my model misbehave? Drift, skew, slices and lineage for ONNX models.')
  .version(VERSION)
  .showHelpAfterError('(run `sightline --help` for usage)')
  .exitOverride((err) => {
    // commander's own usage errors: exit 2 like every other bad-usage case.
    process.exit(err.exitCode === 0 ? 0 : 2);
  });

registerServe(program);
registerPredict(program);
registerImport(program);
registerModels(program);
registerSchema(program);
registerOpen(program);
registerLsp(program);
registerBaseline(program);
registerDrift(program);
registerQuality(program);
registerSlices(program);
registerFreshness(program);
registerSkew(program);
registerTrace(program);
registerFlag(program);
registerReview(program);
registerReplay(program);
registerEval(program);
registerCompare(program);
registerValidate(program);
registerExport(program);
registerDiff(program);
registerPrune(program);
registerForget(program);
registerMigrate(program);

program.parseAsync(process.argv).catch((err: unknown) => {
  process.stderr.write(`sightline: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(2);
});
