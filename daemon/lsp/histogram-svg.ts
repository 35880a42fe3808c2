import type { DriftDetails } from '../../protocol';
import { num } from './format';

/**
 * A reference-vs-current histogram as a small SVG, shown in hovers as a data-URI image. Colours
 * are fixed mid-tones (Vega's blue and orange, grey text) that read on light and dark themes
 * alike: a hover image cannot follow the editor theme.
 */
const COLORS = { ref: '#4C78A8', cur: '#F58518', text: '#8C8C8C' };
const W = 360;
const H = 130;
const PAD = { left: 6, right: 6, top: 20, bottom: 24 };
/** Categories beyond this many are summed into "other", so labels stay readable. */
const MAX_CATEGORIES = 12;

export interface Bars {
  /** One label per bin (categories), or none for numeric bins (edges label the boundaries). */
  labels?: string[];
  edges?: number[];
  ref: number[];
  cur: number[];
}

/** Bars from drift details; null when the finding carries no usable histogram. */
export function barsFromDetails(d: DriftDetails): Bars | null {
  if (!d.histogram || !d.ref || !d.cur) return null;
  if ('edges' in d.histogram) return { edges: d.histogram.edges, ref: d.ref, cur: d.cur };
  const cats = d.histogram.categories.map((c, i) => ({ c, r: d.ref![i] ?? 0, q: d.cur![i] ?? 0 }));
  if (cats.length <= MAX_CATEGORIES) return { labels: cats.map((x) => x.c), ref: cats.map((x) => x.r), cur: cats.map((x) => x.q) };
  cats.sort((a, b) => Math.max(b.r, b.q) - Math.max(a.r, a.q));
  const top = cats.slice(0, MAX_CATEGORIES - 1);
  const rest = cats.slice(MAX_CATEGORIES - 1);
  top.push({ c: `other (${rest.length})`, r: sum(rest.map((x) => x.r)), q: sum(rest.map((x) => x.q)) });
  return { labels: top.map((x) => x.c), ref: top.map((x) => x.r), cur: top.map((x) => x.q) };
}

export function histogramSvg(bars: Bars): string {
  const n = bars.ref.length;
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const bw = plotW / Math.max(n, 1);
  const max = Math.max(1e-9, ...bars.ref, ...bars.cur);
  const y = (p: number): number => PAD.top + plotH - (Math.max(0, p) / max) * plotH;
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="9">`);
  parts.push(legend(0, 'reference', COLORS.ref), legend(90, 'current', COLORS.cur));
  parts.push(`<text x="${W - PAD.right}" y="11" fill="${COLORS.text}" text-anchor="end">max ${escapeXml(num(max * 100))} %</text>`);
  for (let i = 0; i < n; i++) {
    const x0 = PAD.left + i * bw;
    for (const [k, series, color] of [[0, bars.ref, COLORS.ref], [1, bars.cur, COLORS.cur]] as const) {
      const v = series[i] ?? 0;
      const top = y(v);
      parts.push(`<rect x="${f(x0 + bw * (0.1 + 0.4 * k))}" y="${f(top)}" width="${f(bw * 0.38)}" height="${f(PAD.top + plotH - top)}" fill="${color}"/>`);
    }
  }
  const baseY = PAD.top + plotH;
  parts.push(`<line x1="${PAD.left}" y1="${baseY}" x2="${W - PAD.right}" y2="${baseY}" stroke="${COLORS.text}" stroke-width="1"/>`);
  if (bars.labels) {
    const maxChars = Math.max(2, Math.floor(bw / 5.2));
    bars.labels.forEach((label, i) => {
      const t = label.length > maxChars ? label.slice(0, maxChars - 1) + '…' : label;
      parts.push(`<text x="${f(PAD.left + (i + 0.5) * bw)}" y="${baseY + 11}" fill="${COLORS.text}" text-anchor="middle">${escapeXml(t)}</text>`);
    });
  } else if (bars.edges) {
    // Edge k separates bin k and bin k+1; alternate rows so dense edges do not overlap.
    bars.edges.forEach((e, k) => {
      const row = bw < 34 && k % 2 === 1 ? 1 : 0;
      parts.push(`<text x="${f(PAD.left + (k + 1) * bw)}" y="${baseY + 10 + row * 9}" fill="${COLORS.text}" text-anchor="middle">${escapeXml(num(e))}</text>`);
    });
  }
  parts.push('</svg>');
  return parts.join('');
}

export function svgDataUri(svg: string): string {
  return `data:image/svg+xml;base64,${Buffer.from(svg, 'utf8').toString('base64')}`;
}

function legend(x: number, label: string, color: string): string {
  return `<rect x="${PAD.left + x}" y="4" width="9" height="9" fill="${color}"/><text x="${PAD.left + x + 13}" y="12" fill="${COLORS.text}">${label}</text>`;
}

function f(x: number): string {
  return x.toFixed(1);
}

function sum(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0);
}

export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);
}
