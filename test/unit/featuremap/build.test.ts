import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { buildFeatureMap } from '../../../daemon/featuremap';
import { FeatureMap, type FeatureMapEntry } from '../../../protocol';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A throwaway workspace: `files` maps relative paths to contents. */
function workspace(files: Record<string, string | object>): string {
  const root = mkdtempSync(path.join(os.tmpdir(), 'sightline-fm-'));
  dirs.push(root);
  for (const [rel, content] of Object.entries(files)) {
    const file = path.join(root, rel);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  }
  return root;
}

const TRAIN = `def hour(raw):\n    return raw.hour\n\n\ndef build(raw):\n    return {"hour": hour(raw), "city": raw["city"]}\n`;
const SERVE = `export function hour(raw: Raw): number {\n  return raw.hour;\n}\n\nexport function build(raw: Raw) {\n  return { hour: hour(raw), city: raw.city };\n}\n`;
const CONFIG = { featureCode: { training: 'pipeline/features.py', serving: 'app' } };
const FEATURES = [{ name: 'hour', kind: 'numeric' as const }, { name: 'city', kind: 'categorical' as const }];

const entry = (map: FeatureMap, name: string): FeatureMapEntry => map.features.find((f) => f.name === name)!;
const at = (l: { relative: string; line: number } | undefined): string | undefined => (l ? `${l.relative}:${l.line}` : undefined);

