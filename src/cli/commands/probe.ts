/**
 * `genlab probe RUN...`: how much of the class the codes of each latent model carry, by two
 * classifiers fit on the codes of train examples and scored on the codes of test examples: the
 * linear probe (softmax regression, src/eval/probe.ts: is the class linearly readable?) and k-NN
 * (src/eval/knn.ts: do neighbours in code space share a class?). `--pixels` adds the raw pixels
 * of the first run's data, as its model sees them, through the same two classifiers: the baseline
 * a representation has to beat. One row per run, one table; each run keeps its row as an eval
 * record (kind 'probe') for `genlab compare`.
 */
import { UserError } from '../../core/errors.js';
import { exampleSize, head, type DataSplits } from '../../data/dataset.js';
import { knnAccuracy, KNN_DEFAULTS } from '../../eval/knn.js';
import { encodeLabelled, linearProbe, PROBE_DEFAULTS, type LabelledCodes } from '../../eval/probe.js';
import { isLatent, type LatentModel } from '../../models/capabilities.js';
import type { GenerativeModel } from '../../models/model.js';
import { getEntry, listModels } from '../../models/registry.js';
import { initNodeBackend } from '../../node/engine.js';
import { commandLine, writeEvalRecord } from '../../node/evalRecords.js';
import { Progress } from '../../node/progress.js';
import { loadRunData, openRun, type OpenRun, type RunConfig } from '../../node/run.js';
import { EMA_OPTION, helpText, numberFlag, parse, type OptionTable } from '../args.js';
import { printJson } from '../common.js';
import { markdownTable, MISSING, percent, textTable, type Table } from '../table.js';

export const PROBE_OPTIONS: OptionTable = {
  pixels: { type: 'boolean', help: "add a row for the raw pixels of the first run's data (as its model sees them): the baseline" },
  'train-examples': { type: 'string', value: 'N', help: 'fit both classifiers on the codes of the first N train examples', default: '10000' },
  'test-examples': { type: 'string', value: 'N', help: 'score them on the first N test examples (default: the whole test split)' },
  k: { type: 'string', value: 'K', help: 'neighbours that vote in k-NN', default: String(KNN_DEFAULTS.k) },
  markdown: { type: 'boolean', help: 'print the table as Markdown (for docs/RESULTS.md)' },
  ...EMA_OPTION,
  backend: { type: 'string', value: 'NAME', help: 'tensorflow|webgpu|webgl|wasm|cpu (default: best available)' },
  json: { type: 'boolean', help: 'print one JSON document on stdout: an array of rows' },
  help: { type: 'boolean', short: 'h', help: 'show this help' },
};

/** One row of the table, as `--json` prints it and the run's 'probe' record keeps it. */
export interface ProbeRow {
  /** The run folder; null for the pixel baseline. */
  run: string | null;
  /** The model's name; 'pixels' for the baseline. */
  model: string;
  /** The data as the model sees it: the spec and its binarization. */
  data: string;
  representation: 'codes' | 'pixels';
  /** Features per example: the code size, or the pixels' D. */
  dimension: number;
  /** Test accuracy of the linear probe, and its accuracy on the codes it was fit on. */
  linearProbe: number;
  linearProbeTrain: number;
  /** Test accuracy of k-NN against the train codes. */
  knn: number;
  k: number;
  trainExamples: number;
  testExamples: number;
  /** Wall time of encoding and of both classifiers, seconds. */
  seconds: number;
}

