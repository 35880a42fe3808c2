/**
 * splitShellWords against bash itself: each expected argv below is what
 *   bash -c 'printf "%s\0" <command>'
 * printed (GNU bash 5.2, Debian 12), split on NUL — generated with /usr/bin/python3 and pasted.
 */
import { describe, expect, test } from 'vitest';
import { ShellWordsError, splitShellWords } from '../../../daemon/analysis/skew/shell-words.js';

const BASH: Array<[string, string[]]> = [
  ['python3 samples/flights/features.py --jsonl', ['python3', 'samples/flights/features.py', '--jsonl']],
  ["python3 -c 'import sys; print(1)'", ['python3', '-c', 'import sys; print(1)']],
  ['a "b c" d', ['a', 'b c', 'd']],
  ['a\\ b "c\\"d" e\\\\f', ['a b', 'c"d', 'e\\f']],
  ["'it'\"'\"'s'", ["it's"]],
  ['x  \t  y', ['x', 'y']],
  ['"a\\$b\\`c\\\\d\\e"', ['a$b`c\\d\\e']],
  ["a'b'c\"d\"e", ['abcde']],
  ['env "" x', ['env', '', 'x']],
  ['"" ""', ['', '']],
  ['a\\\nb', ['ab']],
  ['"x\\\ny"', ['xy']],
  ['  lead trail  ', ['lead', 'trail']],
  ["'a|b' \"c;d\" e\\>f", ['a|b', 'c;d', 'e>f']],
];

describe('splitShellWords tokenises like a POSIX shell', () => {
  test.each(BASH)('%j', (command, argv) => {
    expect(splitShellWords(command)).toEqual(argv);
  });

  test('expands nothing: variables, globs and ~ stay as written', () => {
    expect(splitShellWords('python3 $HOME/*.py ~/x')).toEqual(['python3', '$HOME/*.py', '~/x']);
  });
});

describe('splitShellWords refuses what would not mean here what it means in a shell', () => {
  test.each(['python3 f.py | jq .', 'python3 f.py > out.jsonl', 'a; b', 'a && b', 'a < in', '(a)', 'a &'])('%j', (command) => {
    expect(() => splitShellWords(command)).toThrow(/without a shell/);
  });

  test.each([
    ['python3 "f.py', /unterminated double quote/],
    ["python3 'f.py", /unterminated single quote/],
    ['python3 f.py \\', /trailing backslash/],
    ['', /empty/],
    ['   ', /empty/],
  ] as const)('%j', (command, message) => {
    expect(() => splitShellWords(command)).toThrow(ShellWordsError);
    expect(() => splitShellWords(command)).toThrow(message);
  });
});
