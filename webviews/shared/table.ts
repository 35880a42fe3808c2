/**
 * A sortable data table, keyboard first: column headers are buttons (Tab, Enter/Space sort;
 * aria-sort tells the order); rows form one tab stop with roving focus (↑/↓, Home/End move,
 * Enter/Space open the row).
 */
import { h, type Child } from './dom';

export type SortDir = 'asc' | 'desc';
export interface SortState {
  key: string;
  dir: SortDir;
}

export interface Column<R> {
  key: string;
  label: string;
  /** The value sorted by (null sorts last). */
  value?: (row: R) => number | string | null;
  render: (row: R) => Child | Child[];
  numeric?: boolean;
  /** A longer explanation (header tooltip and screen readers). */
  title?: string;
}

export interface TableOptions<R> {
  caption: string;
  columns: Column<R>[];
  rows: R[];
  sort?: SortState | null;
  onSort?: (sort: SortState) => void;
  /** Enter/Space/click on a row. */
  onActivate?: (row: R, index: number) => void;
  rowLabel: (row: R) => string;
  /** The row that has the tab stop (e.g. restored selection). */
  activeIndex?: number;
  isSelected?: (row: R) => boolean;
  className?: string;
  empty?: string;
}

export interface DataTable<R> {
  element: HTMLElement;
  /** Rows in displayed (sorted) order. */
  rows: R[];
  focusRow(index: number): void;
}

export function sortRows<R>(rows: R[], columns: Column<R>[], sort: SortState | null | undefined): R[] {
  const col = sort ? columns.find((c) => c.key === sort.key) : undefined;
  if (!sort || !col?.value) return rows.slice();
  const dir = sort.dir === 'asc' ? 1 : -1;
  const value = col.value;
  return rows
    .map((row, i) => ({ row, i, v: value(row) }))
    .sort((a, b) => {
      if (a.v === null && b.v === null) return a.i - b.i;
      if (a.v === null) return 1;
      if (b.v === null) return -1;
      const c = typeof a.v === 'number' && typeof b.v === 'number' ? a.v - b.v : String(a.v).localeCompare(String(b.v));
      return c === 0 ? a.i - b.i : c * dir;
    })
    .map((x) => x.row);
}

export function dataTable<R>(o: TableOptions<R>): DataTable<R> {
  const rows = sortRows(o.rows, o.columns, o.sort);
  const head = h('tr', {}, o.columns.map((c) => {
    const sorted = o.sort?.key === c.key ? o.sort.dir : null;
    const ariaSort = sorted === 'asc' ? 'ascending' : sorted === 'desc' ? 'descending' : c.value && o.onSort ? 'none' : null;
    const content = c.value && o.onSort
      ? h('button', {
          className: 'sort', type: 'button', title: c.title ?? `Sort by ${c.label}`,
          onclick: () => o.onSort!({ key: c.key, dir: sorted === 'desc' ? 'asc' : sorted === 'asc' ? 'desc' : c.numeric ? 'desc' : 'asc' }),
        }, c.label, h('span', { className: 'sort-mark', 'aria-hidden': 'true' }, sorted === 'asc' ? ' ▲' : sorted === 'desc' ? ' ▼' : ''))
      : h('span', { title: c.title ?? null }, c.label);
    return h('th', { scope: 'col', className: c.numeric ? 'num' : null, 'aria-sort': ariaSort }, content);
  }));
  const active = Math.min(Math.max(o.activeIndex ?? 0, 0), Math.max(rows.length - 1, 0));
  const trs = rows.map((row, i) => {
    const tr = h('tr', {
      tabindex: o.onActivate ? (i === active ? 0 : -1) : null,
      className: o.isSelected?.(row) ? 'selected' : null,
      'aria-selected': o.isSelected ? String(o.isSelected(row)) : null,
      'aria-label': o.rowLabel(row),
      'data-index': i,
    }, o.columns.map((c) => h('td', { className: c.numeric ? 'num' : null }, c.render(row))));
    if (o.onActivate) {
      tr.addEventListener('click', () => { focusRow(i); o.onActivate!(row, i); });
      tr.addEventListener('keydown', (e) => {
        const k = e.key;
        if (k === 'Enter' || k === ' ') { e.preventDefault(); o.onActivate!(row, i); }
        else if (k === 'ArrowDown') { e.preventDefault(); focusRow(i + 1); }
        else if (k === 'ArrowUp') { e.preventDefault(); focusRow(i - 1); }
        else if (k === 'Home') { e.preventDefault(); focusRow(0); }
        else if (k === 'End') { e.preventDefault(); focusRow(rows.length - 1); }
      });
    }
    return tr;
  });
  const body = h('tbody', {}, trs.length ? trs : h('tr', {}, h('td', { colspan: o.columns.length, className: 'empty' }, o.empty ?? 'Nothing to show.')));
  const table = h('table', { className: `data ${o.className ?? ''}`.trim() }, h('caption', { className: 'sr-only' }, o.caption), h('thead', {}, head), body);
  function focusRow(index: number): void {
    if (trs.length === 0) return;
    const i = Math.min(Math.max(index, 0), trs.length - 1);
    for (const [j, tr] of trs.entries()) tr.tabIndex = j === i ? 0 : -1;
    trs[i]!.focus();
  }
  return { element: h('div', { className: 'table-wrap' }, table), rows, focusRow };
}
