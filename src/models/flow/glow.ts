/**
 * Glow: generative flow with invertible 1 x 1 convolutions (Kingma & Dhariwal 2018, NeurIPS). One
 * step of flow is (Table 1, Fig. 2a)
 *
 *   actnorm:        y = s (x - mu0) / sd0 + b per channel,            log-det = H W sum log|s|
 *   1 x 1 conv:     y = W x per position, W = P L (U + diag(s)),      log-det = H W sum log|s|
 *   affine coupling: x_a, x_b = split(x); (log s, t) = NN(x_a);
 *                    y_b = s * x_b + t, y = concat(x_a, y_b),          log-det = sum log|s|
 *
 * and on images the multi-scale architecture (Fig. 2b; RealNVP Sec. 3.6) runs L levels of
 * squeeze -> K steps, half the channels factored out to the base after each level but the last
 * (./imageLayers.ts). On vectors [D] the same step is actnorm -> an invertible LU dense layer (the
 * 1 x 1 convolution with H W = 1) -> an affine coupling with an MLP, L K steps in one chain.
 *
 * Differences from the paper, for a small CPU build: NN is conv3x3 -> ReLU -> conv1x1 -> ReLU ->
 * zero-initialised conv3x3 (no actnorm inside, 64 channels rather than 512); the coupling's scale
 * is exp(c tanh(h / c)) (RealNVP's soft bound) where Glow uses sigmoid(h + 2); the coupling's kept
 * half alternates between steps (Glow keeps the first and lets W permute); and the factored-out
 * halves get the standard Gaussian (RealNVP's choice) rather than Glow's learned conditional prior.
 * Sampling with `temperature` T draws z ~ N(0, T^2 I) (Sec. 5). On [0, 1] data the chain begins
 * with the logit transform and the data are dequantized, as for every flow (./flowModel.ts).
 */
import { check } from '../../core/errors.js';
import { Rng } from '../../core/rng.js';
import { defaultsOf, defineOptions } from '../options.js';
import { FLOW_DATA_OPTIONS, FlowModel, hiddenSizes, type FlowDataConfig } from './flowModel.js';
import { ConvAffineCoupling, Invertible1x1Conv, MultiScale, Squeeze, type ImageFlowLayer } from './imageLayers.js';
import { ActNorm, AffineCoupling, alternatingMask, LogitTransform } from './layers.js';

export interface GlowConfig extends FlowDataConfig {
  /** L: levels of the multi-scale architecture, each starting with a squeeze (images); vectors: L K steps in all. */
  levels: number;
  /** K: steps of flow (actnorm, 1 x 1 convolution, affine coupling) per level. */
  steps: number;
  /** Hidden widths of each coupling's network: conv channels on images (3 x 3 first, then 1 x 1), MLP units on vectors. */
  hidden: number[];
  /** Bound c of the soft clamp c tanh(h / c) on each coupling's log-scale (0: none). */
  scaleClamp: number;
}

export const GLOW_OPTIONS = defineOptions<GlowConfig>({
  levels: { type: 'int', default: 2, min: 1, max: 8, help: 'L: levels, each a squeeze then K steps, half the channels factored out between (vectors: L K steps)' },
  steps: { type: 'int', default: 4, min: 1, max: 64, help: 'K: steps of flow per level, each actnorm -> invertible 1x1 conv -> affine coupling (paper: 32)' },
  hidden: { type: 'int-list', default: [64, 64], min: 1, help: "widths of each coupling's network: conv channels on images, MLP units on vectors (paper: 512)" },
  scaleClamp: { type: 'number', default: 3, min: 0, help: 'bound c of the soft clamp c tanh(h / c) on each coupling log-scale (0: none)' },
  ...FLOW_DATA_OPTIONS,
});

export const GLOW_DEFAULTS: Readonly<GlowConfig> = defaultsOf(GLOW_OPTIONS);

export class Glow extends FlowModel<GlowConfig> {
  readonly name = 'glow';

  constructor(config: Partial<GlowConfig>, inputShape: number[]) {
    super({ ...GLOW_DEFAULTS, ...config }, inputShape);
    const { levels, steps, scaleClamp, logit, seed } = this.config;
    const hidden = hiddenSizes('glow', this.config.hidden);
    check(Number.isInteger(levels) && levels >= 1, `glow: levels must be an integer >= 1, got ${levels}`);
    check(Number.isInteger(steps) && steps >= 1, `glow: steps must be an integer >= 1, got ${steps}`);
    check(Number.isFinite(scaleClamp) && scaleClamp >= 0, `glow: scaleClamp must be a number >= 0, got ${scaleClamp}`);
    check(inputShape.length === 1 || inputShape.length === 3, () => `glow: data must be vectors [D] or images [H, W, C], got shape [${inputShape}]`);
    // The 1 x 1 convolutions' random rotations, from a stream of their own (the weights' Rng is the model's).
    const rotations = new Rng(seed * 7919 + 17);
    if (logit) this.layers.push(new LogitTransform());
    if (inputShape.length === 1) {
      this.widest = 2 * Math.max(...hidden, this.D);
      for (let k = 0; k < levels * steps; k++) {
        this.layers.push(new ActNorm(this.params, `step${k}/actnorm`, this.D));
        this.layers.push(new Invertible1x1Conv(this.params, `step${k}/invconv`, this.D, rotations));
        this.layers.push(new AffineCoupling(this.params, `step${k}/coupling`, alternatingMask(inputShape, k), hidden, scaleClamp));
      }
      return;
    }
    const [H, W] = inputShape;
    const scale = 2 ** levels;
    check(H % scale === 0 && W % scale === 0, () => `glow: ${levels} levels squeeze ${H} x ${W} images ${levels} times; height and width must be multiples of ${scale} (--levels fewer, or crop / pad the images)`);
    this.widest = (H * W * Math.max(...hidden)) / 4;
    let shape = inputShape;
    const levelLayers: ImageFlowLayer[][] = [];
    for (let l = 0; l < levels; l++) {
      const squeeze = new Squeeze();
      shape = squeeze.outputShape(shape);
      const layers: ImageFlowLayer[] = [squeeze];
      for (let k = 0; k < steps; k++) {
        const name = `level${l}/step${k}`;
        layers.push(new ActNorm(this.params, `${name}/actnorm`, shape[2]));
        layers.push(new Invertible1x1Conv(this.params, `${name}/invconv`, shape[2], rotations));
        layers.push(new ConvAffineCoupling(this.params, `${name}/coupling`, shape, 'channel', k, hidden, scaleClamp));
      }
      levelLayers.push(layers);
      shape = [shape[0], shape[1], shape[2] / 2]; // the factored-out half leaves
    }
    this.layers.push(new MultiScale(inputShape, levelLayers));
  }
}