describe('buildFeatureMap', () => {
  it('maps by static discovery, ranking functions above keys, with sides from featureCode', () => {
    const root = workspace({ 'sightline.json': CONFIG, 'pipeline/features.py': TRAIN, 'app/serve.ts': SERVE, 'scripts/notes.py': 'x = {"hour": 1}\n' });
    const map = FeatureMap.parse(buildFeatureMap(root, { features: FEATURES }));
    const hour = entry(map, 'hour');
    expect(hour).toMatchObject({ status: 'mapped', source: 'static', kind: 'numeric' });
    expect(at(hour.training)).toBe('pipeline/features.py:1');
    expect(hour.training).toMatchObject({ kind: 'function', side: 'training', column: 5, endColumn: 9, endLine: 2, language: 'python' });
    expect(at(hour.serving)).toBe('app/serve.ts:1');
    expect(hour.serving).toMatchObject({ kind: 'function', side: 'serving', language: 'typescript', endLine: 3 });
    // The assembling keys and the unrelated script are kept as `others`, not chosen.
    expect(hour.others.map(at)).toEqual(['app/serve.ts:6', 'pipeline/features.py:6', 'scripts/notes.py:1']);
    expect(hour.others.find((o) => o.relative === 'scripts/notes.py')!.side).toBeUndefined();
    // A feature only ever assembled as a key is defined by that key.
    expect(entry(map, 'city')).toMatchObject({ status: 'mapped', training: { kind: 'key', line: 6 }, serving: { kind: 'key', line: 6 } });
    expect(map.problems).toEqual([]);
  });

  it('reports equally ranked definitions on one side as ambiguous and picks none', () => {
    const root = workspace({
      'sightline.json': CONFIG, 'pipeline/features.py': TRAIN, 'app/serve.ts': SERVE,
      'app/legacy.ts': 'export function hour(raw: Raw): number {\n  return raw.h;\n}\n',
    });
    const map = buildFeatureMap(root, { features: FEATURES });
    const hour = entry(map, 'hour');
    expect(hour.status).toBe('ambiguous');
    expect(hour.serving).toBeUndefined();
    expect(at(hour.training)).toBe('pipeline/features.py:1');
    const problem = map.problems.find((p) => p.code === 'ambiguous')!;
    expect(problem).toMatchObject({ feature: 'hour', side: 'serving' });
    expect(problem.candidates!.map(at)).toEqual(['app/legacy.ts:1', 'app/serve.ts:1']);
    expect(problem.message).toContain('sightline.json');
  });

  it('reports unmapped, one-sided and outside-feature-code features', () => {
    const root = workspace({
      'sightline.json': CONFIG, 'pipeline/features.py': TRAIN, 'app/serve.ts': 'export function hour(raw: Raw) { return 1; }\n',
      'notebooks/explore.py': 'def delay(raw):\n    return 0\n',
    });
    const map = buildFeatureMap(root, { features: [...FEATURES, { name: 'delay' }, { name: 'ghost' }] });
    expect(entry(map, 'city')).toMatchObject({ status: 'mapped', training: { line: 6 } });
    expect(entry(map, 'city').serving).toBeUndefined();
    expect(entry(map, 'delay')).toMatchObject({ status: 'unmapped' });
    expect(entry(map, 'ghost')).toMatchObject({ status: 'unmapped', others: [] });
    const codes = map.problems.map((p) => `${p.code}:${p.feature}`);
    expect(codes).toEqual(['missing_side:city', 'outside_feature_code:delay', 'unmapped:ghost']);
  });

  it('lets sightline.json `features` win, as path:line or as a path to search', () => {
    const root = workspace({
      'sightline.json': { ...CONFIG, features: { hour: { training: 'pipeline/features.py:6', serving: 'app/serve.ts' }, city: { serving: 'app/missing.ts:3' } } },
      'pipeline/features.py': TRAIN, 'app/serve.ts': SERVE,
    });
    const map = buildFeatureMap(root, { features: FEATURES });
    const hour = entry(map, 'hour');
    expect(hour.source).toBe('config');
    // Line 6 holds the key `"hour":` — the config says so, so it wins over the function on line 1.
    expect(hour.training).toMatchObject({ relative: 'pipeline/features.py', line: 6, kind: 'key', source: 'config', side: 'training' });
    expect(hour.serving).toMatchObject({ relative: 'app/serve.ts', line: 1, kind: 'function', source: 'config' });
    // A bad config location is reported and static discovery still maps the feature.
    expect(entry(map, 'city')).toMatchObject({ status: 'mapped', source: 'static', serving: { line: 6, source: 'static' } });
    expect(map.problems.map((p) => p.code)).toEqual(['bad_location']);
    expect(map.problems[0]!.message).toContain('app/missing.ts:3');
  });

  it('uses SDK hints over static discovery, matching foreign absolute paths by their tail', () => {
    const root = workspace({ 'sightline.json': CONFIG, 'pipeline/features.py': TRAIN, 'app/serve.ts': SERVE });
    const map = buildFeatureMap(root, {
      features: FEATURES,
      hints: [
        { feature: 'hour', file: '/home/ci/build/repo/pipeline/features.py', line: 6 },
        { feature: 'city', file: 'nowhere/else.py', line: 1 },
      ],
    });
    expect(entry(map, 'hour')).toMatchObject({ source: 'sdk', training: { relative: 'pipeline/features.py', line: 6, source: 'sdk', column: 14, kind: 'key' }, serving: { source: 'static' } });
    expect(map.problems).toEqual([expect.objectContaining({ code: 'bad_location', feature: 'city' })]);
  });

  it('classifies by model card feature_code too, and says when nothing can be classified', () => {
    const card = { name: 'm', version: 'v1', features: FEATURES, feature_code: { training: 'pipeline/features.py', serving: 'app/serve.ts' } };
    const root = workspace({ 'sightline.json': { models: ['models/m-v1.onnx'] }, 'models/m-v1.sightline.json': card, 'pipeline/features.py': TRAIN, 'app/serve.ts': SERVE });
    const map = buildFeatureMap(root, { features: FEATURES });
    expect(entry(map, 'hour')).toMatchObject({ status: 'mapped', training: { side: 'training' }, serving: { side: 'serving' } });

    const bare = workspace({ 'sightline.json': {}, 'features.py': TRAIN });
    const none = buildFeatureMap(bare, { features: FEATURES });
    expect(none.problems.map((p) => p.code)).toEqual(['no_feature_code', 'outside_feature_code', 'outside_feature_code']);
  });

  it('reports a malformed sightline.json and a config entry for an unknown feature', () => {
    const broken = workspace({ 'sightline.json': '{ not json' });
    expect(buildFeatureMap(broken, { features: [] }).problems[0]).toMatchObject({ code: 'bad_config' });
    const root = workspace({ 'sightline.json': { ...CONFIG, featureCode: { training: 3 }, features: { nope: { training: 'x.py:1' } } } });
    const codes = buildFeatureMap(root, { features: FEATURES }).problems.map((p) => p.code);
    expect(codes).toContain('bad_config');
    expect(buildFeatureMap(root, { features: FEATURES }).problems.some((p) => p.feature === 'nope')).toBe(true);
  });

  it('reads unsaved text through readText', () => {
    const root = workspace({ 'sightline.json': CONFIG, 'pipeline/features.py': TRAIN, 'app/serve.ts': SERVE });
    const serve = path.join(root, 'app/serve.ts');
    const map = buildFeatureMap(root, { features: FEATURES, readText: (f) => (f === serve ? `\n\n${SERVE}` : undefined) ?? readFileSync(f, 'utf8') });
    expect(entry(map, 'hour').serving!.line).toBe(3);
  });
});
