/**
 * The HTML of every Sightline webview (no `vscode` import, so tests build the very same page).
 * Strict Content Security Policy with a fresh nonce per load: scripts only with the nonce,
 * styles only from the extension's webview resources (or with the nonce), images and fonts only
 * from there; nothing inline, no eval. Chart libraries set sizes through the CSSOM
 * (`element.style.x = …`), which this policy allows.
 */
import type { PanelKind } from '../../protocol/webview';

export interface WebviewHtmlOptions {
  /** `webview.cspSource`: the origin the webview's resources are served from. */
  cspSource: string;
  nonce: string;
  /** `webview.asWebviewUri(…/dist/webviews/<panel>.js)`, as text. */
  scriptUri: string;
  /** `webview.asWebviewUri(…/dist/webviews/<panel>.css)`, as text. */
  styleUri: string;
  title: string;
  panel: PanelKind;
}

/** The policy, one directive per concern (see the file comment). */
export function contentSecurityPolicy(cspSource: string, nonce: string): string {
  return [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src ${cspSource} 'nonce-${nonce}'`,
    `img-src ${cspSource} data:`,
    `font-src ${cspSource}`,
  ].join('; ');
}

/** 128 random bits, base64: a new one for every page load. */
export function newNonce(): string {
  const bytes = new Uint8Array(16);
  globalThis.crypto.getRandomValues(bytes);
  let text = '';
  for (const b of bytes) text += String.fromCharCode(b);
  return btoa(text);
}

export function buildWebviewHtml(o: WebviewHtmlOptions): string {
  const csp = contentSecurityPolicy(o.cspSource, o.nonce);
  return `<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="UTF-8">
  <meta http-equiv="Content-Security-Policy" content="${attr(csp)}">
  <meta name="viewport" content="width=device-width, initial-scale=1.0">
  <link rel="stylesheet" href="${attr(o.styleUri)}" nonce="${attr(o.nonce)}">
  <title>${text(o.title)}</title>
</head>
<body data-panel="${attr(o.panel)}">
  <main id="app" aria-busy="true" aria-live="polite"><p class="loading">Loading…</p></main>
  <script nonce="${attr(o.nonce)}" src="${attr(o.scriptUri)}"></script>
</body>
</html>`;
}

function attr(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function text(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
