import { MarkupKind, type Hover } from 'vscode-languageserver';
import type { Finding } from '../../protocol';
import type { Catalog, Placement } from './catalog';
import { driftDetails, skewDetails, sliceDetails } from './finding-details';
import { context, diagnosticMessage, num, pct, scoreVsThreshold, sliceText, times } from './format';
import { barsFromDetails, histogramSvg, svgDataUri } from './histogram-svg';
import { isAbove } from './judge';
import { code, md } from './markdown';
import { nameRange } from './ranges';

const TOP_CATEGORIES = 5;
const MAX_SLICES = 5;
const MAX_EXAMPLES = 3;

/**
 * The hover on a feature definition: the worst drift with a reference-vs-current histogram
 * (an SVG data URI, which editors render as an image), missing rates, top categories, skew with
 * examples, failing slices involving the feature, quality issues, and the model versions using it.
 */
export function buildHover(catalog: Catalog, file: string, line: number, character: number): Hover | null {
  const p = catalog.placementAt(file, line, character);
  if (!p) return null;
  const ff = catalog.findings(p.view, p.entry.name);
  const out: string[] = [header(p)];
  const drift = ff.drift[0];
  if (drift) out.push(...driftSection(catalog, p, drift, ff.drift.slice(1)));
  for (const f of ff.skew) out.push(...skewSection(catalog, p, f));
  if (ff.quality.length > 0) out.push('**Data quality**', ...ff.quality.map((f) => `- ${md(diagnosticMessage(p.entry.name, f))}${suffix(catalog, p, f)}`), '');
  const slices = ff.slices.filter(isAbove);
  if (slices.length > 0) {
    out.push(`**Failing slices** (${slices.length})`);
    for (const f of slices.slice(0, MAX_SLICES)) out.push(`- ${sliceLine(f)}`);
    out.push('');
  }
  if (!drift && ff.skew.length === 0 && ff.quality.length === 0 && slices.length === 0) {
    out.push(catalog.origin.kind === 'none' ? `_No findings source: ${md(catalog.origin.message ?? 'none configured')}._` : '_No findings for this feature._', '');
  }
  const models = catalog.modelsUsing(p.view, p.entry.name);
  if (models.length > 0) out.push(`**Models**: ${models.map(md).join(' · ')}`);
  return { contents: { kind: MarkupKind.Markdown, value: out.join('\n').trim() }, range: nameRange(p.location) };
}

function header(p: Placement): string {
  const where = (['training', 'serving'] as const)
    .map((side) => (p.entry[side] ? `${side} ${code(`${p.entry[side]!.relative}:${p.entry[side]!.line}`)}` : `${side} _not mapped_`))
    .join(' · ');
  return `**Sightline** · ${code(p.entry.name)}${p.entry.kind ? ` (${p.entry.kind})` : ''} · ${where}\n`;
}

function driftSection(catalog: Catalog, p: Placement, f: Finding, more: Finding[]): string[] {
  const d = driftDetails(f);
  const out = [`**Drift** ${md(scoreVsThreshold(f))}${md(times(f))} — ${md(context(f))}${suffix(catalog, p, f)}`, ''];
  const bars = barsFromDetails(d);
  if (bars) out.push(`![${md(p.entry.name)}: reference vs current](${svgDataUri(histogramSvg(bars))})`, '');
  const rows: string[] = [];
  if (d.missing_ref !== undefined || d.missing_cur !== undefined) rows.push(`| missing | ${pct(d.missing_ref)} | ${pct(d.missing_cur)} |`);
  if (d.n_ref !== undefined || d.n_cur !== undefined) rows.push(`| rows | ${d.n_ref ?? '–'} | ${d.n_cur ?? '–'} |`);
  const h = d.histogram;
  if (h && 'categories' in h && d.ref && d.cur) {
    const top = h.categories.map((c, i) => ({ c, r: d.ref![i] ?? 0, q: d.cur![i] ?? 0 })).sort((a, b) => Math.max(b.r, b.q) - Math.max(a.r, a.q)).slice(0, TOP_CATEGORIES);
    for (const t of top) rows.push(`| ${md(t.c)} | ${pct(t.r)} | ${pct(t.q)} |`);
  }
  if (rows.length > 0) out.push('| | reference | current |', '|:--|--:|--:|', ...rows, '');
  const metrics = metricList(d.metrics);
  if (metrics) out.push(`Metrics: ${metrics}`, '');
  for (const g of more) out.push(`Also: ${md(scoreVsThreshold(g))} — ${md(context(g))}`);
  if (more.length > 0) out.push('');
  return out;
}

function skewSection(catalog: Catalog, p: Placement, f: Finding): string[] {
  const d = skewDetails(f);
  const rows = d.mismatch_rate !== undefined ? `${pct(d.mismatch_rate)} of rows differ · ` : '';
  const out = [`**Training–serving skew** ${rows}${md(scoreVsThreshold(f))}${md(times(f))} — ${md(context(f))}${suffix(catalog, p, f)}`];
  for (const e of (d.examples ?? []).slice(0, MAX_EXAMPLES)) out.push(`- example: ${code(JSON.stringify(e).slice(0, 160))}`);
  out.push('');
  return out;
}

function sliceLine(f: Finding): string {
  const d = sliceDetails(f);
  const nums = [d.n !== undefined ? `n ${d.n}` : '', d.metric !== undefined ? `${md(f.metric ?? 'loss')} ${num(d.metric)}` : '', d.effect_size !== undefined ? `effect size ${num(d.effect_size)}` : '', d.ci?.length === 2 ? `95 % CI ${num(d.ci[0])}–${num(d.ci[1])}` : ''].filter(Boolean).join(', ');
  return `${code(sliceText(f))}${nums ? ` — ${nums}` : ''}${f.model_name ? ` (${md(f.model_name)})` : ''}`;
}

function metricList(metrics: Record<string, unknown> | undefined): string {
  if (!metrics) return '';
  const parts: string[] = [];
  for (const [k, v] of Object.entries(metrics)) {
    if (typeof v === 'number') parts.push(`${md(k)} ${num(v)}`);
    else if (v && typeof v === 'object' && typeof (v as { statistic?: unknown }).statistic === 'number') parts.push(`${md(k)} ${num((v as { statistic: number }).statistic)}`);
  }
  return parts.join(' · ');
}

function suffix(catalog: Catalog, p: Placement, f: Finding): string {
  return isAbove(f) && catalog.isSuppressed(p.view, p.entry, f) ? ' _(marked as expected)_' : '';
}

