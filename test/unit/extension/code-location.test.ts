import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { repositoryRoot, resolveCodeLocation, type CodeLocationContext } from '../../../extension/code-location';

/** A context over a fixed set of files (and `.git` folders), as the host builds it over the disk. */
function fakeFs(files: string[], gitDirs: string[] = [], folders: string[] = [], trace?: string): CodeLocationContext {
  const set = new Set(files);
  const git = new Set(gitDirs);
  return { workspaceFolders: folders, trace, isFile: (p) => set.has(p), gitRoot: (dir) => repositoryRoot(dir, (p) => git.has(p)) };
}

describe('resolveCodeLocation: a lineage path, as the SDK recorded it, to a file on this machine', () => {
  it('resolves a repository-relative path against the workspace folder that is the repository', () => {
    const ctx = fakeFs(['/home/me/repo/pipeline/flights_pipeline.py'], [], ['/home/me/repo']);
    expect(resolveCodeLocation('pipeline/flights_pipeline.py', ctx)).toEqual({ found: true, path: '/home/me/repo/pipeline/flights_pipeline.py' });
  });

  it('takes the first workspace folder where the file exists', () => {
    const ctx = fakeFs(['/ws/b/train.py', '/ws/c/train.py'], [], ['/ws/a', '/ws/b', '/ws/c']);
    expect(resolveCodeLocation('train.py', ctx)).toMatchObject({ found: true, path: '/ws/b/train.py' });
  });

  it('resolves against the git repository a workspace folder is in (the workspace is samples/flights of the repo)', () => {
    const ctx = fakeFs(['/work/repo/samples/flights/train.py'], ['/work/repo/.git'], ['/work/repo/samples/flights']);
    expect(resolveCodeLocation('samples/flights/train.py', ctx)).toEqual({ found: true, path: '/work/repo/samples/flights/train.py' });
  });

  it('resolves against the repository of a trace opened from elsewhere', () => {
    const ctx = fakeFs(['/elsewhere/project/pipeline/features.py'], ['/elsewhere/project/.git'], ['/ws/other'], '/elsewhere/project/.sightline/trace.duckdb');
    expect(resolveCodeLocation('pipeline/features.py', ctx)).toEqual({ found: true, path: '/elsewhere/project/pipeline/features.py' });
  });

  it('finds the file in a copy of a repository folder (the e2e workspace is a copy of samples/flights)', () => {
    const ctx = fakeFs(['/tmp/e2e-1/flights/train.py'], [], ['/tmp/e2e-1/flights']);
    expect(resolveCodeLocation('samples/flights/train.py', ctx)).toEqual({ found: true, path: '/tmp/e2e-1/flights/train.py' });
  });

  it('prefers the occurrence of the folder name whose parents match too', () => {
    const ctx = fakeFs(['/x/samples/flights/a.py', '/x/samples/flights/flights/a.py'], [], ['/x/samples/flights']);
    // samples/flights/flights/a.py: the first "flights" follows "samples" as the folder does.
    expect(resolveCodeLocation('samples/flights/flights/a.py', ctx)).toMatchObject({ found: true, path: '/x/samples/flights/flights/a.py' });
  });

  it('opens an absolute path that exists as it is, and re-roots one recorded on another machine', () => {
    const ctx = fakeFs(['/abs/model.onnx', '/ws/flights/models/v2.onnx'], [], ['/ws/flights']);
    expect(resolveCodeLocation('/abs/model.onnx', ctx)).toEqual({ found: true, path: '/abs/model.onnx' });
    expect(resolveCodeLocation('/home/bob/repo/samples/flights/models/v2.onnx', ctx)).toEqual({ found: true, path: '/ws/flights/models/v2.onnx' });
    expect(resolveCodeLocation('C:\\Users\\bob\\flights\\models\\v2.onnx', ctx)).toEqual({ found: true, path: '/ws/flights/models/v2.onnx' });
  });

  it('decodes file: URIs (artifact URIs), percent-escapes included', () => {
    const ctx = fakeFs(['/data/my files/raw.json'], [], []);
    expect(resolveCodeLocation('file:///data/my%20files/raw.json', ctx)).toEqual({ found: true, path: '/data/my files/raw.json' });
  });

  it('says clearly when the file is nowhere, and where it looked', () => {
    const ctx = fakeFs([], [], ['/ws/flights']);
    const r = resolveCodeLocation('pipeline/gone.py', ctx);
    expect(r.found).toBe(false);
    if (r.found) return;
    expect(r.message).toBe('Sightline: cannot open pipeline/gone.py (recorded in the lineage): no such file in the workspace (/ws/flights).');
    expect(r.tried).toEqual(['/ws/flights/pipeline/gone.py']);
    const none = resolveCodeLocation('/nope/x.py', fakeFs([], [], []));
    expect(none).toMatchObject({ found: false, message: 'Sightline: cannot open /nope/x.py (recorded in the lineage): no such file in no workspace folder (none is open) or at that path.' });
    expect(resolveCodeLocation('  ', ctx)).toMatchObject({ found: false, message: expect.stringMatching(/empty file path/) });
  });

  it('does not mistake a folder for the file', () => {
    // isFile is false for folders: the folder /ws/pipeline is not "found".
    expect(resolveCodeLocation('pipeline', fakeFs([], [], ['/ws'])).found).toBe(false);
  });
});

describe('repositoryRoot and the resolver on a real disk', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sightline-codeloc-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('finds the nearest folder with .git above a folder, and none where there is none', () => {
    mkdirSync(path.join(dir, 'repo', '.git'), { recursive: true });
    mkdirSync(path.join(dir, 'repo', 'samples', 'flights'), { recursive: true });
    writeFileSync(path.join(dir, 'repo', 'samples', 'flights', 'train.py'), 'print(1)\n');
    expect(repositoryRoot(path.join(dir, 'repo', 'samples', 'flights'), existsSync)).toBe(path.join(dir, 'repo'));
    expect(repositoryRoot('/', (p) => p === '/x')).toBeUndefined();
    const ctx: CodeLocationContext = {
      workspaceFolders: [path.join(dir, 'repo', 'samples', 'flights')],
      isFile: (p) => statSync(p, { throwIfNoEntry: false })?.isFile() ?? false,
      gitRoot: (d) => repositoryRoot(d, existsSync),
    };
    expect(resolveCodeLocation('samples/flights/train.py', ctx)).toEqual({ found: true, path: path.join(dir, 'repo', 'samples', 'flights', 'train.py') });
    expect(resolveCodeLocation(pathToFileURL(path.join(dir, 'repo', 'samples', 'flights', 'train.py')).href, ctx)).toMatchObject({ found: true });
  });
});
