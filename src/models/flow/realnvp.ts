/**
 * RealNVP: real-valued non-volume preserving transformations (Dinh, Sohl-Dickstein & Bengio 2017,
 * ICLR). A chain of affine couplings with binary masks b (Eqs. 7-9),
 *
 *   y = b x + (1 - b) (x exp(s(b x)) + t(b x)),   log |det dy/dx| = sum_{j: b_j = 0} s_j(b x),
 *
 * the masks alternating (a checkerboard on images, Sec. 3.4; index parity on vectors), with a
 * standard Gaussian base. With `architecture: 'mlp'` (the default) s and t come from one MLP on
 * the flattened input and `couplings` layers alternate their masks. With 'conv' (images [H, W, C])
 * the paper's multi-scale architecture (Sec. 3.6, Eqs. 13-14) is built: each scale but the last is
 * 3 checkerboard couplings, a squeeze, 3 channel-wise couplings, then half the channels factored
 * out to the base; the last scale is 4 checkerboard couplings. Its coupling networks are small
 * convolutional nets (3 x 3, 1 x 1 ..., zero-initialised 3 x 3; ./imageLayers.ts) where the paper
 * uses ResNets. s passes a soft clamp c tanh(s / c) (the paper also bounds s through a tanh), and an
 * actnorm layer (Glow, Kingma & Dhariwal 2018, Table 1) follows each coupling where the paper used
 * batch normalisation (Sec. 3.7): it needs no batch statistics at test time. On [0, 1] data the
 * chain begins with the logit transform (Sec. 4.1). Scoring and sampling each take one pass.
 */
import { check } from '../../core/errors.js';
import { defaultsOf, defineOptions } from '../options.js';
import { FLOW_DATA_OPTIONS, FlowModel, hiddenSizes, type FlowDataConfig } from './flowModel.js';
import { ConvAffineCoupling, MultiScale, Squeeze, type ImageFlowLayer, type ImageMask } from './imageLayers.js';
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
  /** 'mlp': couplings on the flattened input; 'conv': the multi-scale convolutional architecture (images). */
  architecture: 'mlp' | 'conv';
  /** 'conv': scales of the multi-scale architecture (each but the last halves height and width). */
  scales: number;
  /** 'conv': hidden channels of each coupling's convolutional network (3 x 3 first, then 1 x 1). */
  channels: number[];
}

export const REALNVP_OPTIONS = defineOptions<RealNvpConfig>({
  couplings: { type: 'int', default: 8, min: 1, max: 64, help: 'affine coupling layers, masks alternating' },
  hidden: { type: 'int-list', default: [256, 256], min: 1, help: 'hidden layers of each coupling network (s and t share it)' },
  scaleClamp: { type: 'number', default: 3, min: 0, help: 'bound c of the soft clamp c tanh(s / c) on each log-scale (0: none)' },
  actnorm: { type: 'boolean', default: true, help: 'an actnorm layer (Glow) after every coupling, initialised on the first batch' },
  architecture: { type: 'choice', default: 'mlp', choices: ['mlp', 'conv'], help: "mlp: couplings on the flattened input; conv: the paper's multi-scale convolutional flow (images)" },
  scales: { type: 'int', default: 2, min: 1, max: 8, help: 'conv: scales, each but the last 3 checkerboard couplings, squeeze, 3 channel couplings, factor-out' },
  channels: { type: 'int-list', default: [32, 32], min: 1, help: "conv: hidden channels of each coupling's network (3x3 first, then 1x1)" },
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
    if (logit) this.layers.push(new LogitTransform());
    if (this.config.architecture === 'conv') {
      this.buildMultiScale(inputShape);
      return;
    }
    check(this.config.architecture === 'mlp', `realnvp: architecture must be mlp or conv, got ${this.config.architecture}`);
    this.widest = 2 * Math.max(...hidden);
    for (let k = 0; k < couplings; k++) {
      this.layers.push(new AffineCoupling(this.params, `coupling${k}`, alternatingMask(inputShape, k), hidden, scaleClamp));
      if (actnorm) this.layers.push(new ActNorm(this.params, `actnorm${k}`, this.D));
    }
  }

  /** Sec. 3.6: per scale 3 checkerboard couplings, squeeze, 3 channel-wise couplings, factor-out; the last scale 4 checkerboard couplings. */
  private buildMultiScale(inputShape: number[]): void {
    const { scales, scaleClamp, actnorm } = this.config;
    const channels = hiddenSizes('realnvp', this.config.channels);
    check(inputShape.length === 3, () => `realnvp: architecture conv needs images [H, W, C], got shape [${inputShape}]`);
    const [H, W] = inputShape;
    const factor = 2 ** (scales - 1);
    check(H % factor === 0 && W % factor === 0, () => `realnvp: ${scales} scales squeeze ${H} x ${W} images ${scales - 1} times; height and width must be multiples of ${factor}`);
    this.widest = H * W * Math.max(...channels);
    const levels: ImageFlowLayer[][] = [];
    let shape = inputShape;
    for (let s = 0; s < scales; s++) {
      const layers: ImageFlowLayer[] = [];
      const coupling = (mask: ImageMask, k: number) => {
        const name = `scale${s}/${mask}${k}`;
        layers.push(new ConvAffineCoupling(this.params, name, shape, mask, k, channels, scaleClamp));
        if (actnorm) layers.push(new ActNorm(this.params, `${name}/actnorm`, shape[2]));
      };
      const last = s + 1 === scales;
      for (let k = 0; k < (last ? 4 : 3); k++) coupling('checkerboard', k);
      if (!last) {
        const squeeze = new Squeeze();
        layers.push(squeeze);
        shape = squeeze.outputShape(shape);
        for (let k = 0; k < 3; k++) coupling('channel', k);
        shape = [shape[0], shape[1], shape[2] / 2]; // the factored-out half leaves
      }
      levels.push(layers);
    }
    this.layers.push(new MultiScale(inputShape, levels));
  }
}