export async function probeCommand(args: string[]): Promise<number> {
  const { values: v, positionals } = parse('probe', args, PROBE_OPTIONS);
  if (v.help) {
    process.stdout.write(helpText('Usage: genlab probe RUN... [--pixels] [--train-examples N] [--test-examples N] [--k K] [--json | --markdown]', PROBE_OPTIONS));
    return 0;
  }
  if (positionals.length === 0) throw new UserError('genlab probe needs one or more RUN folders (of models that encode: ae, vae, ...)');
  if (v.json && v.markdown) throw new UserError('genlab probe prints --json or --markdown, not both');
  const trainExamples = numberFlag('train-examples', v['train-examples'], { integer: true, min: 1 })!;
  const testExamples = numberFlag('test-examples', v['test-examples'], { integer: true, min: 1 });
  const k = numberFlag('k', v.k, { integer: true, min: 1 })!;
  if (k > trainExamples) throw new UserError(`--k ${k} is more than the ${trainExamples} train examples (--train-examples) that vote`);
  await initNodeBackend(v.backend as string | undefined);

  // 1. Every run opened and checked before any is measured, the data read last: a refusal costs nothing.
  const opened: EncodingRun[] = [];
  const runs: { run: EncodingRun; data: DataSplits }[] = [];
  const dataByProtocol = new Map<string, DataSplits>();
  try {
    for (const dir of positionals) {
      const run = openRun(dir, { ema: !v['no-ema'] });
      if (!isLatent(run.model)) {
        run.model.dispose();
        throw noCodes(run);
      }
      opened.push(run as EncodingRun);
    }
    for (const run of opened) runs.push({ run, data: labelledData(run, dataByProtocol, k, trainExamples) });
  } catch (e) {
    for (const run of opened) run.model.dispose();
    throw e;
  }

  // 2. Codes of N train and M test examples, then the two classifiers on them.
  const rows: ProbeRow[] = [];
  const command = commandLine();
  for (const { run, data } of runs) {
    const model = run.model;
    const started = Date.now();
    const test = head(data.test, testExamples ?? data.test.n);
    const progress = new Progress({ label: `encode ${run.dir}`, total: Math.min(trainExamples, data.train.n) + test.n, unit: 'ex' });
    const tick = (n: number) => progress.tick(n);
    const trainCodes = await encodeLabelled(model, data.train, trainExamples, PROBE_DEFAULTS.seed, tick);
    const testCodes = await encodeLabelled(model, test, test.n, PROBE_DEFAULTS.seed, tick);
    progress.finish();
    model.dispose();
    const row = await classify(trainCodes, testCodes, model.latentSize, k, {
      run: run.dir,
      model: model.name,
      data: dataName(run.config),
      representation: 'codes',
    });
    row.seconds = (Date.now() - started) / 1000;
    writeEvalRecord(run.dir, { kind: 'probe', key: '', command, seconds: row.seconds, result: { ...row } });
    rows.push(row);
  }

  // 3. The baseline: the first run's pixels as its model sees them (binarized where it was).
  if (v.pixels) {
    const { run, data } = runs[0];
    const started = Date.now();
    const D = exampleSize(data.train);
    process.stderr.write(`probe: the linear probe and k-NN on the ${D} raw pixels of ${dataName(run.config)} (the data of ${run.dir})\n`);
    const pixels = (d: DataSplits['train'], n: number): LabelledCodes => {
      const part = head(d, n);
      return { x: part.x, labels: part.labels!, n: part.n };
    };
    const row = await classify(pixels(data.train, trainExamples), pixels(data.test, testExamples ?? data.test.n), D, k, {
      run: null,
      model: 'pixels',
      data: dataName(run.config),
      representation: 'pixels',
    });
    row.seconds = (Date.now() - started) / 1000;
    rows.push(row);
  }

  if (v.json) printJson(rows);
  else if (v.markdown) process.stdout.write(probeMarkdown(rows, command));
  else process.stdout.write(textTable(probeTable(rows)));
  return 0;
}

type EncodingRun = OpenRun & { model: GenerativeModel & LatentModel };

function noCodes(run: OpenRun): UserError {
  const encoders = listModels().filter((m) => m.capabilities.latent).map((m) => m.name);
  return new UserError(`'${run.dir}' holds a ${run.model.name} model, which has no latent codes to probe; genlab probe needs a model that encodes (${encoders.join(', ')})`);
}

/** The run's data as its model sees it, labelled, shared by runs trained on the same protocol. */
function labelledData(run: OpenRun, cache: Map<string, DataSplits>, k: number, trainExamples: number): DataSplits {
  const protocol = JSON.stringify([run.config.data, getEntry(run.config.model.name).accepts]);
  let data = cache.get(protocol);
  if (!data) {
    data = loadRunData(run.config);
    cache.set(protocol, data);
  }
  if (!data.train.labels || !data.test.labels) {
    throw new UserError(`the data of '${run.dir}' (${run.config.data.spec}) have no class labels, which the linear probe and k-NN are scored against`);
  }
  const fit = Math.min(trainExamples, data.train.n);
  if (k > fit) throw new UserError(`--k ${k} is more than the ${fit} train examples of '${run.dir}'`);
  return data;
}

/** The linear probe and k-NN fit on `train`, scored on `test` (d features each). */
async function classify(train: LabelledCodes, test: LabelledCodes, d: number, k: number, what: Pick<ProbeRow, 'run' | 'model' | 'data' | 'representation'>): Promise<ProbeRow> {
  const linear = linearProbe(train, test, d);
  const knn = await knnAccuracy(train, test, d, { k });
  return {
    ...what,
    dimension: d,
    linearProbe: linear.accuracy,
    linearProbeTrain: linear.trainAccuracy,
    knn: knn.accuracy,
    k,
    trainExamples: train.n,
    testExamples: test.n,
    seconds: 0,
  };
}

/** 'mnist (stochastic)': the spec, with the binarization when there is one. */
export function dataName(config: RunConfig): string {
  const { spec, binarize } = config.data;
  return binarize && binarize !== 'none' ? `${spec} (${binarize})` : spec;
}

function probeTable(rows: ProbeRow[]): Table {
  const k = rows[0]?.k ?? KNN_DEFAULTS.k;
  return {
    headers: ['model', 'run', 'data', 'dimension', 'linear probe', `k-NN (k=${k})`, 'examples (train / test)'],
    rows: rows.map((r) => [r.model, r.run ?? MISSING, r.data, String(r.dimension), percent(r.linearProbe), percent(r.knn), `${r.trainExamples} / ${r.testExamples}`]),
    align: ['left', 'left', 'left', 'right', 'right', 'right', 'right'],
  };
}

function probeMarkdown(rows: ProbeRow[], command: string): string {
  return (
    markdownTable(probeTable(rows)) +
    '\nTest accuracy of a linear probe (softmax regression on standardised features) and of k-NN (Euclidean) ' +
    `on the codes, each fit on the train examples; pixels: the same on the raw pixels. Command: \`${command}\`\n`
  );
}
