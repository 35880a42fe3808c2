/**
 * Splits a command line into argv words the way a POSIX shell tokenises it, without running a
 * shell: the offline feature command of replay skew is spawned directly, so nothing in it is
 * expanded (no variables, globs, `~`, command substitution) and nothing chains or redirects.
 *
 * - Unquoted whitespace separates words; `'…'` is literal; inside `"…"` a backslash escapes
 *   only `\`, `"`, `$`, `` ` `` and a newline (which it removes); elsewhere a backslash makes the
 *   next character literal (a backslash-newline is removed).
 * - Unquoted shell operators (`|`, `&`, `;`, `<`, `>`, `(`, `)`) are refused with a hint, as are
 *   unterminated quotes and an empty command: they would not mean here what they mean in a shell.
 */

export class ShellWordsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ShellWordsError';
  }
}

const OPERATORS = new Set(['|', '&', ';', '<', '>', '(', ')']);
const DOUBLE_QUOTE_ESCAPABLE = new Set(['\\', '"', '$', '`', '\n']);

export function splitShellWords(command: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let i = 0;
  while (i < command.length) {
    const c = command[i]!;
    if (c === ' ' || c === '\t' || c === '\n') {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
      i++;
    } else if (c === "'") {
      const end = command.indexOf("'", i + 1);
      if (end < 0) throw new ShellWordsError(`unterminated single quote in ${JSON.stringify(command)}`);
      word += command.slice(i + 1, end);
      inWord = true;
      i = end + 1;
    } else if (c === '"') {
      i++;
      inWord = true;
      for (;;) {
        if (i >= command.length) throw new ShellWordsError(`unterminated double quote in ${JSON.stringify(command)}`);
        const d = command[i]!;
        if (d === '"') {
          i++;
          break;
        }
        if (d === '\\' && i + 1 < command.length && DOUBLE_QUOTE_ESCAPABLE.has(command[i + 1]!)) {
          if (command[i + 1] !== '\n') word += command[i + 1];
          i += 2;
        } else {
          word += d;
          i++;
        }
      }
    } else if (c === '\\') {
      if (i + 1 >= command.length) throw new ShellWordsError(`trailing backslash in ${JSON.stringify(command)}`);
      if (command[i + 1] !== '\n') {
        word += command[i + 1];
        inWord = true;
      }
      i += 2;
    } else if (OPERATORS.has(c)) {
      throw new ShellWordsError(
        `${JSON.stringify(c)} in ${JSON.stringify(command)}: the command runs without a shell, so pipes, redirections and command lists do not work; quote the character if it is an argument, or put the pipeline in a script`,
      );
    } else {
      word += c;
      inWord = true;
      i++;
    }
  }
  if (inWord) words.push(word);
  if (words.length === 0) throw new ShellWordsError('the command is empty');
  return words;
}
