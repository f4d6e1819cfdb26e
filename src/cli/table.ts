/**
 * Result tables for the terminal (aligned columns) and for Markdown (docs/RESULTS.md), from one
 * description, so the two never disagree. Cells are already formatted strings; '—' marks a
 * figure a row does not have.
 */

export const MISSING = '—';

export interface Table {
  headers: string[];
  rows: string[][];
  /** Per column: numbers read best right-aligned. Default left. */
  align?: ('left' | 'right')[];
}

/** Columns padded to their widest cell, two spaces apart, a rule under the headers. */
export function textTable(table: Table): string {
  const widths = table.headers.map((h, c) => Math.max(width(h), ...table.rows.map((r) => width(r[c] ?? MISSING))));
  const line = (cells: string[]) =>
    cells
      .map((cell, c) => (table.align?.[c] === 'right' ? pad(cell, widths[c], 'left') : pad(cell, widths[c], 'right')))
      .join('  ')
      .trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [line(table.headers), rule, ...table.rows.map((r) => line(table.headers.map((_, c) => r[c] ?? MISSING)))].join('\n') + '\n';
}

/** A GitHub-flavoured Markdown table; '|' inside a cell is escaped. */
export function markdownTable(table: Table): string {
  const row = (cells: string[]) => `| ${cells.map((c) => c.replace(/\|/g, '\\|')).join(' | ')} |`;
  const rule = `|${table.headers.map((_, c) => (table.align?.[c] === 'right' ? '---:' : '---')).join('|')}|`;
  return [row(table.headers), rule, ...table.rows.map((r) => row(table.headers.map((_, c) => r[c] ?? MISSING)))].join('\n') + '\n';
}

/** A fraction as a percentage with one decimal: 0.9734 -> '97.3%'. */
export function percent(fraction: number): string {
  return `${(100 * fraction).toFixed(1)}%`;
}

/** Characters as a terminal shows them (the '≤' and '—' used here are one column each). */
function width(s: string): number {
  return [...s].length;
}

function pad(s: string, w: number, side: 'left' | 'right'): string {
  const fill = ' '.repeat(Math.max(0, w - width(s)));
  return side === 'left' ? fill + s : s + fill;
}
