/**
 * The fully connected layer y = h W + b, and a stack of them (a multilayer perceptron), with
 * Glorot-uniform weights and zero biases (Glorot & Bengio 2010) drawn through `Parameters`.
 *
 * A layer's variables are named `${name}/W` and `${name}/b` (e.g. 'encoder/dense0/W'), or given
 * outright for models whose checkpoints name them otherwise (EoNADE's 'W0', 'b0'): the names are
 * checkpoint keys and must not change. Variables are created in the order the layers are listed,
 * which fixes the seeded initial values and the optimizer's state order.
 *
 * Layers whose weights are masked (MADE, FVSBN) or tied across positions (NADE, RNADE) are not
 * dense layers in this sense and keep their own code.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Parameters } from './parameters.js';

/** One dense layer's variables: weights W [fanIn, fanOut] and bias b [fanOut]. */
export interface Dense {
  readonly W: tf.Variable;
  readonly b: tf.Variable;
}

/** Checkpoint names of a layer: a prefix (`${prefix}/W`, `${prefix}/b`) or both names given. */
export type DenseNames = string | { W: string; b: string };

/** An elementwise nonlinearity between layers (tf.relu, ./activations.ts' leakyRelu, ...). */
export type Activation = (x: tf.Tensor2D) => tf.Tensor2D;

const relu: Activation = (x) => tf.relu(x);

/** Creates one dense layer's W (Glorot uniform) and b (zeros), in that order. */
export function dense(params: Parameters, names: DenseNames, fanIn: number, fanOut: number): Dense {
  const { W, b } = typeof names === 'string' ? { W: `${names}/W`, b: `${names}/b` } : names;
  return {
    W: params.add(W, [fanIn, fanOut], { type: 'glorot', fanIn, fanOut }),
    b: params.add(b, [fanOut], { type: 'zeros' }),
  };
}

/** h W + b: [B, fanIn] -> [B, fanOut]. Not tidied: call it inside the caller's tf.tidy. */
export function applyDense(h: tf.Tensor2D, { W, b }: Dense): tf.Tensor2D {
  return tf.add(tf.matMul(h, W), b) as tf.Tensor2D;
}

/** How an `Mlp` ends: a linear layer (logits, means, heads) or the activation like every other layer. */
export type MlpOutput = 'linear' | 'activation';

/**
 * A multilayer perceptron: sizes [n_0, n_1, ..., n_L] give L dense layers n_{l-1} -> n_l, named by
 * `names[l - 1]`, each followed by `activation` except the last when `output` is 'linear'. With
 * one size it has no layers and returns its input.
 */
export class Mlp {
  readonly layers: readonly Dense[];

  constructor(
    params: Parameters,
    names: readonly DenseNames[],
    sizes: readonly number[],
    private readonly output: MlpOutput = 'linear',
    private readonly activation: Activation = relu,
  ) {
    if (names.length !== sizes.length - 1) throw new Error(`Mlp: ${sizes.length} sizes need ${sizes.length - 1} layer names, got ${names.length}`);
    this.layers = names.map((name, l) => dense(params, name, sizes[l], sizes[l + 1]));
  }

  /** [B, n_0] -> [B, n_L]. */
  apply(h: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => {
      let out = h;
      this.layers.forEach((layer, l) => {
        const a = applyDense(out, layer);
        out = l + 1 < this.layers.length || this.output === 'activation' ? this.activation(a) : a;
      });
      return out === h ? tf.clone(h) : out;
    });
  }
}
