import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { runToEnd } from '../helpers/process';
import { demoTrace } from '../helpers/sample';

export const ROOT = path.resolve(__dirname, '..', '..');
export const SAMPLE = path.join(ROOT, 'samples', 'flights');

/**
 * A copy of samples/flights (without its .work folder) whose workspace trace is the demo's real
 * trace (`npm run demo`: 60,000 served predictions, labels, drift and quality findings), plus the
 * real skew analysis of it (`sightline skew --save`), which finds the planted bug in route_delay_rate.
 * Its sightline.json also names the golden set for "Run Evaluation" (`eval`).
 */
export async function prepareWorkspace(parent: string): Promise<{ workspace: string; trace: string }> {
  const demo = await demoTrace();
  const workspace = path.join(parent, 'flights');
  cpSync(SAMPLE, workspace, {
    recursive: true,
    filter: (src) => !/[/\\](\.work|\.sightline|__pycache__)([/\\]|$)/.test(path.relative(SAMPLE, src) ? `/${path.relative(SAMPLE, src)}` : ''),
  });
  // The sample's transform (raw request → served features) is the repository's build of its serving
  // code, named relative to samples/flights; the copy lives elsewhere, so it names the build directly.
  const config = path.join(workspace, 'sightline.json');
  const settings = JSON.parse(readFileSync(config, 'utf8')) as { transform?: string };
  // "Sightline: Run Evaluation" reads its golden set and label column from "eval" (no file dialog).
  const evaluation = { eval: { data: 'traffic/golden.parquet', label: 'is_delayed' } };
  writeFileSync(config, JSON.stringify({ ...settings, ...evaluation, ...(settings.transform ? { transform: `node ${path.join(ROOT, 'dist', 'samples', 'serving-features.js')}` } : {}) }, null, 2));
  const trace = path.join(workspace, '.sightline', 'trace.duckdb');
  mkdirSync(path.dirname(trace), { recursive: true });
  cpSync(demo, trace);
  if (existsSync(`${demo}.wal`)) cpSync(`${demo}.wal`, `${trace}.wal`);
  const skew = await runToEnd(process.execPath, [path.join(ROOT, 'dist', 'sightline.js'), 'skew', '--db', trace, '--baseline', 'train-v1', '--save', '--json'], { cwd: workspace, env: { ...process.env, SIGHTLINE_HOME: path.join(parent, 'cli-home') } });
  if (skew.status !== 0) throw new Error(`sightline skew failed (${skew.status}): ${skew.stderr}`);
  return { workspace, trace };
}
