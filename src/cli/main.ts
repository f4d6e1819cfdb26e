/**
 * The `genlab` command line. User mistakes (UserError) print one clear line and exit 2 with no
 * stack trace; anything else is a bug and prints its stack.
 */
import { UserError } from '../core/errors.js';
import { modelsCommand, paramsCommand } from './commands/info-commands.js';
import { evalCommand, infoCommand, sampleCommand, scoreCommand } from './commands/run-commands.js';
import { trainCommand } from './commands/train.js';
import { classifierCommand } from './commands/classifier.js';
import { probeCommand } from './commands/probe.js';
import { compareCommand } from './commands/compare.js';
import { completeCommand } from './commands/complete.js';
import { anomalyCommand } from './commands/anomaly.js';
import { classifyCommand } from './commands/classify.js';
import { exportCommand } from './commands/export.js';
import { encodeCommand, interpolateCommand, latentMapCommand, reconstructCommand, traverseCommand } from './commands/latent.js';

const COMMANDS: Record<string, { run: (args: string[]) => Promise<number>; summary: string }> = {
  train: { run: trainCommand, summary: 'train a model into a run folder (checkpoints, samples, metrics)' },
  sample: { run: sampleCommand, summary: 'draw samples from a trained run (.png grid or .csv)' },
  score: { run: scoreCommand, summary: 'per-example log p(x) of inputs, in nats and bits/dim' },
  eval: { run: evalCommand, summary: 'mean test NLL of a run, in nats and bits/dim; linear probe of latent codes' },
  anomaly: { run: anomalyCommand, summary: 'out-of-distribution detection by -log p(x): AUROC, AUPRC, FPR@95%TPR, raw and complexity-corrected' },
  classify: { run: classifyCommand, summary: "classify by Bayes' rule with a class-conditional density (classcond, cvae); refuse unlikely inputs" },
  complete: { run: completeCommand, summary: 'fill in the missing part of images (inpainting) by sampling p(missing | observed)' },
  encode: { run: encodeCommand, summary: 'latent codes (posterior means) of a split or of input files, as CSV' },
  'latent-map': { run: latentMapCommand, summary: '2-D map of the latent codes coloured by class (PCA above 2-D)' },
  interpolate: { run: interpolateCommand, summary: 'decode points on the line between the codes of two inputs' },
  traverse: { run: traverseCommand, summary: 'decode codes with one latent dimension swept from -R to R' },
  reconstruct: { run: reconstructCommand, summary: 'inputs beside their reconstructions decode(encode(x))' },
  classifier: { run: classifierCommand, summary: 'train or test the reference classifier whose features measure sample quality' },
  probe: { run: probeCommand, summary: 'linear probe and k-NN accuracy on the codes of latent models (and on raw pixels)' },
  compare: { run: compareCommand, summary: 'one table of every measured figure of several runs (--markdown for docs/RESULTS.md)' },
  export: { run: exportCommand, summary: "write a run's weights as a safetensors file, for PyTorch and other frameworks" },
  info: { run: infoCommand, summary: 'what a run folder holds' },
  models: { run: modelsCommand, summary: 'list the models with their family and capabilities' },
  params: { run: paramsCommand, summary: 'count the free parameters of a joint distribution' },
};

export function usage(): string {
  const rows = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(12)} ${c.summary}`);
  return `genlab: deep generative models in TypeScript\n\nUsage: genlab COMMAND [options]   (genlab COMMAND --help for its options)\n\n${rows.join('\n')}\n`;
}

/** A user mistake as one line that names the command once: `genlab train: --epochs must be ...`. */
export function errorLine(command: string | undefined, message: string): string {
  if (/^genlab[ :]/.test(message)) return message; // already names it (`genlab train made: Unknown option ...`)
  return `${command ? `genlab ${command}` : 'genlab'}: ${message}`;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage());
    return name ? 0 : 2;
  }
  const command = COMMANDS[name];
  try {
    if (!command) throw new UserError(`unknown command '${name}'; commands: ${Object.keys(COMMANDS).join(', ')}`);
    return await command.run(args);
  } catch (e) {
    if (e instanceof UserError) {
      process.stderr.write(`${errorLine(command ? name : undefined, e.message)}\n`);
      return 2;
    }
    throw e;
  }
}
