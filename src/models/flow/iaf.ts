/**
 * IAF: inverse autoregressive flow (Kingma, Salimans, Jozefowicz, Chen, Sutskever & Welling 2016,
 * NIPS), here as a density model of the data, the mirror image of MAF (Papamakarios, Pavlakou &
 * Murray 2017, Sec. 3.3). Sampling is one MADE pass per layer (Eqs. 10-11 of Kingma et al.),
 *
 *   x_i = u_i exp(alpha_i) + mu_i,   (mu_i, alpha_i) = MADE(u_{<i}),   u ~ N(0, I),
 *
 * the conditioner reading the noise side, while the density must recover u from x one entry at a
 * time: u_i = (x_i - mu_i(u_{<i})) exp(-alpha_i(u_{<i})), D sequential passes per layer, and
 * log p(x) = log N(u; 0, I) - sum_i alpha_i. Each layer is MAF's layer (./layers.ts, MadeAffine) run
 * backwards (`Inverted`); orderings reverse between layers as in MAF. Training on the density costs
 * D passes per layer per step: fine on toys, impractical on images (784 passes) on CPU; IAF's home
 * is as a posterior for a VAE, where only the one-pass direction is needed.
 */
import { defaultsOf, defineOptions } from '../options.js';
import { FLOW_DATA_OPTIONS, FlowModel, hiddenSizes, type FlowDataConfig } from './flowModel.js';
import { Inverted } from './layers.js';
import { madeChain } from './maf.js';

export interface IafConfig extends FlowDataConfig {
  /** MADE layers, each run in the inverse direction, the ordering reversed between consecutive ones. */
  layers: number;
  /** Hidden layers of each MADE. */
  hidden: number[];
  /** Bound c of the soft clamp c tanh(alpha / c) on each log-scale alpha (0: none). */
  scaleClamp: number;
}

export const IAF_OPTIONS = defineOptions<IafConfig>({
  layers: { type: 'int', default: 5, min: 1, max: 64, help: 'MADE layers (inverse direction), the ordering reversed between them' },
  hidden: { type: 'int-list', default: [256, 256], min: 1, help: 'hidden layers of each MADE' },
  scaleClamp: { type: 'number', default: 5, min: 0, help: 'bound c of the soft clamp c tanh(alpha / c) on each log-scale (0: none)' },
  ...FLOW_DATA_OPTIONS,
});

export const IAF_DEFAULTS: Readonly<IafConfig> = defaultsOf(IAF_OPTIONS);

export class Iaf extends FlowModel<IafConfig> {
  readonly name = 'iaf';

  constructor(config: Partial<IafConfig>, inputShape: number[]) {
    super({ ...IAF_DEFAULTS, ...config }, inputShape);
    this.widest = 2 * Math.max(...hiddenSizes('iaf', this.config.hidden), this.D);
    this.layers = madeChain('iaf', this.params, this.D, this.config, (made) => new Inverted(made));
  }
}
