/**
 * The webview bundles get `zod` as webviews/shared/zod-lite.ts (esbuild.mjs): every schema
 * constructor the protocol and the webviews call must be there, or a panel fails to load. Also
 * checks that the built bundles really went through the shim (no zod locale, no JSON Schema import).
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from '../../webviews/shared/zod-lite';
import { ROOT } from '../helpers/daemon';

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? sources(p) : e.name.endsWith('.ts') ? [p] : [];
  });
}

describe('zod-lite (the webviews\u2019 zod)', () => {
  it('has every z.<constructor>( that protocol/ and webviews/ call', () => {
    const called = new Set<string>();
    for (const file of [...sources(path.join(ROOT, 'protocol')), ...sources(path.join(ROOT, 'webviews'))]) {
      for (const m of readFileSync(file, 'utf8').matchAll(/\bz\.([A-Za-z_$][\w$]*)\s*\(/g)) called.add(m[1]!);
    }
    expect(called.size).toBeGreaterThan(5);
    const missing = [...called].filter((name) => typeof (z as Record<string, unknown>)[name] !== 'function');
    expect(missing, 'add these to webviews/shared/zod-lite.ts').toEqual([]);
  });

  it('builds schemas that validate like zod classic (jitless)', () => {
    const s = z.object({ a: z.string().max(3), b: z.array(z.number().int()).optional(), c: z.union([z.literal('x'), z.null()]) });
    expect(s.safeParse({ a: 'abc', c: null }).success).toBe(true);
    const bad = s.safeParse({ a: 'abcd', b: [1.5], c: 'y' });
    expect(bad.success).toBe(false);
    expect(bad.error!.issues.map((i) => i.path.join('.'))).toEqual(['a', 'b.0', 'c']);
    expect(bad.error!.issues[0]!.message).toMatch(/Too big/i);
  });

  it('is what the built webview bundles contain (no zod locales, no JSON Schema conversion)', () => {
    const dist = path.join(ROOT, 'dist', 'webviews');
    const bundles = readdirSync(dist).filter((f) => f.endsWith('.js'));
    expect(bundles.length).toBeGreaterThan(0);
    for (const f of bundles) {
      const js = readFileSync(path.join(dist, f), 'utf8');
      // A locale other than English (Hebrew and Russian messages) and fromJSONSchema's error text.
      expect(js, f).not.toMatch(/\u05E7\u05DC\u05D8|\u041D\u0435\u0432\u0435\u0440\u043D\u044B\u0439 \u0432\u0432\u043E\u0434/);
      expect(js, f).not.toContain('fromJSONSchema');
    }
  });
});
