/**
 * `genlab compare RUN...`: one table of what is known about each run, measured once and read back:
 * the training facts from the run folder (config.json, metrics.jsonl, the newest checkpoint) and
 * every figure the evaluation commands left in RUN/evals/*.json (src/node/evalRecords.ts). Nothing
 * is measured here, so it takes no backend and no time; a figure appears as a column when any run
 * has it, and '—' where a run lacks it. With --markdown the table goes into docs/RESULTS.md as it
 * is, followed by the command behind every figure.
 *
 * Records are read tolerantly: the fields of each kind that are known become columns, a record of
 * a kind not known here shows its numeric fields, and anything else in a record is passed over.
 */
import { UserError } from '../../core/errors.js';
import { loadLatestCheckpoint } from '../../node/checkpoint.js';
import { readEvalRecords, type EvalRecord } from '../../node/evalRecords.js';
import { MetricsLog, readRunConfig } from '../../node/run.js';
import { helpText, parse, type OptionTable } from '../args.js';
import { printJson } from '../common.js';
import { markdownTable, MISSING, percent, textTable, type Table } from '../table.js';
import { dataName } from './probe.js';

/** The kinds of eval records, in the order their columns appear (unknown, newer kinds last). */
const KIND_ORDER = ['likelihood', 'quality', 'probe', 'anomaly', 'classify'];
const KIND_NAMES = KIND_ORDER.join(', ');

export const COMPARE_OPTIONS: OptionTable = {
  markdown: { type: 'boolean', help: 'print the table as Markdown, with the command behind each figure (for docs/RESULTS.md)' },
  only: { type: 'string', value: 'KINDS', help: `only these kinds of figures, comma-separated: ${KIND_NAMES}` },
  json: { type: 'boolean', help: 'print one JSON document on stdout: {columns, runs}' },
  help: { type: 'boolean', short: 'h', help: 'show this help' },
};

/** A measured figure as one cell: its value, how the table shows it, and what kind of value it is. */
export interface Cell {
  value: number;
  text: string;
  /** For a likelihood: 'exact', 'bound' (an upper bound on the NLL) or 'estimate'. */
  qualifier?: string;
}

/** A column of figures: `id` is stable across runs (kind, key and field), `header` is what the table shows. */
export interface Column {
  id: string;
  header: string;
  kind: string;
  key: string;
}

export interface ComparedRun {
  run: string;
  model: string;
  data: string;
  /** Epochs trained (the newest checkpoint's), and those planned (config.json). */
  epochs: number;
  epochsPlanned: number;
  steps: number;
  /** Training wall time from metrics.jsonl (see `trainingSeconds`); null when it logged no session. */
  trainSeconds: number | null;
  /** Training sessions: the first, and one per --resume. */
  trainSessions: number;
  /** Values in the checkpoint's model weights (a tabular model: its count table); null without a checkpoint. */
  parameters: number | null;
  trainCommand: string;
  /** By column id. */
  figures: Record<string, Cell>;
  /** The records read, with whether they predate the newest checkpoint (measured on older weights). */
  records: { kind: string; key: string; command: string; createdAt: string; seconds: number; stale: boolean }[];
}

export interface Comparison {
  columns: Column[];
  runs: ComparedRun[];
}

export async function compareCommand(args: string[]): Promise<number> {
  const { values: v, positionals } = parse('compare', args, COMPARE_OPTIONS);
  if (v.help) {
    process.stdout.write(helpText('Usage: genlab compare RUN... [--json | --markdown]', COMPARE_OPTIONS));
    return 0;
  }
  if (positionals.length === 0) throw new UserError('genlab compare needs one or more RUN folders');
  if (v.json && v.markdown) throw new UserError('genlab compare prints --json or --markdown, not both');
  const warn = (message: string) => process.stderr.write(`warning: ${message}\n`);
  const only = v.only === undefined ? undefined : String(v.only).split(',').map((k) => k.trim());
  const unknown = only?.filter((k) => !KIND_ORDER.includes(k)) ?? [];
  if (unknown.length) throw new UserError(`--only: unknown kind ${unknown.map((k) => `'${k}'`).join(', ')}; kinds: ${KIND_NAMES}`);
  const comparison = compareRuns(positionals, warn, only);
  if (v.json) printJson(comparison);
  else if (v.markdown) process.stdout.write(comparisonMarkdown(comparison));
  else process.stdout.write(textTable(comparisonTable(comparison)));
  return 0;
}

