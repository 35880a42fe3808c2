/** The frame every panel shares: header, status line, error banner, read-only badge, start-up. */
import { InitNotification, type PanelKind } from '../../protocol/webview';
import { h, replace, type Child } from './dom';
import { Messenger, RequestError } from './messaging';

export interface InitInfo {
  args: unknown;
  readOnly: boolean;
  reason: 'load' | 'retarget';
}

export interface PageParts {
  messenger: Messenger;
  root: HTMLElement;
  /** Title row: heading and panel actions. */
  header: HTMLElement;
  /** Controls (pickers, filters) below the title. */
  toolbar: HTMLElement;
  body: HTMLElement;
  setStatus(text: string): void;
  showError(err: unknown, context?: string): void;
  clearError(): void;
  setBusy(busy: boolean): void;
}

/**
 * Starts a panel: builds the frame, connects the messenger, reports uncaught errors to the host
 * log, and calls `onInit` for every `init` notification (first load and re-targeting).
 */
export function startPanel(panel: PanelKind, title: string, onInit: (parts: PageParts, init: InitInfo) => void): PageParts {
  const messenger = new Messenger(panel);
  window.addEventListener('error', (e) => messenger.log('error', `${e.message} (${e.filename}:${e.lineno})`));
  window.addEventListener('unhandledrejection', (e) => messenger.log('error', `unhandled: ${String((e as PromiseRejectionEvent).reason)}`));
  const root = document.getElementById('app') ?? document.body.appendChild(h('main', { id: 'app' }));
  const heading = h('h1', {}, title);
  const badge = h('span', { className: 'badge readonly', hidden: true, title: 'The trace is read-only here: nothing is saved.' }, 'read-only');
  const header = h('header', { className: 'page-header' }, heading, badge);
  const toolbar = h('div', { className: 'toolbar', role: 'group', 'aria-label': 'View options' });
  const status = h('p', { className: 'status', role: 'status' });
  const error = h('div', { className: 'error', role: 'alert', hidden: true });
  const body = h('div', { className: 'page-body' });
  replace(root, header, toolbar, status, error, body);
  root.removeAttribute('aria-busy');
  const parts: PageParts = {
    messenger, root, header, toolbar, body,
    setStatus: (text) => replace(status, text),
    showError: (err, context) => {
      const message = err instanceof RequestError ? err.message : err instanceof Error ? err.message : String(err);
      replace(error, h('strong', {}, context ? `${context}: ` : 'Error: '), message);
      error.hidden = false;
    },
    clearError: () => { error.hidden = true; replace(error); },
    setBusy: (busy) => { if (busy) root.setAttribute('aria-busy', 'true'); else root.removeAttribute('aria-busy'); },
  };
  messenger.on(InitNotification, (init) => {
    badge.hidden = !init.readOnly;
    // Arguments other than those the page saved are new (the panel was re-targeted while its page
    // was not loaded): the page applies them instead of its saved selection.
    const saved = messenger.loadState();
    const reason = init.reason === 'load' && saved && stableJson(saved.args) !== stableJson(init.args) ? 'retarget' : init.reason;
    onInit(parts, { args: init.args, readOnly: init.readOnly, reason });
  });
  messenger.ready();
  return parts;
}

export function section(title: string, id: string, ...children: (Child | Child[])[]): HTMLElement {
  const headingId = `${id}-title`;
  return h('section', { className: 'card', id, 'aria-labelledby': headingId }, h('h2', { id: headingId }, title), ...children);
}

export function button(label: string, onClick: () => void, opts: { secondary?: boolean; title?: string; disabled?: boolean } = {}): HTMLButtonElement {
  return h('button', { type: 'button', className: opts.secondary ? 'secondary' : 'primary', title: opts.title ?? null, disabled: opts.disabled ?? false, onclick: onClick }, label);
}

let fieldIds = 0;
/** A labelled control. */
export function field(label: string, control: HTMLInputElement | HTMLSelectElement): HTMLElement {
  const id = control.id || `f${++fieldIds}`;
  control.id = id;
  return h('div', { className: 'field' }, h('label', { for: id }, label), control);
}

export function select(options: { value: string; label: string }[], value: string | undefined, onChange?: (value: string) => void): HTMLSelectElement {
  const el = h('select', {}, options.map((o) => h('option', { value: o.value, selected: o.value === value }, o.label)));
  if (value !== undefined) el.value = value;
  if (onChange) el.addEventListener('change', () => onChange(el.value));
  return el;
}

export function input(type: string, value: string | undefined, attrs: Record<string, string> = {}): HTMLInputElement {
  const el = h('input', { type, ...attrs });
  if (value !== undefined) el.value = value;
  return el;
}

/** A definition list of label → value. */
export function facts(pairs: Array<[string, Child | Child[]]>): HTMLElement {
  return h('dl', { className: 'facts' }, pairs.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
}

export function verdictBadge(bad: boolean, badText: string, goodText: string): HTMLElement {
  return h('span', { className: `badge ${bad ? 'bad' : 'good'}` }, bad ? badText : goodText);
}

/** JSON with sorted keys (argument objects compare equal whatever their key order). */
export function stableJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v));
}
