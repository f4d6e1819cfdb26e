/**
 * Gradients genlab registers in place of tfjs-core's (gradients are global, for every backend).
 *
 * Sum and Mean: tfjs-core spreads dy over x's shape as dy * ones(x.shape), and `ones` is filled
 * in JavaScript and then copied into the backend: for NADE's [100, 500, 784] sums that was ~0.55 s
 * of a ~1.2 s training step on wasm (a CPU profile: makeOnesTypedArray and BackendWasm.move). The
 * same spread as zerosLike(x) + dy, both in the backend's own kernels, takes ~0.02 s and gives the
 * same values (0 + dy = dy). Non-float inputs keep the original rule.
 */
import * as tf from '@tensorflow/tfjs-core';

/** dy of a reduction over `axis`, spread back over x's shape (float32). */
function spread(x: tf.Tensor, dy: tf.Tensor, axis: number | number[] | undefined): tf.Tensor {
  const expandedShape = x.shape.slice();
  for (const a of tf.util.parseAxisParam(axis ?? x.shape.map((_, i) => i), x.shape)) expandedShape[a] = 1;
  const expanded = tf.reshape(dy, expandedShape);
  return x.dtype === 'float32' ? tf.add(tf.zerosLike(x), expanded) : tf.mul(expanded, tf.ones(x.shape, 'float32'));
}

const GRADIENTS: tf.GradConfig[] = [
  {
    kernelName: tf.Sum,
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs) => {
      const [x] = saved;
      return { x: () => spread(x, dy as tf.Tensor, (attrs as unknown as tf.SumAttrs).axis) };
    },
  },
  {
    kernelName: tf.Mean,
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs) => {
      const [x] = saved;
      const axes = tf.util.parseAxisParam((attrs as unknown as tf.MeanAttrs).axis, x.shape);
      const reduced = axes.reduce((size, a) => size * x.shape[a], 1);
      return { x: () => tf.div(spread(x, dy as tf.Tensor, axes), reduced) };
    },
  },
];

/** Registers genlab's gradients (idempotent; after tfjs's own, which they replace). */
export function registerGradients(): void {
  for (const config of GRADIENTS) tf.registerGradient(config);
}
