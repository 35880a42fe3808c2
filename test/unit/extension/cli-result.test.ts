import { describe, expect, it } from 'vitest';
import { CliError, cliResult, CommandNotAvailable, helpShowsCommand } from '../../../extension/cli-result';

describe('cliResult: what a `sightline … --json` run meant', () => {
  it('exit 0 with JSON: the result', () => {
    expect(cliResult('replay', 0, '{"run_id":"r1","passed":true}\n', 'progress 50 %\n')).toEqual({ json: { run_id: 'r1', passed: true }, gateFailed: false });
  });

  it('exit 1 with JSON: a full result whose declared gate failed', () => {
    expect(cliResult('compare', 1, '{"passed":false}', '')).toEqual({ json: { passed: false }, gateFailed: true });
  });

  it('an unknown command: CommandNotAvailable (returned, so the caller can remember it)', () => {
    const r = cliResult('eval', 2, '', "error: unknown command 'eval'\n");
    expect(r).toBeInstanceOf(CommandNotAvailable);
    expect((r as CommandNotAvailable).command).toBe('eval');
    expect((r as CommandNotAvailable).message).toBe('`sightline eval` is not available in this version of Sightline');
  });

  it('anything else throws CliError with the last lines of stderr and the exit code', () => {
    const err = (() => { try { cliResult('replay', 2, '', 'a\n\nb\nc\nbad_file: trace not found\n'); } catch (e) { return e; } })() as CliError;
    expect(err).toBeInstanceOf(CliError);
    expect(err.message).toBe('b · c · bad_file: trace not found');
    expect(err.exitCode).toBe(2);
    expect(() => cliResult('replay', 0, 'not json', '')).toThrow('sightline replay exited with code 0');
    expect(() => cliResult('replay', null, '', '')).toThrow('sightline replay exited with code null');
    // JSON with a code other than 0/1 is an error too (exit 2: bad input prints a JSON error).
    expect(() => cliResult('replay', 2, '{"code":"invalid_request"}', 'invalid_request: --last')).toThrow('invalid_request: --last');
  });

  it('helpShowsCommand: only `help <cmd>` that exits 0 and prints that command\u2019s usage', () => {
    expect(helpShowsCommand('compare', 0, 'Usage: sightline compare [options]\n')).toBe(true);
    expect(helpShowsCommand('compare', 0, 'Usage: sightline [options] [command]\n')).toBe(false);
    expect(helpShowsCommand('compare', 1, 'Usage: sightline compare [options]\n')).toBe(false);
  });
});
