/** Text and Markdown of a comparison (`sightline compare`). */
import type { CompareReport } from '../../protocol';
import { interval, num, pct, signed } from './format';

export function formatCompare(r: CompareReport): string {
  const lines = [`Sightline compare: ${r.b.model} (B, ${r.b.source}, ${r.b.rows} predictions) vs ${r.a.model} (A, ${r.a.source}, ${r.a.rows}); design ${r.design}; ${r.window}`];
  lines.push(`  verdict: ${r.verdict.replaceAll('_', ' ').toUpperCase()} — ${r.summary}`);
  for (const m of r.metrics) {
    const show = (x: number | null): string => (m.kind === 'rate' ? pct(x) : num(x));
    const ci = (c: [number, number] | null): string => (m.kind === 'rate' && c ? `[${pct(c[0])}, ${pct(c[1])}]` : interval(c));
    const diff = m.kind === 'rate' && m.difference !== null ? `${m.difference >= 0 ? '+' : '−'}${pct(Math.abs(m.difference))}` : signed(m.difference);
    lines.push(`  ${m.metric.padEnd(14)} A ${show(m.a)} ${ci(m.ci_a)}  B ${show(m.b)} ${ci(m.ci_b)}  B−A ${diff} ${ci(m.ci)}  ${m.test} p=${num(m.p_value)}  need ${m.required_per_group ?? '–'}/group  → ${m.verdict.replaceAll('_', ' ')}`);
  }
  for (const w of r.warnings) lines.push(`  warning: ${w}`);
  for (const g of r.gates) lines.push(`  ${g.passed ? 'PASS' : 'FAIL'} ${g.expr} (value ${num(g.value)})`);
  return lines.join('\n');
}

export function compareMarkdown(r: CompareReport): string {
  const icon = r.verdict === 'better' ? '✅' : r.verdict === 'worse' ? '❌' : r.verdict === 'not_enough_data' ? '⏳' : 'ℹ️';
  const out = [`## ${icon} Sightline compare: ${r.b.model} vs ${r.a.model} — ${r.verdict.replaceAll('_', ' ')}`, ''];
  out.push(`${r.summary}`, '');
  out.push(`Design: **${r.design}** · A: ${r.a.model} (${r.a.source}, ${r.a.rows} predictions, ${r.a.labelled} labelled) · B: ${r.b.model} (${r.b.source}, ${r.b.rows}, ${r.b.labelled} labelled) · α = ${r.alpha}, power ${r.power}`, '');
  out.push('| Metric | A | B | B − A | 95 % CI | Test | p | Rows needed / group | Verdict |');
  out.push('|---|---|---|---|---|---|---|---|---|');
  for (const m of r.metrics) {
    const show = (x: number | null): string => (m.kind === 'rate' ? pct(x) : num(x));
    out.push(`| ${m.metric} | ${show(m.a)} | ${show(m.b)} | ${signed(m.difference)} | ${interval(m.ci)} | ${m.test} | ${num(m.p_value)} | ${m.required_per_group ?? '–'} | ${m.verdict.replaceAll('_', ' ')} |`);
  }
  out.push('');
  if (r.gates.length) {
    out.push('| | Gate | Value |', '|---|---|---|');
    for (const g of r.gates) out.push(`| ${g.passed ? '✅' : '❌'} | \`${g.expr}\` | ${num(g.value)} |`);
    out.push('');
  }
  for (const w of r.warnings) out.push(`- ⚠️ ${w}`);
  return out.join('\n') + '\n';
}
