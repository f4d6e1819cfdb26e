/**
 * NICE: non-linear independent components estimation (Dinh, Krueger & Bengio 2015, ICLR workshop).
 * A chain of additive couplings (Eq. 5),
 *
 *   y_{I1} = x_{I1},   y_{I2} = x_{I2} + m(x_{I1}),
 *
 * each of Jacobian determinant 1, the partitions I1 / I2 alternating between layers (odd and even
 * indices, Sec. 5.1; a checkerboard on images), then a diagonal scaling y = exp(s) x, the only
 * layer that changes volume (Sec. 3.3). With the standard logistic base of the paper's MNIST model
 * (Sec. 3.4), log p(x) = sum_d log p_logistic(z_d) + sum_d s_d (Eq. 1; ./flowModel.ts).
 * One pass scores or samples: each coupling inverts by subtracting the same m(x_{I1}).
 */
import { defaultsOf, defineOptions } from '../options.js';
import { FLOW_DATA_OPTIONS, FlowModel, hiddenSizes, type FlowDataConfig, type FlowPrior } from './flowModel.js';
import { AdditiveCoupling, alternatingMask, DiagonalScaling, LogitTransform } from './layers.js';
import { check } from '../../core/errors.js';

export interface NiceConfig extends FlowDataConfig {
  /** Additive coupling layers (4 in the paper). */
  couplings: number;
  /** Hidden layers of each coupling's network m (the paper: 5 of 1000 ReLUs on MNIST; smaller by default, for wasm). */
  hidden: number[];
  /** Base density p_Z per dimension: the paper's 'logistic' (Sec. 3.4) or 'gaussian'. */
  prior: FlowPrior;
}

export const NICE_OPTIONS = defineOptions<NiceConfig>({
  couplings: { type: 'int', default: 4, min: 1, max: 64, help: 'additive coupling layers (4 in the paper)' },
  hidden: { type: 'int-list', default: [500, 500], min: 1, help: 'hidden layers of each coupling network (paper: 5 of 1000 on MNIST)' },
  prior: { type: 'choice', default: 'logistic', choices: ['logistic', 'gaussian'], help: 'base density per dimension: logistic (the paper\'s, Sec. 3.4) or gaussian' },
  ...FLOW_DATA_OPTIONS,
});

export const NICE_DEFAULTS: Readonly<NiceConfig> = defaultsOf(NICE_OPTIONS);

export class Nice extends FlowModel<NiceConfig> {
  readonly name = 'nice';

  constructor(config: Partial<NiceConfig>, inputShape: number[]) {
    super({ ...NICE_DEFAULTS, ...config }, inputShape);
    const { couplings, prior, logit } = this.config;
    const hidden = hiddenSizes('nice', this.config.hidden);
    check(Number.isInteger(couplings) && couplings >= 1, `nice: couplings must be an integer >= 1, got ${couplings}`);
    check(prior === 'logistic' || prior === 'gaussian', `nice: prior must be logistic or gaussian, got ${prior}`);
    this.prior = prior;
    this.widest = Math.max(...hidden);
    if (logit) this.layers.push(new LogitTransform());
    for (let k = 0; k < couplings; k++) this.layers.push(new AdditiveCoupling(this.params, `coupling${k}`, alternatingMask(inputShape, k), hidden));
    this.layers.push(new DiagonalScaling(this.params, 'scaling', this.D));
  }
}
