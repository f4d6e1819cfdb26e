/**
 * MAF: masked autoregressive flow (Papamakarios, Pavlakou & Murray 2017, NIPS). Each layer is an
 * autoregressive Gaussian in the MADE form (Germain et al. 2015),
 *
 *   x_i = u_i exp(alpha_i) + mu_i,   (mu_i, alpha_i) = MADE(x_{<i}),   u ~ N(0, I)     (Eqs. 2-3)
 *
 * so u = (x - mu(x)) exp(-alpha(x)) in one pass and log p(x) = log N(u; 0, I) - sum_i alpha_i
 * (Eq. 5). Layers are stacked with the ordering reversed between them (Sec. 3.1: each layer's
 * random numbers are the next one's data), so every variable is conditioned on every other across
 * the stack. Density: one MADE pass per layer; sampling: D sequential passes per layer. alpha
 * passes a soft clamp c tanh(alpha / c) for float32 safety; the paper's batch normalisation
 * between layers is not built. On [0, 1] data the chain begins with the logit transform
 * (the paper's Sec. 4.2 uses it with its own alpha; here RealNVP's 0.05).
 */
import { check } from '../../core/errors.js';
import { defaultsOf, defineOptions } from '../options.js';
import { FLOW_DATA_OPTIONS, FlowModel, hiddenSizes, type FlowDataConfig } from './flowModel.js';
import type { Parameters } from '../../nn/parameters.js';
import { LogitTransform, MadeAffine, Reverse, type FlowLayer } from './layers.js';

export interface MafConfig extends FlowDataConfig {
  /** MADE layers, the ordering reversed between consecutive ones (5 in the paper). */
  layers: number;
  /** Hidden layers of each MADE (the paper: 1 or 2 of 1024 on MNIST; smaller by default, for wasm). */
  hidden: number[];
  /** Bound c of the soft clamp c tanh(alpha / c) on each log-scale alpha (0: none). */
  scaleClamp: number;
}

export const MAF_OPTIONS = defineOptions<MafConfig>({
  layers: { type: 'int', default: 5, min: 1, max: 64, help: 'MADE layers, the ordering reversed between them (5 in the paper)' },
  hidden: { type: 'int-list', default: [256, 256], min: 1, help: 'hidden layers of each MADE (paper: 1 or 2 of 1024 on MNIST)' },
  scaleClamp: { type: 'number', default: 5, min: 0, help: 'bound c of the soft clamp c tanh(alpha / c) on each log-scale (0: none)' },
  ...FLOW_DATA_OPTIONS,
});

export const MAF_DEFAULTS: Readonly<MafConfig> = defaultsOf(MAF_OPTIONS);

export class Maf extends FlowModel<MafConfig> {
  readonly name = 'maf';

  constructor(config: Partial<MafConfig>, inputShape: number[]) {
    super({ ...MAF_DEFAULTS, ...config }, inputShape);
    this.widest = 2 * Math.max(...hiddenSizes('maf', this.config.hidden), this.D);
    this.layers = madeChain('maf', this.params, this.D, this.config, (made) => made);
  }
}

/**
 * The chain MAF and IAF (./iaf.ts) share: the logit transform on [0, 1] data, then `layers` MADE
 * affine layers, each as `orient` gives it (MAF: as is; IAF: inverted), the ordering reversed
 * between them.
 */
export function madeChain(
  model: string,
  params: Parameters,
  D: number,
  config: Pick<MafConfig, 'layers' | 'hidden' | 'scaleClamp' | 'logit' | 'seed'>,
  orient: (made: MadeAffine) => FlowLayer,
): FlowLayer[] {
  const { layers, scaleClamp, logit, seed } = config;
  const hidden = hiddenSizes(model, config.hidden);
  check(Number.isInteger(layers) && layers >= 1, `${model}: layers must be an integer >= 1, got ${layers}`);
  check(Number.isFinite(scaleClamp) && scaleClamp >= 0, `${model}: scaleClamp must be a number >= 0, got ${scaleClamp}`);
  const chain: FlowLayer[] = logit ? [new LogitTransform()] : [];
  for (let k = 0; k < layers; k++) {
    if (k > 0) chain.push(new Reverse());
    // Each MADE draws its own hidden degrees (seed per layer).
    chain.push(orient(new MadeAffine(params, `made${k}`, D, hidden, seed * 7919 + k, scaleClamp)));
  }
  return chain;
}
