/**
 * Results of the evaluation commands, kept in the run folder so `genlab compare` can build its
 * table from what was measured instead of measuring again: `RUN/evals/<kind>[-<key>].json`, one
 * file per kind of figure and setting (e.g. `anomaly-mnist-vs-fashion.json`), replaced when the
 * command runs again with the same setting.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomic, TEMP_MARK } from './fsAtomic.js';

export type EvalKind = 'likelihood' | 'quality' | 'anomaly' | 'probe' | 'classify';

export interface EvalRecord {
  kind: EvalKind;
  /** Distinguishes records of one kind (the split, the pair of data sets...); '' when there is one. */
  key: string;
  /** The command line that measured it, e.g. `genlab eval runs/vae --samples 10000`. */
  command: string;
  createdAt: string;
  /** Wall time of the measurement, seconds. */
  seconds: number;
  /** The command's JSON document (what `--json` prints). */
  result: Record<string, unknown>;
}

export const EVALS_FOLDER = 'evals';

function recordFile(runDir: string, kind: EvalKind, key: string): string {
  const safeKey = key.replace(/[^A-Za-z0-9._-]+/g, '_');
  return path.join(runDir, EVALS_FOLDER, `${kind}${safeKey ? `-${safeKey}` : ''}.json`);
}

export function writeEvalRecord(runDir: string, record: Omit<EvalRecord, 'createdAt'>): string {
  const file = recordFile(runDir, record.kind, record.key);
  writeFileAtomic(file, `${JSON.stringify({ ...record, createdAt: new Date().toISOString() }, null, 2)}\n`);
  return file;
}

/** Every record of the run (none: []); unreadable files are skipped and reported through `warn`. */
export function readEvalRecords(runDir: string, warn: (message: string) => void = () => {}): EvalRecord[] {
  const dir = path.join(runDir, EVALS_FOLDER);
  if (!fs.existsSync(dir)) return [];
  const records: EvalRecord[] = [];
  for (const name of fs.readdirSync(dir).sort()) {
    if (!name.endsWith('.json') || name.includes(TEMP_MARK)) continue;
    try {
      records.push(JSON.parse(fs.readFileSync(path.join(dir, name), 'utf8')) as EvalRecord);
    } catch (e) {
      warn(`skipping ${path.join(dir, name)}: ${(e as Error).message}`);
    }
  }
  return records;
}

/** The command line as typed, for the record: `genlab ARGS...`. */
export function commandLine(argv: readonly string[] = process.argv.slice(2)): string {
  return ['genlab', ...argv.map((a) => (/^[\w./:=,@%+-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`))].join(' ');
}
