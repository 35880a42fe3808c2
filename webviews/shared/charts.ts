/**
 * Charts with Chart.js (canvas; only the parts used are registered, so the bundle stays small).
 * Colours come from the theme (theme.ts) and charts redraw when it changes. Chart.js sizes its
 * canvas through the CSSOM (`canvas.style.width = …`), which the strict CSP allows; it injects no
 * stylesheet. Each chart's canvas carries role="img" and an aria-label; the numbers are also in a
 * table next to it.
 */
import {
  BarController, BarElement, CategoryScale, Chart, Filler, Legend, LinearScale, LineController, LineElement, LogarithmicScale, PointElement, Tooltip,
  type ChartConfiguration, type ChartDataset,
} from 'chart.js';
import { h } from './dom';
import { onThemeChange, palette, withAlpha, type ChartPalette } from './theme';

Chart.register(BarController, BarElement, CategoryScale, LinearScale, LogarithmicScale, LineController, LineElement, PointElement, Legend, Tooltip, Filler);

type Config = ChartConfiguration<'bar' | 'line', (number | null)[], string>;

const live = new Set<ChartSlot>();
let watching = false;

/** A canvas whose chart is rebuilt from `build` on every theme change. */
export class ChartSlot {
  readonly element: HTMLElement;
  private readonly canvas: HTMLCanvasElement;
  private chart: Chart | undefined;

  constructor(label: string, private build: (p: ChartPalette) => Config, className = 'chart') {
    this.canvas = h('canvas', { role: 'img', 'aria-label': label });
    this.element = h('div', { className }, this.canvas);
    live.add(this);
    if (!watching) {
      watching = true;
      onThemeChange(() => { for (const s of live) s.draw(); });
    }
  }

  draw(): void {
    this.chart?.destroy();
    this.chart = new Chart(this.canvas, this.build(palette()) as ChartConfiguration);
  }

  /** New data (and label); call `draw()` once the element is in the document. */
  update(label: string, build: (p: ChartPalette) => Config): void {
    this.canvas.setAttribute('aria-label', label);
    this.build = build;
  }

  destroy(): void {
    this.chart?.destroy();
    live.delete(this);
  }
}

function baseOptions(p: ChartPalette, yTitle: string, xTitle?: string) {
  const font = { family: p.font, size: Math.max(11, p.fontSize - 1) };
  return {
    responsive: true,
    maintainAspectRatio: false,
    animation: false as const,
    color: p.foreground,
    font,
    plugins: {
      legend: { labels: { color: p.foreground, font, boxWidth: 14 } },
      tooltip: tooltipOptions(p),
    },
    scales: {
      x: {
        ticks: { color: p.foreground, font, maxRotation: 45, autoSkip: true },
        grid: { color: p.grid, display: false },
        border: { color: p.grid },
        ...(xTitle ? { title: { display: true, text: xTitle, color: p.muted, font } } : {}),
      },
      y: {
        ticks: { color: p.foreground, font },
        grid: { color: p.grid },
        border: { color: p.grid },
        title: { display: true, text: yTitle, color: p.muted, font },
        beginAtZero: true,
      },
    },
  };
}

/** Tooltips in the colours of VS Code's hovers (editorHoverWidget.*), not Chart.js's black default. */
export function tooltipOptions(p: ChartPalette) {
  const font = { family: p.font, size: Math.max(11, p.fontSize - 1) };
  return {
    enabled: true,
    backgroundColor: p.tooltip.background,
    titleColor: p.tooltip.foreground,
    bodyColor: p.tooltip.foreground,
    footerColor: p.tooltip.foreground,
    borderColor: p.tooltip.border,
    borderWidth: 1,
    titleFont: { ...font, weight: 'bold' as const },
    bodyFont: font,
    footerFont: font,
    // The legend swatch beside each line: the series colour on the hover's background.
    multiKeyBackground: p.tooltip.background,
  };
}

/** Reference and current shares per bin, overlaid: a wide outlined bar behind a narrow filled one. */
export function overlaidBars(labels: string[], ref: number[], cur: number[], names: { ref: string; cur: string }, xTitle: string) {
  return (p: ChartPalette): Config => ({
    type: 'bar',
    data: {
      labels,
      datasets: [
        {
          label: names.ref, data: ref, grouped: false, order: 2, barPercentage: 0.95, categoryPercentage: 0.9,
          backgroundColor: withAlpha(p.reference, p.highContrast ? 0 : 0.3), borderColor: p.reference, borderWidth: p.highContrast ? 2 : 1.5,
        },
        {
          label: names.cur, data: cur, grouped: false, order: 1, barPercentage: 0.5, categoryPercentage: 0.9,
          backgroundColor: withAlpha(p.current, p.highContrast ? 1 : 0.85), borderColor: p.current, borderWidth: 1,
        },
      ] as ChartDataset<'bar', number[]>[],
    },
    options: {
      ...baseOptions(p, 'share of rows', xTitle),
      plugins: {
        ...baseOptions(p, '').plugins,
        tooltip: { ...tooltipOptions(p), callbacks: { label: (c) => `${c.dataset.label}: ${(Number(c.raw) * 100).toFixed(1)} %` } },
      },
    },
  } as Config);
}

/** A score per window with its threshold; windows over the threshold get an alarm-coloured point. */
export function scoreLine(labels: string[], values: (number | null)[], thresholds: (number | null)[], flagged: boolean[], yTitle: string) {
  return (p: ChartPalette): Config => ({
    type: 'line',
    data: {
      labels,
      datasets: [
        {
          label: yTitle, data: values, borderColor: p.reference, backgroundColor: withAlpha(p.reference, 0.15), fill: true, tension: 0.2,
          pointRadius: flagged.map((f) => (f ? 5 : 3)), pointBackgroundColor: flagged.map((f) => (f ? p.alarm : p.reference)),
          pointBorderColor: flagged.map((f) => (f ? p.alarm : p.reference)), spanGaps: true,
        },
        {
          label: 'threshold', data: thresholds, borderColor: p.threshold, borderDash: [6, 4], borderWidth: 1.5, pointRadius: 0, fill: false,
        },
      ] as ChartDataset<'line', (number | null)[]>[],
    },
    options: baseOptions(p, yTitle),
  } as Config);
}

/** Grouped bars: one group per label, one bar per series (e.g. latency percentiles per model). */
export function groupedBars(labels: string[], series: { label: string; values: (number | null)[] }[], yTitle: string) {
  return (p: ChartPalette): Config => ({
    type: 'bar',
    data: {
      labels,
      datasets: series.map((s, i) => ({
        label: s.label, data: s.values,
        backgroundColor: withAlpha(p.series[i % p.series.length]!, p.highContrast ? 1 : 0.75),
        borderColor: p.series[i % p.series.length]!, borderWidth: 1,
      })),
    },
    options: baseOptions(p, yTitle),
  } as Config);
}
