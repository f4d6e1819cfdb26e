/**
 * RealNVP: real-valued non-volume preserving transformations (Dinh, Sohl-Dickstein & Bengio 2017,
 * ICLR). A chain of affine couplings with binary masks b (Eqs. 7-9),
 *
 *   y = b x + (1 - b) (x exp(s(b x)) + t(b x)),   log |det dy/dx| = sum_{j: b_j = 0} s_j(b x),
 *
 * the masks alternating (a checkerboard on images, Sec. 3.4; index parity on vectors), with a
 * standard Gaussian base. Here s and t come from one MLP on the flattened input (the paper's
 * convolutional ResNets and multi-scale squeeze architecture are not built), s passes a soft clamp
 * c tanh(s / c) (the paper also bounds s through a tanh), and an actnorm layer (Glow, Kingma &
 * Dhariwal 2018, Table 1) follows each coupling where the paper used batch normalisation (Sec. 3.7):
 * it needs no batch statistics at test time. On [0, 1] data the chain begins with the logit
 * transform (Sec. 4.1). Scoring and sampling each take one pass.
 */
import { check } from '../../core/errors.js';
import { defaultsOf, defineOptions } from '../options.js';
import { FLOW_DATA_OPTIONS, FlowModel, hiddenSizes, type FlowDataConfig } from './flowModel.js';
import { ActNorm, AffineCoupling, alternatingMask, LogitTransform } from './layers.js';

export interface RealNvpConfig extends FlowDataConfig {
  /** Affine coupling layers, masks alternating. */
  couplings: number;
  /** Hidden layers of each coupling's network (s and t share it). */
  hidden: number[];
  /** Bound c of the soft clamp c tanh(s / c) on the log-scales s (0: none). */
  scaleClamp: number;
  /** An actnorm layer after every coupling (data-dependent initialisation on the first batch). */
  actnorm: boolean;
}

export const REALNVP_OPTIONS = defineOptions<RealNvpConfig>({
  couplings: { type: 'int', default: 8, min: 1, max: 64, help: 'affine coupling layers, masks alternating' },
  hidden: { type: 'int-list', default: [256, 256], min: 1, help: 'hidden layers of each coupling network (s and t share it)' },
  scaleClamp: { type: 'number', default: 3, min: 0, help: 'bound c of the soft clamp c tanh(s / c) on each log-scale (0: none)' },
  actnorm: { type: 'boolean', default: true, help: 'an actnorm layer (Glow) after every coupling, initialised on the first batch' },
  ...FLOW_DATA_OPTIONS,
});

export const REALNVP_DEFAULTS: Readonly<RealNvpConfig> = defaultsOf(REALNVP_OPTIONS);

export class RealNvp extends FlowModel<RealNvpConfig> {
  readonly name = 'realnvp';

  constructor(config: Partial<RealNvpConfig>, inputShape: number[]) {
    super({ ...REALNVP_DEFAULTS, ...config }, inputShape);
    const { couplings, scaleClamp, actnorm, logit } = this.config;
    const hidden = hiddenSizes('realnvp', this.config.hidden);
    check(Number.isInteger(couplings) && couplings >= 1, `realnvp: couplings must be an integer >= 1, got ${couplings}`);
    check(Number.isFinite(scaleClamp) && scaleClamp >= 0, `realnvp: scaleClamp must be a number >= 0, got ${scaleClamp}`);
    this.widest = 2 * Math.max(...hidden);
    if (logit) this.layers.push(new LogitTransform());
    for (let k = 0; k < couplings; k++) {
      this.layers.push(new AffineCoupling(this.params, `coupling${k}`, alternatingMask(inputShape, k), hidden, scaleClamp));
      if (actnorm) this.layers.push(new ActNorm(this.params, `actnorm${k}`, this.D));
    }
  }
}
