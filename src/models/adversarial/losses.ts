/**
 * The two players' losses of the adversarial family, on the discriminator's raw outputs ("logits"
 * for the sigmoid losses, critic values otherwise), each averaged over the minibatch. Every loss
 * here is minimised by its player.
 *
 * - 'minimax' (Goodfellow et al. 2014, "Generative Adversarial Nets", Eq. 1): D maximises
 *   E log D(x) + E log(1 - D(G(z))), G minimises E log(1 - D(G(z))). With D = sigmoid(l):
 *   D's loss softplus(-l_real) + softplus(l_fake), G's loss -softplus(l_fake).
 * - 'nonsaturating' (the same paper, Sec. 3): G instead maximises E log D(G(z)), i.e. minimises
 *   softplus(-l_fake). When D rejects samples confidently early in training, log(1 - D) is flat
 *   (its gradient through the sigmoid is D(G(z)) ~ 0) while -log D is steep (gradient 1 - D ~ 1).
 * - 'lsgan' (Mao et al. 2017, "Least Squares GANs", Eq. 2 with a = 0, b = c = 1): D minimises
 *   1/2 E (D(x) - 1)^2 + 1/2 E D(G(z))^2, G minimises 1/2 E (D(G(z)) - 1)^2, on the raw output.
 * - 'wgan' (Arjovsky, Chintala & Bottou 2017, "Wasserstein GAN", Eq. 3 and Algorithm 1): the
 *   critic maximises E f(x) - E f(G(z)) (minimises its negative), G minimises -E f(G(z)); the
 *   critic's Lipschitz bound comes from weight clipping (the model's business).
 * - 'wgangp' (Gulrajani et al. 2017, "Improved Training of Wasserstein GANs", Eq. 3): the WGAN
 *   losses, with the gradient penalty of `gradientPenalty` in place of clipping.
 * - 'hinge' (Lim & Ye 2017; Miyato et al. 2018, Eq. 17 of the SN-GAN paper's appendix): D minimises
 *   E relu(1 - f(x)) + E relu(1 + f(G(z))), G minimises -E f(G(z)).
 */
import * as tf from '@tensorflow/tfjs-core';

export const GAN_LOSSES = ['minimax', 'nonsaturating', 'lsgan', 'wgan', 'wgangp', 'hinge'] as const;
export type GanLoss = (typeof GAN_LOSSES)[number];

/** Losses whose discriminator output is a probability sigmoid(l); the others read a raw critic value. */
export function usesSigmoid(loss: GanLoss): boolean {
  return loss === 'minimax' || loss === 'nonsaturating';
}

/** The discriminator's (critic's) loss from its outputs on a real and a generated minibatch ([B] each). */
export function discriminatorLoss(loss: GanLoss, real: tf.Tensor1D, fake: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => {
    switch (loss) {
      case 'minimax':
      case 'nonsaturating':
        // -log sigmoid(l) = softplus(-l); -log(1 - sigmoid(l)) = softplus(l).
        return tf.add(tf.mean(tf.softplus(tf.neg(real))), tf.mean(tf.softplus(fake))) as tf.Scalar;
      case 'lsgan':
        return tf.mul(0.5, tf.add(tf.mean(tf.square(tf.sub(real, 1))), tf.mean(tf.square(fake)))) as tf.Scalar;
      case 'wgan':
      case 'wgangp':
        return tf.sub(tf.mean(fake), tf.mean(real)) as tf.Scalar;
      case 'hinge':
        return tf.add(tf.mean(tf.relu(tf.sub(1, real))), tf.mean(tf.relu(tf.add(1, fake)))) as tf.Scalar;
    }
  });
}

/** The generator's loss from the discriminator's outputs on its samples ([B]). */
export function generatorLoss(loss: GanLoss, fake: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => {
    switch (loss) {
      case 'minimax':
        return tf.neg(tf.mean(tf.softplus(fake))) as tf.Scalar; // E log(1 - D(G(z)))
      case 'nonsaturating':
        return tf.mean(tf.softplus(tf.neg(fake))) as tf.Scalar; // -E log D(G(z))
      case 'lsgan':
        return tf.mul(0.5, tf.mean(tf.square(tf.sub(fake, 1)))) as tf.Scalar;
      case 'wgan':
      case 'wgangp':
      case 'hinge':
        return tf.neg(tf.mean(fake)) as tf.Scalar;
    }
  });
}

/**
 * The WGAN-GP penalty (Gulrajani et al. 2017, Eq. 3 and Algorithm 1, lines 4-7):
 *
 *   E_{x_hat} (|grad_{x_hat} D(x_hat)|_2 - 1)^2,   x_hat = eps x + (1 - eps) G(z), eps ~ U[0, 1] per example,
 *
 * differentiable with respect to D's weights (the gradient of the gradient norm goes through D's
 * backward pass: D must be built from twice-differentiable ops, see ../../nn/activations.ts).
 * `real` and `fake` are [B, ...] of the same shape; `eps` is [B] (drawn by the caller's Rng).
 */
export function gradientPenalty(critic: (x: tf.Tensor) => tf.Tensor1D, real: tf.Tensor, fake: tf.Tensor, eps: Float32Array): tf.Scalar {
  return tf.tidy(() => {
    const B = real.shape[0];
    const broadcast = [B, ...real.shape.slice(1).map(() => 1)];
    const e = tf.tensor(eps, broadcast);
    const interpolates = tf.add(tf.mul(e, real), tf.mul(tf.sub(1, e), fake));
    const grad = tf.grad((x: tf.Tensor) => tf.sum(critic(x)))(interpolates); // [B, ...]: each row depends on its own example only
    const norms = tf.sqrt(tf.add(tf.sum(tf.square(tf.reshape(grad, [B, -1])), 1), 1e-12)); // [B]
    return tf.mean(tf.square(tf.sub(norms, 1))) as tf.Scalar;
  });
}
