// placeholder until the conv building blocks land
import type { Parameters } from '../../nn/parameters.js';
import type * as tf from '@tensorflow/tfjs-core';
import type { DiscriminatorNet, GeneratorNet, Phase, WeightReader } from './networks.js';
export class ConvGenerator implements GeneratorNet {
  constructor(_p: Parameters, _i: number, _s: number[], _c: number[], _bn: boolean) { throw new Error('todo'); }
  apply(_x: tf.Tensor2D, _p: Phase): tf.Tensor2D { throw new Error('todo'); }
}
export class ConvDiscriminator implements DiscriminatorNet {
  featureSize = 0; weights = [];
  constructor(_p: Parameters, _s: number[], _c: number, _ch: number[], _l: number, _bn: boolean) { throw new Error('todo'); }
  features(_x: tf.Tensor2D, _c: tf.Tensor2D | null, _p: Phase, _r: WeightReader): tf.Tensor2D { throw new Error('todo'); }
}
