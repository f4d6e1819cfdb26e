/**
 * Value-kind conversions: 8-bit pixels <-> intensities in [0, 1] <-> binary pixels.
 *
 * Binarized MNIST comes in two protocols, and results are only comparable within one:
 *  - 'stochastic' (static): every pixel is drawn once, x ~ Bernoulli(intensity), with a fixed seed,
 *    and that one binary data set is used for training and evaluation (Salakhutdinov & Murray 2008,
 *    "On the quantitative analysis of deep belief networks", Sec. 4; Larochelle & Murray 2011).
 *  - 'dynamic': a fresh Bernoulli sample of every batch each time it is seen, which acts as data
 *    augmentation and gives lower (better) test NLL numbers (e.g. Burda et al. 2016, IWAE, Sec. 5.2).
 *    Use `DynamicBinarizer` inside the training loop for this.
 * 'threshold' (x > 0.5) is deterministic and is not the standard protocol; it is here for quick looks.
 */
import { check } from '../core/errors.js';
import { Rng } from '../core/rng.js';
import { Dataset } from './dataset.js';

export type BinarizeMode = 'stochastic' | 'threshold';

/**
 * A binary copy of `d` (kind 'binary'). `d` must hold values in [0, 1] (kind 'continuous' or
 * 'binary'; convert 8-bit data with `toContinuous` first). 'stochastic' needs `rng` and draws every
 * pixel once: x = 1 with probability equal to its intensity. 'threshold' sets x = 1 where x > 0.5.
 */
export function binarize(d: Dataset, mode: BinarizeMode, rng?: Rng): Dataset {
  checkUnitInterval(d, 'binarize');
  const x = new Float32Array(d.x.length);
  if (mode === 'stochastic') {
    check(rng, "binarize(..., 'stochastic') needs a seeded Rng so the draw can be reproduced");
    bernoulliInto(d.x, x, rng);
  } else if (mode === 'threshold') {
    for (let i = 0; i < x.length; i++) x[i] = d.x[i] > 0.5 ? 1 : 0;
  } else {
    check(false, `unknown binarization mode '${mode as string}'; valid modes: stochastic, threshold`);
  }
  return { ...d, x, kind: 'binary' };
}

/**
 * Dynamic binarization: a new Bernoulli(intensity) draw each time a batch (or the whole data set)
 * is requested. All draws come from the given Rng, so a run is reproducible from its seed and can be
 * resumed from `rng.getState()`.
 */
export class DynamicBinarizer {
  constructor(private readonly rng: Rng) {}

  /**
   * A binary draw of `intensities` (values in [0, 1]), written into `out` when given (same length;
   * lets a training loop reuse one buffer instead of allocating every batch).
   */
  sample(intensities: Float32Array, out?: Float32Array): Float32Array {
    const y = out ?? new Float32Array(intensities.length);
    check(y.length === intensities.length, () => `DynamicBinarizer.sample: out has length ${y.length}, expected ${intensities.length}`);
    bernoulliInto(intensities, y, this.rng);
    return y;
  }

  /** A fresh binary draw of a whole [0, 1]-valued data set, e.g. once per epoch. */
  epoch(d: Dataset): Dataset {
    checkUnitInterval(d, 'DynamicBinarizer.epoch');
    return { ...d, x: this.sample(d.x), kind: 'binary' };
  }
}

/** 8-bit data (kind 'uint8', values 0..255) scaled to intensities in [0, 1] (kind 'continuous'). */
export function toContinuous(d: Dataset): Dataset {
  if (d.kind === 'continuous' || d.kind === 'binary') return d;
  check(d.kind === 'uint8', () => `toContinuous: '${d.name}' has kind '${d.kind}'; only 8-bit ('uint8') data can be scaled to [0, 1]`);
  const x = new Float32Array(d.x.length);
  for (let i = 0; i < x.length; i++) x[i] = d.x[i] / 255;
  return { ...d, x, kind: 'continuous' };
}

/** [0, 1] data (kind 'continuous' or 'binary') as integers 0..255 (kind 'uint8'), rounded and clamped. */
export function toUint8(d: Dataset): Dataset {
  if (d.kind === 'uint8') return d;
  checkUnitInterval(d, 'toUint8');
  const x = new Float32Array(d.x.length);
  for (let i = 0; i < x.length; i++) x[i] = Math.min(255, Math.max(0, Math.round(d.x[i] * 255)));
  return { ...d, x, kind: 'uint8' };
}

function checkUnitInterval(d: Dataset, what: string): void {
  check(
    d.kind === 'continuous' || d.kind === 'binary',
    () =>
      `${what}: '${d.name}' has kind '${d.kind}', expected values in [0, 1] (kind 'continuous' or 'binary')` +
      (d.kind === 'uint8' ? '; convert 8-bit data with toContinuous first' : ''),
  );
}

/** y[i] = 1 with probability p[i] (uniform in [0, 1), so p = 0 never fires and p = 1 always does). */
function bernoulliInto(p: Float32Array, y: Float32Array, rng: Rng): void {
  for (let i = 0; i < p.length; i++) y[i] = rng.uniform() < p[i] ? 1 : 0;
}
