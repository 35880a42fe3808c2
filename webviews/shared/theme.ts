/**
 * Colours for canvas charts, read from VS Code's theme variables (`--vscode-*`) at draw time,
 * and a hook to redraw when the theme changes (VS Code swaps the body class and the variables).
 */
export type ThemeKind = 'light' | 'dark' | 'high-contrast' | 'high-contrast-light';

export function cssVar(name: string, fallback = ''): string {
  const v = getComputedStyle(document.body).getPropertyValue(name).trim();
  return v || fallback;
}

export function themeKind(): ThemeKind {
  const c = document.body.classList;
  if (c.contains('vscode-high-contrast-light')) return 'high-contrast-light';
  if (c.contains('vscode-high-contrast')) return 'high-contrast';
  if (c.contains('vscode-dark')) return 'dark';
  return 'light';
}

export interface ChartPalette {
  foreground: string;
  muted: string;
  grid: string;
  reference: string;
  current: string;
  alarm: string;
  ok: string;
  threshold: string;
  series: string[];
  /** Chart tooltips look like VS Code's hovers. */
  tooltip: { background: string; foreground: string; border: string };
  font: string;
  fontSize: number;
  highContrast: boolean;
}

export function palette(): ChartPalette {
  const foreground = cssVar('--vscode-charts-foreground', cssVar('--vscode-foreground', '#808080'));
  const highContrast = themeKind().startsWith('high-contrast');
  const blue = cssVar('--vscode-charts-blue', '#3794ff');
  const orange = cssVar('--vscode-charts-orange', '#d18616');
  return {
    foreground,
    muted: cssVar('--vscode-descriptionForeground', foreground),
    grid: highContrast ? cssVar('--vscode-contrastBorder', foreground) : cssVar('--vscode-charts-lines', withAlpha(foreground, 0.25)),
    reference: blue,
    current: orange,
    alarm: cssVar('--vscode-charts-red', '#f14c4c'),
    ok: cssVar('--vscode-charts-green', '#89d185'),
    threshold: cssVar('--vscode-charts-yellow', '#cca700'),
    series: [blue, orange, cssVar('--vscode-charts-purple', '#b180d7'), cssVar('--vscode-charts-green', '#89d185')],
    tooltip: {
      background: cssVar('--vscode-editorHoverWidget-background', cssVar('--vscode-editorWidget-background', cssVar('--vscode-editor-background', '#252526'))),
      foreground: cssVar('--vscode-editorHoverWidget-foreground', cssVar('--vscode-editorWidget-foreground', foreground)),
      border: cssVar('--vscode-editorHoverWidget-border', cssVar('--vscode-widget-border', highContrast ? cssVar('--vscode-contrastBorder', foreground) : withAlpha(foreground, 0.4))),
    },
    font: cssVar('--vscode-font-family', 'sans-serif'),
    fontSize: parseFloat(cssVar('--vscode-font-size', '13')) || 13,
    highContrast,
  };
}

/** `#rgb`, `#rrggbb`, `#rrggbbaa` or `rgb()/rgba()` with a new alpha; other forms unchanged. */
export function withAlpha(color: string, alpha: number): string {
  const c = color.trim();
  let r: number, g: number, b: number;
  const hex = /^#([0-9a-f]{3,8})$/i.exec(c);
  if (hex) {
    const s = hex[1]!;
    if (s.length === 3 || s.length === 4) {
      r = parseInt(s[0]! + s[0]!, 16); g = parseInt(s[1]! + s[1]!, 16); b = parseInt(s[2]! + s[2]!, 16);
    } else if (s.length === 6 || s.length === 8) {
      r = parseInt(s.slice(0, 2), 16); g = parseInt(s.slice(2, 4), 16); b = parseInt(s.slice(4, 6), 16);
    } else return c;
    return `rgba(${r}, ${g}, ${b}, ${alpha})`;
  }
  const rgb = /^rgba?\(\s*([\d.]+)[ ,]+([\d.]+)[ ,]+([\d.]+)/i.exec(c);
  if (rgb) return `rgba(${rgb[1]}, ${rgb[2]}, ${rgb[3]}, ${alpha})`;
  return c;
}

/** Calls `fn` after the theme changed (body class or the theme variables on <html>). */
export function onThemeChange(fn: () => void): void {
  let queued = false;
  const observer = new MutationObserver(() => {
    if (queued) return;
    queued = true;
    requestAnimationFrame(() => {
      queued = false;
      fn();
    });
  });
  observer.observe(document.body, { attributes: true, attributeFilter: ['class'] });
  observer.observe(document.documentElement, { attributes: true, attributeFilter: ['style', 'class'] });
}
