/**
 * Priors p(z) an adversarial autoencoder can impose on its codes (Makhzani et al. 2016,
 * "Adversarial Autoencoders", Sec. 2 and 2.3). The adversarial regulariser only needs samples from
 * p(z), never its density, so any distribution we can draw from will do:
 *
 *  - 'gaussian':  N(0, I), any latent size (the paper's Fig. 2 comparison with the VAE);
 *  - 'uniform':   U([-1, 1]^d), any latent size;
 *  - 'mixture':   10 Gaussians on a circle in 2-D (Secs. 2, 2.3), one elongated "petal" per class:
 *                 component k is centred at radius MIXTURE.radius, angle 2 pi k / K, with std
 *                 MIXTURE.radialStd along the radius and MIXTURE.tangentialStd across it. The paper
 *                 gives no numbers; these reproduce the shape of its figures, with the petals
 *                 clearly separated;
 *  - 'swissroll': the 2-D Swiss roll of ../../data/toy.ts (Sec. 2.3 uses a Swiss roll too).
 *
 * A label-conditioned mixture (Sec. 2.3: the discriminator also sees a one-hot label) draws each
 * example's z from its own class's component: class k -> component k.
 *
 * Every draw comes from genlab's seeded Rng, a whole number of normal pairs per call, so no
 * Box-Muller spare is left cached between steps (see standardNormals in ../../core/rng.ts).
 */
import { check } from '../../core/errors.js';
import { standardNormals, type Rng } from '../../core/rng.js';
import { swissroll } from '../../data/toy.js';

export type PriorName = 'gaussian' | 'mixture' | 'swissroll' | 'uniform';
export const PRIORS: readonly PriorName[] = ['gaussian', 'mixture', 'swissroll', 'uniform'];

/** Priors defined in the plane only; the others work in any latent size. */
export const PLANAR_PRIORS: readonly PriorName[] = ['mixture', 'swissroll'];

/** Geometry of the 'mixture' prior (see the header). */
export const MIXTURE = Object.freeze({ radius: 1.4, radialStd: 0.5, tangentialStd: 0.05 });

/** The centre of each of the K mixture components on the circle, [K][2]. */
export function mixtureCentres(K: number): [number, number][] {
  return Array.from({ length: K }, (_, k) => {
    const a = (2 * Math.PI * k) / K;
    return [MIXTURE.radius * Math.cos(a), MIXTURE.radius * Math.sin(a)];
  });
}

/** For each 2-D point of z [n * 2], the index of the nearest of the K mixture centres. */
export function nearestMixtureComponent(z: Float32Array, K: number): Int32Array {
  const centres = mixtureCentres(K);
  return Int32Array.from({ length: z.length / 2 }, (_, i) => {
    let best = 0;
    let bestDistance = Infinity;
    centres.forEach(([a, b], k) => {
      const d = (z[2 * i] - a) ** 2 + (z[2 * i + 1] - b) ** 2;
      if (d < bestDistance) [best, bestDistance] = [k, d];
    });
    return best;
  });
}

export interface PriorOptions {
  /** Mixture components K ('mixture' only). */
  components?: number;
  /** 'mixture' only: draw example i from component labels[i] (the label-conditioned prior). */
  labels?: Int32Array;
}

/** n draws z ~ p(z) of dimension `dim`, example-major [n * dim]. */
export function samplePrior(prior: PriorName, n: number, dim: number, rng: Rng, options: PriorOptions = {}): Float32Array {
  check(PRIORS.includes(prior), () => `unknown prior '${prior}'; valid priors: ${PRIORS.join(', ')}`);
  check(!PLANAR_PRIORS.includes(prior) || dim === 2, () => `the '${prior}' prior is 2-D, got a latent size of ${dim}`);
  check(options.labels === undefined || prior === 'mixture', () => `only the 'mixture' prior takes labels, not '${prior}'`);
  switch (prior) {
    case 'gaussian':
      return standardNormals(rng, n * dim);
    case 'uniform': {
      const z = new Float32Array(n * dim);
      for (let i = 0; i < z.length; i++) z[i] = 2 * rng.uniform() - 1;
      return z;
    }
    case 'swissroll':
      return swissroll.sample(n, rng).x;
    case 'mixture':
      return sampleMixture(n, rng, options.components ?? 10, options.labels);
  }
}

function sampleMixture(n: number, rng: Rng, K: number, labels?: Int32Array): Float32Array {
  check(Number.isInteger(K) && K >= 1, () => `mixture prior: components must be an integer >= 1, got ${K}`);
  check(!labels || labels.length === n, () => `mixture prior: ${labels!.length} labels for ${n} draws`);
  const z = new Float32Array(n * 2);
  for (let i = 0; i < n; i++) {
    const k = labels ? labels[i] : rng.int(K);
    check(Number.isInteger(k) && k >= 0 && k < K, () => `mixture prior: label ${k} is outside 0..${K - 1}`);
    // A point of the petal along the x axis, then rotated to angle 2 pi k / K.
    const r = MIXTURE.radius + MIXTURE.radialStd * rng.normal();
    const t = MIXTURE.tangentialStd * rng.normal();
    const a = (2 * Math.PI * k) / K;
    const c = Math.cos(a);
    const s = Math.sin(a);
    z[2 * i] = r * c - t * s;
    z[2 * i + 1] = r * s + t * c;
  }
  return z;
}
