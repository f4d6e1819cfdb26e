/**
 * What every gradient-trained model shares, so that each model file holds only its mathematics:
 * its plain-JSON config, its trainable Parameters (initialised from `config.seed`), the checkpoint
 * conversion and disposal. One parameter group, 'main', holding every variable, unless a model
 * creates its variables in named groups (Parameters.inGroup) and says how they are updated.
 */
import { Rng } from '../core/rng.js';
import { Parameters } from '../nn/parameters.js';
import type { NamedArray, ParameterGroup } from './model.js';

export abstract class NeuralModel<Config extends { seed: number }> {
  protected readonly params: Parameters;

  constructor(readonly config: Config) {
    this.params = new Parameters(new Rng(config.seed));
  }

  parameterGroups(): Record<string, ParameterGroup> {
    return { main: { variables: this.params.named() } };
  }

  getConfig(): Record<string, unknown> {
    return structuredClone(this.config) as Record<string, unknown>;
  }

  getWeights(): NamedArray[] {
    return this.params.getWeights();
  }

  setWeights(weights: NamedArray[]): void {
    this.params.setWeights(weights);
  }

  /** Frees the weights; models with constant tensors (masks, indices) extend this. */
  dispose(): void {
    this.params.dispose();
  }
}
