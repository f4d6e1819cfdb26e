/**
 * A numeric CSV file as a Dataset: reads the file and parses it with the browser-safe `parseCsv`
 * (src/data/csv.ts, which documents the format), so the CLI and the studio read a CSV alike.
 */
import fs from 'node:fs';
import { UserError } from '../../core/errors.js';
import { parseCsv, type CsvOptions } from '../../data/csv.js';
import type { Dataset } from '../../data/dataset.js';

export type { CsvOptions } from '../../data/csv.js';

export function loadCsv(file: string, opts: CsvOptions = {}): Dataset {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new UserError(`cannot read CSV file ${file}: ${describeFsError(e)}`);
  }
  return parseCsv(text, file, opts);
}

function describeFsError(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  return code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a folder' : code ?? (e as Error).message;
}
