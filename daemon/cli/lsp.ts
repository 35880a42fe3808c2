import type { Command } from 'commander';
import { startLanguageServer } from '../lsp/server';

export function registerLsp(program: Command): void {
  program
    .command('lsp')
    .description('run the language server (findings inline on feature code) for VS Code, Neovim or any LSP editor')
    .option('--stdio', 'talk LSP over stdin/stdout (the only transport)')
    // Editors append their own flags (VS Code: --clientProcessId=<pid>); they must not fail startup.
    .allowUnknownOption(true)
    .allowExcessArguments(true)
    .action((opts: { stdio?: boolean }) => {
      if (!opts.stdio) {
        process.stderr.write('sightline lsp: pass --stdio (the language server talks LSP over stdin/stdout)\n');
        process.exitCode = 2;
        return;
      }
      // stdout carries LSP frames only: anything a library prints goes to stderr instead.
      console.log = console.error;
      console.info = console.error;
      console.debug = console.error;
      // A stray rejection would end the process (Node's default) and the editor loses every
      // finding; log it instead, the server's state is rebuilt on the next change anyway.
      process.on('unhandledRejection', (err) => console.error('sightline lsp: unhandled rejection:', err));
      startLanguageServer(process.stdin, process.stdout);
      // An editor that dies closes our stdin without `shutdown`/`exit`: do not linger.
      process.stdin.once('end', () => process.exit(0));
    });
}
