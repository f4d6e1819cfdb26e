/** `genlab export`: a run's weights in a format other frameworks read (safetensors), for going beyond one machine (docs/SCALING.md). */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { UserError } from '../../core/errors.js';
import { initNodeBackend } from '../../node/engine.js';
import { exportSafetensors } from '../../node/export.js';
import { openRun } from '../../node/run.js';
import { EMA_OPTION, choiceFlag, helpText, onePositional, parse, type OptionTable } from '../args.js';
import { printJson } from '../common.js';

export const EXPORT_FORMATS = ['safetensors'] as const;

export const EXPORT_OPTIONS: OptionTable = {
  format: { type: 'string', value: 'NAME', help: `the file format: ${EXPORT_FORMATS.join(', ')}` },
  out: { type: 'string', value: 'FILE', help: 'the file to write, FILE.safetensors; an existing one is replaced, as by sample --out (default RUN/model.safetensors)' },
  ...EMA_OPTION,
  json: { type: 'boolean', help: 'print one JSON document on stdout' },
  help: { type: 'boolean', short: 'h', help: 'show this help' },
};

const USAGE = 'Usage: genlab export RUN --format safetensors [--out FILE.safetensors] [--no-ema] [--json]';

const ABOUT = `
Writes the weights of the run's newest intact checkpoint (its EMA weights when it was trained with
--ema, unless --no-ema) as a safetensors file: F32 arrays (I32 for count tables) under their
checkpoint names ('encoder/dense0/W', 'decoder/output/b', 'decoder/logStd', ...), and string
metadata: model, config (JSON), data (shape, kind), step, epoch, ema, genlab_version, layout.

The arrays keep TensorFlow's layouts. In PyTorch:
  dense 'W' [in, out]                          nn.Linear.weight = W.T ([out, in]); 'b' as it is
  conv 'filter' [fh, fw, in, out]              nn.Conv2d.weight = filter.permute(3, 2, 0, 1)
  transposed conv 'filter' [fh, fw, out, in]   nn.ConvTranspose2d.weight = filter.permute(3, 2, 0, 1)
Images are NHWC: a dense layer after a flattened feature map reads (h, w, c), PyTorch's flatten (c, h, w).
bench/reference/vae_safetensors_check.py loads a vae export into PyTorch and checks its ELBO terms.
`;

export async function exportCommand(args: string[]): Promise<number> {
  const { values: v, positionals } = parse('export', args, EXPORT_OPTIONS);
  if (v.help) {
    process.stdout.write(helpText(USAGE, EXPORT_OPTIONS) + ABOUT);
    return 0;
  }
  const runDir = onePositional('export', positionals, 'RUN folder');
  if (v.format === undefined) throw new UserError(`genlab export needs --format NAME (${EXPORT_FORMATS.join(', ')})`);
  const format = choiceFlag('format', v.format, EXPORT_FORMATS)!;
  const out = v.out === undefined ? path.join(runDir, `model.${format}`) : String(v.out);
  if (path.extname(out).toLowerCase() !== `.${format}`) throw new UserError(`--out must end in .${format}, got '${out}'`);
  if (fs.existsSync(out) && fs.statSync(out).isDirectory()) throw new UserError(`--out '${out}' is a folder; name the file to write`);
  await initNodeBackend();
  const run = openRun(runDir, { ema: !v['no-ema'] });
  try {
    const written = exportSafetensors(run, out);
    const { step, epoch } = run.checkpoint.manifest.train;
    const weights = run.usingEma ? 'EMA weights' : 'weights';
    if (v.json) {
      printJson({ out, format, model: run.model.name, step, epoch, ema: run.usingEma, tensors: written.tensors, bytes: written.bytes });
    } else {
      process.stderr.write(`wrote the ${weights} of ${run.model.name} at step ${step} (${written.tensors} arrays, ${written.bytes} bytes) to ${out}\n`);
    }
  } finally {
    run.model.dispose();
  }
  return 0;
}