/** Reads every run folder (refusing one that is not a run before reading the rest) and lines up their figures. */
export function compareRuns(runDirs: string[], warn: (message: string) => void = () => {}, onlyKinds?: string[]): Comparison {
  const configs = runDirs.map((dir) => readRunConfig(dir));
  const columns = new Map<string, Column>();
  const runs = runDirs.map((dir, i) => {
    const config = configs[i];
    let checkpoint;
    try {
      checkpoint = loadLatestCheckpoint(dir, { warn });
    } catch (e) {
      if (!(e instanceof UserError)) throw e;
      warn(e.message); // every checkpoint damaged: the row keeps what config.json and metrics.jsonl say
    }
    const savedAt = checkpoint?.manifest.savedAt;
    const training = trainingSeconds(new MetricsLog(dir).read());
    const row: ComparedRun = {
      run: dir,
      model: config.model.name,
      data: dataName(config),
      epochs: checkpoint?.manifest.train.epoch ?? 0,
      epochsPlanned: config.train.epochs,
      steps: checkpoint?.manifest.train.step ?? 0,
      trainSeconds: training.seconds,
      trainSessions: training.sessions,
      parameters: checkpoint ? checkpoint.weights.reduce((sum, w) => sum + w.shape.reduce((a, b) => a * b, 1), 0) : null,
      trainCommand: config.command,
      figures: {},
      records: [],
    };
    for (const record of readEvalRecords(dir, warn)) {
      if (typeof record?.kind !== 'string' || typeof record.result !== 'object' || record.result === null) {
        warn(`${dir}: skipping an eval record without a kind or a result`);
        continue;
      }
      if (onlyKinds && !onlyKinds.includes(record.kind)) continue;
      const key = typeof record.key === 'string' ? record.key : '';
      const stale = Boolean(savedAt && typeof record.createdAt === 'string' && record.createdAt < savedAt);
      if (stale) warn(`${dir}: the ${record.kind}${key ? ` ${key}` : ''} figures were measured before the newest checkpoint (step ${row.steps}); rerun: ${record.command}`);
      row.records.push({ kind: record.kind, key, command: String(record.command ?? ''), createdAt: String(record.createdAt ?? ''), seconds: Number(record.seconds), stale });
      for (const { field, header, cell } of figuresOf(record.kind, record.result)) {
        const id = `${record.kind}${key ? `[${key}]` : ''}.${field}`;
        if (!columns.has(id)) columns.set(id, { id, header: key ? `${header} [${key}]` : header, kind: record.kind, key });
        row.figures[id] = cell;
      }
    }
    return row;
  });
  // Columns grouped by kind in a fixed order (newer kinds last), in the order first met within a kind.
  const rank = (kind: string) => (KIND_ORDER.includes(kind) ? KIND_ORDER.indexOf(kind) : KIND_ORDER.length);
  const ordered = [...columns.values()].map((c, i) => ({ c, i })).sort((a, b) => rank(a.c.kind) - rank(b.c.kind) || a.i - b.i);
  return { columns: ordered.map(({ c }) => c), runs };
}


/**
 * Training wall time from metrics.jsonl: a session starts at a 'start' or 'resume' line; one that
 * ended counts the `seconds` of its 'end' line (the whole fit: steps, held-out evaluation, sample
 * grids, checkpoints), one interrupted by Ctrl-C the time to its 'interrupted' line, one killed the
 * time to its last logged batch or epoch. Evaluation lines of other commands do not count.
 */
export function trainingSeconds(records: Record<string, unknown>[]): { seconds: number | null; sessions: number } {
  let total = 0;
  let sessions = 0;
  let open: { start: number; last: number } | null = null;
  const close = () => {
    if (open) total += (open.last - open.start) / 1000;
    open = null;
  };
  for (const r of records) {
    const time = Date.parse(String(r.time));
    if (!Number.isFinite(time)) continue;
    if (r.event === 'start' || r.event === 'resume') {
      close();
      open = { start: time, last: time };
      sessions++;
    } else if (open && r.event === 'end') {
      const s: number = open.start;
      open = null;
      total += typeof r.seconds === 'number' && Number.isFinite(r.seconds) ? r.seconds : (time - s) / 1000;
    } else if (open && (r.event === 'interrupted' || r.event === 'batch' || r.event === 'epoch')) {
      open.last = time;
      if (r.event === 'interrupted') close();
    }
  }
  close();
  return { seconds: sessions > 0 ? total : null, sessions };
}

interface Figure {
  /** Names the figure within its record; with the record's kind and key, the column id. */
  field: string;
  header: string;
  cell: Cell;
}

