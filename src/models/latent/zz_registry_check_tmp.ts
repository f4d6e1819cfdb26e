import type { RegistryEntry } from '../registry.js';
import { AE_CAPABILITIES, AE_DEFAULTS, Autoencoder } from './ae.js';
import { BETAVAE_DEFAULTS, BetaVae } from './betavae.js';
import { withDataDefaults } from './common.js';
import { CVAE_CAPABILITIES, CVAE_DEFAULTS, Cvae } from './cvae.js';
import { IWAE_DEFAULTS, Iwae } from './iwae.js';
import { VAE_CAPABILITIES, VAE_DEFAULTS, Vae } from './vae.js';

export const LATENT_ENTRIES: RegistryEntry[] = [
  {
    name: 'ae',
    defaults: AE_DEFAULTS,
    family: 'latent',
    capabilities: AE_CAPABILITIES,
    accepts: ['binary', 'continuous', 'real'],
    description: 'plain autoencoder, reconstruction only: no likelihood, and decoding z ~ N(0, I) gives poor samples',
    create: (config, data) => new Autoencoder(withDataDefaults(data.kind, config), data.shape),
  },
  {
    name: 'vae',
    defaults: VAE_DEFAULTS,
    family: 'latent',
    capabilities: VAE_CAPABILITIES,
    accepts: ['binary', 'continuous', 'real'],
    description: 'VAE (Kingma & Welling 2014): Gaussian encoder, ELBO training; logProb = IWAE estimate with --evalSamples k (5000)',
    create: (config, data) => new Vae(withDataDefaults(data.kind, config), data.shape),
  },
  {
    name: 'betavae',
    defaults: BETAVAE_DEFAULTS,
    family: 'latent',
    capabilities: VAE_CAPABILITIES,
    accepts: ['binary', 'continuous', 'real'],
    description: 'beta-VAE (Higgins et al. 2017): --beta 4 on the KL, --warmupSteps, or --capacity C (Burgess et al. 2018)',
    create: (config, data) => new BetaVae(withDataDefaults(data.kind, config), data.shape),
  },
  {
    name: 'cvae',
    defaults: CVAE_DEFAULTS,
    family: 'latent',
    capabilities: CVAE_CAPABILITIES,
    accepts: ['binary', 'continuous', 'real'],
    description: 'conditional VAE (Sohn et al. 2015): one-hot label into encoder and decoder; sample chosen classes (needs labels)',
    create: (config, data) => new Cvae({ numClasses: (data as { numClasses?: number }).numClasses, ...withDataDefaults(data.kind, config) }, data.shape),
  },
  {
    name: 'iwae',
    defaults: IWAE_DEFAULTS,
    family: 'latent',
    capabilities: VAE_CAPABILITIES,
    accepts: ['binary', 'continuous', 'real'],
    description: 'IWAE (Burda et al. 2016): the VAE trained on the k-sample bound L_k (--trainSamples 5)',
    create: (config, data) => new Iwae(withDataDefaults(data.kind, config), data.shape),
  },
];
