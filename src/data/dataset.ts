/**
 * The in-memory data set every model trains on: N examples of D = height * width * channels values,
 * row-major, channels last ([N, H, W, C]), as float32.
 */
export type ValueKind =
  /** values in {0, 1} */
  | 'binary'
  /** values in [0, 1] (intensities) */
  | 'continuous'
  /** integers 0..255 stored as floats */
  | 'uint8'
  /** arbitrary reals (CSV features, toy 2-D points) */
  | 'real';

export interface Dataset {
  /** Where it came from, e.g. 'mnist/train', 'csv:data.csv', 'toy:ring'. */
  name: string;
  /** [N * D] values, example-major. */
  x: Float32Array;
  /** Number of examples. */
  n: number;
  /** Shape of one example: [H, W, C] for images, [D] for vectors. */
  shape: number[];
  kind: ValueKind;
  /** Optional integer labels, [N]. */
  labels?: Int32Array;
  /** Names of the classes, label i -> classNames[i]. */
  classNames?: string[];
  /** Names of the D features (a CSV header), written back as the header of sampled CSVs. */
  featureNames?: string[];
}

/** Values per example. */
export function exampleSize(d: Pick<Dataset, 'shape'>): number {
  return d.shape.reduce((a, b) => a * b, 1);
}

/** The examples at the given indices, as a new Dataset (labels follow). */
export function subset(d: Dataset, indices: ArrayLike<number>, name = d.name): Dataset {
  const D = exampleSize(d);
  const x = new Float32Array(indices.length * D);
  const labels = d.labels ? new Int32Array(indices.length) : undefined;
  for (let i = 0; i < indices.length; i++) {
    const j = indices[i];
    x.set(d.x.subarray(j * D, (j + 1) * D), i * D);
    if (labels) labels[i] = d.labels![j];
  }
  return { ...d, name, x, n: indices.length, labels };
}

/** The first `n` examples (no copy). */
export function head(d: Dataset, n: number): Dataset {
  const D = exampleSize(d);
  const m = Math.min(n, d.n);
  return { ...d, n: m, x: d.x.subarray(0, m * D), labels: d.labels?.subarray(0, m) };
}

/** A train / test pair: every loader returns both, so evaluation always has a held-out split. */
export interface DataSplits {
  train: Dataset;
  test: Dataset;
}