/** The figures of one record's result, by kind; unknown kinds give their numeric fields. Never throws on odd shapes. */
export function figuresOf(kind: string, result: Record<string, unknown>): Figure[] {
  switch (kind) {
    case 'likelihood':
      return likelihoodFigures(result);
    case 'quality':
      return qualityFigures(result);
    case 'probe':
      return probeFigures(result);
    case 'anomaly':
      return anomalyFigures(result);
    case 'classify':
      return classifyFigures(result);
    default:
      return numericFigures(result, kind);
  }
}

/** NLL and bits/dim with their kind in sight: '≤ 91.30 (bound)', '≈ 88.10 (estimate)', '80.12 (exact)'. */
function likelihoodFigures(r: Record<string, unknown>): Figure[] {
  const qualifier = typeof r.kind === 'string' ? r.kind : undefined;
  const sign = qualifier === 'bound' ? '≤ ' : qualifier === 'estimate' ? '≈ ' : '';
  const show = (v: number, digits: number) => `${sign}${v.toFixed(digits)}${qualifier ? ` (${qualifier})` : ''}`;
  const figures: Figure[] = [];
  const nll = num(r.nll);
  if (nll !== undefined) figures.push({ field: 'nll', header: 'NLL (nats)', cell: { value: nll, text: show(nll, 2), ...(qualifier && { qualifier }) } });
  const bpd = num(r.bitsPerDim);
  if (bpd !== undefined) figures.push({ field: 'bitsPerDim', header: 'bits/dim', cell: { value: bpd, text: show(bpd, 4), ...(qualifier && { qualifier }) } });
  const elbo = num(r.elbo);
  if (elbo !== undefined) figures.push({ field: 'elbo', header: 'ELBO (nats)', cell: { value: elbo, text: elbo.toFixed(2) } });
  // `genlab eval` of a latent model reports its linear probe with the likelihood.
  const probe = num(field(r.probe, 'accuracy'));
  if (probe !== undefined) figures.push({ field: 'probe', header: 'linear probe (eval)', cell: { value: probe, text: percent(probe) } });
  return figures;
}

/** Headers of the sample-quality figures genlab eval writes; other numeric fields show under their own names. */
const QUALITY_HEADERS: Record<string, string> = {
  frechetDistance: 'FD',
  inceptionScore: 'IS analogue',
  precision: 'precision',
  recall: 'recall',
  klToUniform: 'KL to uniform (nats)',
  meanConfidence: 'confidence',
};
/** Sizes and settings of the measurement, not figures of the model (the record keeps them). */
const QUALITY_SETTINGS = new Set(['n', 'referenceExamples', 'k', 'precisionRecallExamples']);

/**
 * Every numeric field but the measurement's sizes and settings. The column ids keep the feature
 * space, so figures from different classifiers never share a column; the FD header names it.
 */
function qualityFigures(r: Record<string, unknown>): Figure[] {
  const space = typeof r.featureSpace === 'string' ? r.featureSpace : undefined;
  return Object.entries(r).flatMap(([name, v]) => {
    const value = num(v);
    if (value === undefined || QUALITY_SETTINGS.has(name)) return [];
    const header = QUALITY_HEADERS[name] ?? name;
    return [{ field: space ? `${name}@${space}` : name, header: space && name === 'frechetDistance' ? `${header} (${space})` : header, cell: { value, text: formatNumber(value) } }];
  });
}

/** Test accuracies of the linear probe and of k-NN (genlab probe's row). */
function probeFigures(r: Record<string, unknown>): Figure[] {
  const figures: Figure[] = [];
  const linear = num(r.linearProbe) ?? num(field(r.probe, 'accuracy')) ?? num(r.accuracy);
  if (linear !== undefined) figures.push({ field: 'linearProbe', header: 'linear probe', cell: { value: linear, text: percent(linear) } });
  const knn = num(r.knn) ?? num(field(r.knn, 'accuracy'));
  const k = num(r.k) ?? num(field(r.knn, 'k'));
  if (knn !== undefined) figures.push({ field: k !== undefined ? `knn@k${k}` : 'knn', header: k !== undefined ? `k-NN (k=${k})` : 'k-NN', cell: { value: knn, text: percent(knn) } });
  return figures;
}

