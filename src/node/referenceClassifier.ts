/**
 * Where reference classifiers live and how they are stored. A classifier trained by
 * `genlab classifier train --data NAME` goes to the per-user cache (`<cache>/classifiers/NAME`,
 * see `defaultCacheDir`) and is reused from there; without one, the classifier shipped with genlab
 * (`assets/classifiers/NAME`, trained by the same command) serves. Every figure computed in its
 * feature space records the classifier's id (the first 12 hex digits of its weights' SHA-256), so
 * figures from different classifiers are never mixed up.
 *
 * A folder holds manifest.json (config, weight specs, checksum, test accuracy, how it was trained)
 * and weights.bin (the TF.js weights format).
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserError } from '../core/errors.js';
import { toContinuous } from '../data/binarize.js';
import type { DataSplits } from '../data/dataset.js';
import { ReferenceClassifier, type ClassifierTraining, type ReferenceClassifierConfig } from '../eval/referenceClassifier.js';
import { decodeWeights, encodeWeights, type WeightSpec } from '../io/weights.js';
import { defaultCacheDir, loadFashionMnist } from './data/fashion.js';
import { loadMnist } from './data/mnist.js';
import { writeFileAtomic } from './fsAtomic.js';

/** The data sets with a reference classifier, and how to load them as values in [0, 1]. */
export const REFERENCE_DATA: Readonly<Record<string, () => DataSplits>> = Object.freeze({
  mnist: () => continuous(loadMnist()),
  fashion: () => continuous(loadFashionMnist()),
});

function continuous(splits: DataSplits): DataSplits {
  return { train: toContinuous(splits.train), test: toContinuous(splits.test) };
}

export interface ClassifierManifest {
  format: 'genlab-reference-classifier';
  version: 1;
  data: string;
  config: ReferenceClassifierConfig;
  weights: WeightSpec[];
  sha256: string;
  /** Accuracy on the data set's whole test split, measured after training. */
  testAccuracy: number;
  training: ClassifierTraining & { seconds: number; backend: string; command: string; createdAt: string };
}

export interface LoadedClassifier {
  classifier: ReferenceClassifier;
  manifest: ClassifierManifest;
  /** The folder it was read from. */
  dir: string;
  /** First 12 hex digits of the weights' SHA-256. */
  id: string;
  /** The name of its feature space, e.g. 'genlab-mnist@1a2b3c4d5e6f'. */
  featureSpace: string;
}

/** The package's shipped classifiers: <package root>/assets/classifiers (this file is dist/src/node/). */
export function shippedClassifierDir(data: string): string {
  return path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'assets', 'classifiers', data);
}

export function cachedClassifierDir(data: string): string {
  return path.join(defaultCacheDir(), 'classifiers', data);
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export function saveReferenceClassifier(dir: string, data: string, classifier: ReferenceClassifier, testAccuracy: number, training: ClassifierManifest['training']): ClassifierManifest {
  const { specs, data: bytes } = encodeWeights(classifier.getWeights());
  const manifest: ClassifierManifest = {
    format: 'genlab-reference-classifier',
    version: 1,
    data,
    config: classifier.config,
    weights: specs,
    sha256: sha256(bytes),
    testAccuracy,
    training,
  };
  writeFileAtomic(path.join(dir, 'weights.bin'), bytes);
  writeFileAtomic(path.join(dir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

export function readReferenceClassifier(dir: string): LoadedClassifier {
  const manifestFile = path.join(dir, 'manifest.json');
  let manifest: ClassifierManifest;
  try {
    manifest = JSON.parse(fs.readFileSync(manifestFile, 'utf8')) as ClassifierManifest;
  } catch (e) {
    throw new UserError(`cannot read the reference classifier ${manifestFile}: ${(e as Error).message}`);
  }
  if (manifest.format !== 'genlab-reference-classifier') throw new UserError(`${manifestFile} is not a genlab reference classifier`);
  const bytes = new Uint8Array(fs.readFileSync(path.join(dir, 'weights.bin')));
  if (sha256(bytes) !== manifest.sha256) {
    throw new UserError(`the reference classifier's weights in ${dir} do not match their checksum; retrain it with \`npx genlab classifier train --data ${manifest.data}\``);
  }
  const classifier = new ReferenceClassifier(manifest.config);
  classifier.setWeights(decodeWeights(manifest.weights, bytes));
  const id = manifest.sha256.slice(0, 12);
  return { classifier, manifest, dir, id, featureSpace: `genlab-${manifest.data}@${id}` };
}

/**
 * The reference classifier of data set `data`: from `dir` when given, else the user's trained one
 * (cache), else the shipped one. A data set without one is a UserError that says which have one.
 */
export function loadReferenceClassifier(data: string, dir?: string): LoadedClassifier {
  if (dir) return readReferenceClassifier(dir);
  if (!(data in REFERENCE_DATA)) {
    throw new UserError(`no reference classifier for data '${data}': sample-quality figures need one (there is one for ${Object.keys(REFERENCE_DATA).join(', ')})`);
  }
  for (const candidate of [cachedClassifierDir(data), shippedClassifierDir(data)]) {
    if (fs.existsSync(path.join(candidate, 'manifest.json'))) return readReferenceClassifier(candidate);
  }
  throw new UserError(`no reference classifier for '${data}' yet; train one with \`npx genlab classifier train --data ${data}\``);
}
