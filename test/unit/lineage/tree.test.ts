/** The terminal tree of a trace: name-only matches, staleness, flags, shared nodes, warnings. */
import { expect, test } from 'vitest';
import { buildTrace } from '../../../daemon/lineage/graph';
import { formatTrace } from '../../../daemon/lineage/tree';
import { Builder, DAY, T0 } from './builder';

test('a run fed by a name-only match and a stale input, with a flag and a node reached twice', () => {
  const b = new Builder();
  const raw = b.artifact('raw.csv', 'raw', T0);
  const clean = b.artifact('clean.csv', 'clean', T0 + 1000);
  b.run('clean-0001', 'clean', T0, T0 + 1000, [raw], [clean], { git_commit: 'abcdef1234567', git_dirty: true, code_file: 'p.py', code_line: 3 });
  const labels = b.artifact('labels', null, T0 + 2000, 'labels');
  b.run('label-0001', 'labeler', T0, T0 + 1500, [raw], [b.artifact('labels', null, T0 + 1500, 'labels')]);
  const train = b.run('train-0001', 'train', T0 + 40 * DAY, T0 + 40 * DAY + 2500, [clean, labels], [], { params: { C: 1, grid: [1, 2] }, metrics: { auc: 0.712345 } });
  b.flags.push({ target_kind: 'run', target_id: 'train-0001', reason: 'leaks labels', time: T0 + 50 * DAY, source: 'cli' });
  const text = formatTrace(buildTrace({ type: 'run', run: train }, b.index(), 30));
  expect(text.split('\n')).toEqual([
    'run train#train-00  ok  no commit  2024-02-10 00:00:00Z  2.5 s  STALE',
    '│  params C=1, grid=[1,2]',
    '│  metrics auc=0.7123',
    '│  STALE: input "clean.csv" was 40.0 days old when the run started (max 30)',
    '│  STALE: input "labels" was 40.0 days old when the run started (max 30)',
    '│  FLAGGED: leaks labels (cli, 2024-02-20T00:00:00.000Z)',
    '├─ data clean.csv  sha256 ' + b.artifacts.get(clean.id)!.content_hash!.slice(0, 12),
    '│  └─ run clean#clean-00  ok  commit abcdef1 (dirty)  p.py:3  2024-01-01 00:00:00Z  1.0 s',
    '│     └─ data raw.csv  sha256 ' + raw.content_hash!.slice(0, 12) + '  (source: no logged run wrote it)',
    '└─ labels labels  no hash',
    '   └─ run labeler#label-00  ok  no commit  2024-01-01 00:00:00Z  1.5 s [matched by name only]',
    '      └─ data raw.csv  sha256 ' + raw.content_hash!.slice(0, 12) + '  (source: no logged run wrote it)  (shown above)',
    '',
    'stale: 1 run(s) (inputs newer or older than 30 days), marked STALE above',
    '',
    'warnings:',
    '  ! "labels" has no content hash: linked to labeler#label-00 by name only',
  ]);
});