/** AUROC of the raw score and of each corrected one (`complexity`, ...): any sub-object with an `auroc`. */
function anomalyFigures(r: Record<string, unknown>): Figure[] {
  const figures: Figure[] = [];
  const top = num(r.auroc);
  if (top !== undefined) figures.push({ field: 'auroc', header: 'AUROC', cell: { value: top, text: top.toFixed(3) } });
  for (const [name, sub] of Object.entries(r)) {
    const auroc = num(field(sub, 'auroc'));
    if (auroc === undefined) continue;
    figures.push({ field: `${name}.auroc`, header: name === 'raw' ? 'AUROC' : `AUROC ${name}`, cell: { value: auroc, text: auroc.toFixed(3) } });
  }
  return figures;
}

/** Accuracy, the rejection rate on the in-distribution test set and on each other data set, accuracy on what is kept. */
function classifyFigures(r: Record<string, unknown>): Figure[] {
  const figures: Figure[] = [];
  const add = (name: string, header: string, v: unknown) => {
    const value = num(v);
    if (value !== undefined) figures.push({ field: name, header, cell: { value, text: percent(value) } });
  };
  add('accuracy', 'accuracy', r.accuracy);
  add('rejectionRate', 'rejected', r.rejectionRate);
  add('acceptedAccuracy', 'accuracy of accepted', r.acceptedAccuracy);
  if (Array.isArray(r.outOf)) {
    for (const other of r.outOf) {
      const spec = field(other, 'spec');
      if (typeof spec === 'string') add(`outOf.${spec}.rejectionRate`, `rejected of ${spec}`, field(other, 'rejectionRate'));
    }
  }
  return figures;
}

/** A record of a kind not known here: its numeric fields, one level of nesting deep. */
function numericFigures(r: Record<string, unknown>, kind: string): Figure[] {
  return Object.entries(r).flatMap(([name, v]) => {
    const value = num(v);
    if (value !== undefined) return [{ field: name, header: `${kind} ${name}`, cell: { value, text: formatNumber(value) } }];
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return [];
    return Object.entries(v).flatMap(([inner, w]) => {
      const x = num(w);
      return x === undefined ? [] : [{ field: `${name}.${inner}`, header: `${kind} ${name}.${inner}`, cell: { value: x, text: formatNumber(x) } }];
    });
  });
}

function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

function field(v: unknown, name: string): unknown {
  return typeof v === 'object' && v !== null ? (v as Record<string, unknown>)[name] : undefined;
}

/** Four significant digits, no exponent for ordinary magnitudes: 12.35, 0.9123, 1234.6. */
function formatNumber(v: number): string {
  if (Number.isInteger(v)) return String(v);
  const a = Math.abs(v);
  if (a >= 1000) return v.toFixed(1);
  if (a >= 1e-3) return String(Number(v.toPrecision(4)));
  return v.toExponential(2);
}

/** 42 s, 12.3 min, 2.4 h. */
export function formatDuration(seconds: number): string {
  if (seconds < 90) return `${seconds.toFixed(seconds < 10 ? 1 : 0)} s`;
  if (seconds < 5400) return `${(seconds / 60).toFixed(1)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

const FACTS = ['model', 'run', 'data', 'epochs', 'train time', 'parameters'];

export function comparisonTable(c: Comparison): Table {
  return {
    headers: [...FACTS, ...c.columns.map((col) => col.header)],
    rows: c.runs.map((r) => [
      r.model,
      r.run,
      r.data,
      r.epochs === r.epochsPlanned ? String(r.epochs) : `${r.epochs} of ${r.epochsPlanned}`,
      r.trainSeconds === null ? MISSING : formatDuration(r.trainSeconds),
      r.parameters === null ? MISSING : r.parameters.toLocaleString('en-US'),
      ...c.columns.map((col) => r.figures[col.id]?.text ?? MISSING),
    ]),
    align: [...FACTS.map((f) => (f === 'epochs' || f === 'train time' || f === 'parameters' ? 'right' : 'left') as 'left' | 'right'), ...c.columns.map(() => 'right' as const)],
  };
}

/** The table, then per run the commands behind its row: training (config.json), then each record's. */
export function comparisonMarkdown(c: Comparison): string {
  const lines = c.runs.map((r) => {
    const measured = r.records.map((rec) => `${rec.kind}${rec.key ? ` [${rec.key}]` : ''}: \`${rec.command}\`${rec.stale ? ' (before the newest checkpoint)' : ''}`);
    return `- \`${r.run}\`: trained by \`${r.trainCommand}\`${measured.length ? `; ${measured.join('; ')}` : ''}`;
  });
  return `${markdownTable(comparisonTable(c))}\nCommands:\n\n${lines.join('\n')}\n`;
}
