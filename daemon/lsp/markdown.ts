/**
 * Escapes text from the trace (feature, category, model names) for Markdown: it is data, not
 * markup. Only characters that can start markup mid-line are escaped, so numbers and names stay
 * readable in clients that show hover Markdown as plain text (some Neovim setups).
 */
export function md(s: string): string {
  return s.replace(/[\\`*_[\]<>|~]/g, (c) => `\\${c}`).replace(/\r?\n/g, ' ');
}

/** Inline code; backticks inside are replaced since Markdown code spans cannot escape them. */
export function code(s: string): string {
  return '`' + s.replace(/`/g, "'").replace(/\r?\n/g, ' ') + '`';
}
