/**
 * A numeric CSV text as a Dataset: one example per row, one feature per column, shape [D]. The CLI
 * reads the file (src/node/data/csv.ts), the studio the file a user picks; both parse it here.
 *
 * Format: comma-separated, optional double-quoted cells ("" escapes a quote; a quoted cell cannot span
 * lines), blank lines ignored, a UTF-8 byte-order mark ignored. Every feature cell must be a finite
 * decimal number (NaN and Infinity are refused, since no model can train on them). The value kind is
 * inferred: 'binary' if every value is 0 or 1, 'continuous' if every value lies in [0, 1], else 'real'.
 * Errors name the file, the 1-based line, the column and what was expected.
 */
import { check } from '../core/errors.js';
import type { Dataset, ValueKind } from './dataset.js';

export interface CsvOptions {
  /**
   * Name of the column that holds class labels (needs a header row). Labels that are all
   * non-negative integers are used as they are; otherwise each distinct string is a class, numbered
   * in sorted order, and `classNames` lists them.
   */
  labelColumn?: string;
  /** Whether the first row names the columns. 'auto' (default): yes if any of its cells is not a number. */
  header?: 'auto' | boolean;
}

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const NON_FINITE = /^[+-]?(nan|inf|infinity)$/i;
const FLOAT32_MAX = 3.4028234663852886e38;

/**
 * The CSV `text` as a Dataset. `file` is how messages name the input (a path, or the name of a file
 * picked in the browser); the Dataset is named `csv:` + its last path segment.
 */
export function parseCsv(text: string, file: string, opts: CsvOptions = {}): Dataset {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);

  // 1. Non-blank lines, with their 1-based line numbers for error messages.
  const lines: { no: number; text: string }[] = [];
  text.split(/\r\n|\n|\r/).forEach((t, i) => {
    if (t.trim() !== '') lines.push({ no: i + 1, text: t });
  });
  check(lines.length > 0, () => `${file}: empty file (no rows)`);

  // 2. Header: given, or detected from the first row.
  const first = splitRow(lines[0].text, `${file}:${lines[0].no}`);
  const looksLikeHeader = first.some((c) => !NUMBER.test(c) && !NON_FINITE.test(c));
  const header = opts.header === undefined || opts.header === 'auto' ? looksLikeHeader : opts.header;
  if (opts.labelColumn !== undefined) {
    check(header, () =>
      opts.header === false
        ? `${file}: labelColumn '${opts.labelColumn}' needs a header row, but header: false was given`
        : `${file}:${lines[0].no}: labelColumn '${opts.labelColumn}' needs a header row, but line ${lines[0].no} looks like data (all numbers)`,
    );
  }
  const names = header ? first : null;
  const rows = header ? lines.slice(1) : lines;
  const ncol = first.length;
  const colName = (j: number): string => (names ? `column '${names[j]}' (${j + 1})` : `column ${j + 1}`);

  // 3. The label column, by name.
  let labelCol = -1;
  if (opts.labelColumn !== undefined) {
    const hits = names!.flatMap((nm, j) => (nm === opts.labelColumn ? [j] : []));
    check(hits.length > 0, () => `${file}: no label column '${opts.labelColumn}'; the columns are: ${names!.join(', ')}`);
    check(hits.length === 1, () => `${file}: ${hits.length} columns are named '${opts.labelColumn}'; the label column must be unique`);
    labelCol = hits[0];
  }
  const D = ncol - (labelCol >= 0 ? 1 : 0);
  check(D > 0, () => `${file}: no feature columns (only the label column '${opts.labelColumn}')`);
  check(rows.length > 0, () => `${file}: no data rows after the header on line ${lines[0].no}`);

  // 4. Feature values and raw label strings, row by row.
  const x = new Float32Array(rows.length * D);
  const labelCells: string[] = [];
  const labelLines: number[] = [];
  let binary = true;
  let unit = true;
  rows.forEach((row, i) => {
    const where = `${file}:${row.no}`;
    const cells = splitRow(row.text, where);
    check(cells.length === ncol, () =>
      `${where}: expected ${ncol} columns (as on line ${lines[0].no}${names ? ', the header' : ''}), got ${cells.length}`,
    );
    let k = i * D;
    for (let j = 0; j < ncol; j++) {
      const cell = cells[j];
      if (j === labelCol) {
        check(cell !== '', () => `${where}: ${colName(j)}: expected a label, got an empty cell`);
        labelCells.push(cell);
        labelLines.push(row.no);
        continue;
      }
      check(cell !== '', () => `${where}: ${colName(j)}: expected a number, got an empty cell`);
      check(!NON_FINITE.test(cell), () => `${where}: ${colName(j)}: expected a finite number, got '${cell}' (NaN and Infinity are not allowed)`);
      check(NUMBER.test(cell), () => `${where}: ${colName(j)}: expected a number, got '${cell}'`);
      const v = Number(cell);
      check(Math.abs(v) <= FLOAT32_MAX, () => `${where}: ${colName(j)}: expected a finite number, got '${cell}' (beyond float32 range)`);
      if (v !== 0 && v !== 1) binary = false;
      if (!(v >= 0 && v <= 1)) unit = false;
      x[k++] = v;
    }
  });
  const kind: ValueKind = binary ? 'binary' : unit ? 'continuous' : 'real';

  const d: Dataset = { name: `csv:${baseName(file)}`, x, n: rows.length, shape: [D], kind };
  if (names) d.featureNames = names.filter((_, j) => j !== labelCol);
  if (labelCol >= 0) Object.assign(d, encodeLabels(labelCells));
  return d;
}

/** Integer labels as they are; anything else as class names numbered in sorted order. */
function encodeLabels(cells: string[]): { labels: Int32Array; classNames?: string[] } {
  const asInts = cells.map((c) => (NUMBER.test(c) ? Number(c) : NaN));
  if (asInts.every((v) => Number.isInteger(v) && v >= 0 && v <= 0x7fffffff)) return { labels: Int32Array.from(asInts) };
  const classNames = [...new Set(cells)].sort();
  const index = new Map(classNames.map((nm, i) => [nm, i]));
  return { labels: Int32Array.from(cells, (c) => index.get(c)!), classNames };
}

/** The trimmed cells of one CSV line; quoted cells keep their inner spaces. */
function splitRow(line: string, where: string): string[] {
  if (!line.includes('"')) return line.split(',').map((c) => c.trim());
  const cells: string[] = [];
  let i = 0;
  for (;;) {
    while (line[i] === ' ' || line[i] === '\t') i++;
    let cell = '';
    if (line[i] === '"') {
      const start = i;
      i++;
      for (;;) {
        check(i < line.length, () => `${where}: unterminated quoted cell starting at character ${start + 1}`);
        if (line[i] === '"') {
          if (line[i + 1] !== '"') break;
          cell += '"';
          i += 2;
        } else {
          cell += line[i++];
        }
      }
      i++; // the closing quote
      while (line[i] === ' ' || line[i] === '\t') i++;
      check(i >= line.length || line[i] === ',', () => `${where}: unexpected text after the quoted cell at character ${i + 1}`);
    } else {
      const comma = line.indexOf(',', i);
      const end = comma < 0 ? line.length : comma;
      cell = line.slice(i, end).trim();
      i = end;
    }
    cells.push(cell);
    if (i >= line.length) return cells;
    i++; // the comma
  }
}

/** The last segment of a path (either separator; trailing ones ignored), as path.basename on plain names. */
function baseName(file: string): string {
  const parts = file.split(/[\\/]+/).filter((p) => p !== '');
  return parts.length ? parts[parts.length - 1] : file;
}
