#!/usr/bin/env node
// `npm run bench [-- NAME…]`: runs each built benchmark (dist/bench/*-bench.js) in its own process,
// one after the other so they do not compete for cores, and prints a one-line verdict per bench.
// Every bench prints its own ratios against a baseline measured in the same run; nothing here
// asserts a time. NAME filters by file name (`npm run bench -- analysis`).
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';

const ORDER = ['daemon', 'analysis', 'replay', 'extension'];
const dir = path.resolve('dist/bench');
const filters = process.argv.slice(2);
const rank = (f) => { const i = ORDER.findIndex((o) => f.startsWith(o)); return i < 0 ? ORDER.length : i; };
const benches = readdirSync(dir)
  .filter((f) => f.endsWith('-bench.js'))
  .filter((f) => filters.length === 0 || filters.some((q) => f.includes(q)))
  .sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
if (benches.length === 0) {
  console.error(`no benchmark matches ${filters.join(', ')} in ${dir} (run \`node esbuild.mjs\` first)`);
  process.exit(2);
}
const results = [];
for (const f of benches) {
  console.log(`\n━━ ${f.replace(/\.js$/, '')} ━━`);
  const t0 = Date.now();
  const r = spawnSync(process.execPath, ['--expose-gc', path.join(dir, f)], { stdio: 'inherit' });
  results.push({ f, code: r.status ?? 1, s: ((Date.now() - t0) / 1000).toFixed(0) });
}
console.log('\n━━ benchmarks ━━');
for (const r of results) console.log(`${r.code === 0 ? 'ran ' : 'FAILED'} ${r.f.replace(/\.js$/, '')} (${r.s} s)`);
process.exit(results.some((r) => r.code !== 0) ? 1 : 0);
