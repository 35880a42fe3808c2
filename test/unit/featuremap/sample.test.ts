import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildFeatureMap } from '../../../daemon/featuremap';
import { FeatureMap, ModelCard } from '../../../protocol';

const SAMPLE = path.resolve(__dirname, '..', '..', '..', 'samples', 'flights');
const cards = ['v1', 'v2'].map((v) => ModelCard.parse(JSON.parse(readFileSync(path.join(SAMPLE, 'models', `flights-delay-${v}.sightline.json`), 'utf8'))));
const features = cards.flatMap((c) => c.features);

/** 1-based line of the first line containing `needle`, found independently of the feature map. */
function lineOf(file: string, needle: string): number {
  return readFileSync(path.join(SAMPLE, file), 'utf8').split('\n').findIndex((l) => l.includes(needle)) + 1;
}

describe('feature map of the real samples/flights workspace', () => {
  const map = FeatureMap.parse(buildFeatureMap(SAMPLE, { features }));

  it('maps every model feature on both sides, to the function named after it', () => {
    const names = [...new Set(features.map((f) => f.name))];
    expect(map.features.map((f) => f.name)).toEqual(names);
    for (const f of map.features) {
      expect(f.status, f.name).toBe('mapped');
      expect(f.source).toBe('static');
      expect(f.training).toMatchObject({ relative: 'features.py', line: lineOf('features.py', `def ${f.name}(`), kind: 'function', side: 'training', language: 'python' });
      expect(f.serving).toMatchObject({ relative: 'serving/features.ts', line: lineOf('serving/features.ts', `function ${f.name}(`), kind: 'function', side: 'serving', language: 'typescript' });
      expect(f.training!.endLine).toBeGreaterThan(f.training!.line);
      expect(f.serving!.endLine).toBeGreaterThan(f.serving!.line);
    }
    expect(map.problems).toEqual([]);
  });

  it('keeps the assembly keys as other mentions, never the interface members', () => {
    const hour = map.features.find((f) => f.name === 'dep_hour')!;
    expect(hour.others.map((o) => `${o.relative}:${o.kind}`)).toEqual(expect.arrayContaining(['features.py:key', 'serving/features.ts:key']));
    const interfaceLine = lineOf('serving/features.ts', '  dep_hour: number;');
    expect(hour.others.some((o) => o.relative === 'serving/features.ts' && o.line === interfaceLine)).toBe(false);
  });
});
