/**
 * genlab's browser-safe library entry: engine, randomness, data types and transforms,
 * distributions, models, training and evaluation. Node-only pieces (data files, checkpoints on
 * disk, the CLI) are in 'genlab/node'.
 */
export { initBackend, BACKEND_PREFERENCE } from './core/engine.js';
export { registerWasmKernels, unregisterWasmKernels } from './core/kernels/index.js';
export { Rng, type RngState } from './core/rng.js';
export { UserError } from './core/errors.js';

export * from './data/dataset.js';
export { binarize, DynamicBinarizer, toContinuous, toUint8 } from './data/binarize.js';
export { prepareData, prepareInput, defaultBinarize, BINARIZE_OPTIONS, type BinarizeOption, type PrepareOptions, type PreparedData } from './data/prepare.js';
export { parseCsv, type CsvOptions } from './data/csv.js';
export {
  fromRgba,
  imageDataset,
  imageFolderFiles,
  isPng,
  parseImageSize,
  pathListing,
  pngStoresColor,
  type FolderEntry,
  type FolderListing,
  type ImageFolderFiles,
  type ImageFolderOptions,
  type PngImage,
  type RasterImage,
  type ResizeMethod,
} from './data/images.js';
export { splitDeterministically } from './data/split.js';
export { loadToy, toySplits, TOYS, TOY_NAMES, TOY_SPLIT_SEED, type ToyName } from './data/toy.js';

export { Bernoulli } from './distributions/bernoulli.js';
export { Categorical } from './distributions/categorical.js';
export { Gaussian } from './distributions/gaussian.js';
export { GaussianMixture } from './distributions/mixture.js';
export { logSumExp, logSigmoid, softplus, logSoftmax } from './distributions/math.js';
export { countParameters, compareStructures, formatScientific, STRUCTURES } from './distributions/parameterCount.js';

export * from './models/model.js';
export * from './models/capabilities.js';
export { Ordering, ORDERING_TYPES, type OrderingSpec, type OrderingType } from './models/ordering.js';
export { defineOptions, defaultsOf, validateOptions, parseOptionValue, describeOption, formatDefault, type OptionSpec, type OptionType, type OptionDeclaration } from './models/options.js';
export { acceptedKinds, createModel, getEntry, listModels, type DataInfo, type ModelInfo } from './models/registry.js';
export { ArTableModel, type ArTableConfig } from './models/tabular/arTable.js';
export { Fvsbn } from './models/autoregressive/fvsbn.js';
export { Nade } from './models/autoregressive/nade.js';
export { Eonade } from './models/autoregressive/eonade.js';
export { Rnade } from './models/autoregressive/rnade.js';
export { Made } from './models/autoregressive/made.js';
export { PixelCnn } from './models/autoregressive/pixelcnn.js';
export { RowLstm } from './models/autoregressive/rowlstm.js';
export { DiagonalBiLstm } from './models/autoregressive/diagbilstm.js';
export { Autoencoder } from './models/latent/ae.js';
export { Vae } from './models/latent/vae.js';
export { BetaVae } from './models/latent/betavae.js';
export { Cvae } from './models/latent/cvae.js';
export { Iwae } from './models/latent/iwae.js';
export { Aae, AAE_DEFAULTS, type AaeConfig } from './models/latent/aae.js';
export { samplePrior, mixtureCentres, PRIORS, MIXTURE, type PriorName } from './models/latent/priors.js';
export { ClassCond, classCondOptions, logClassPrior, type ClassCondConfig } from './models/composite/classcond.js';
export { NeuralModel } from './models/neuralModel.js';
export { Optimizer, OPTIMIZER_DEFAULTS, OPTIMIZER_KINDS, optimizerSettings, clipByGlobalNorm, type OptimizerKind, type OptimizerSettings } from './train/optimizers.js';
export { Ema, usingShadow, withShadow } from './train/ema.js';
export { decayFactor, learningRateFactor, LEARNING_RATE_DECAYS, type LearningRateDecay } from './train/schedule.js';
export { Trainer, type Trainable, type TrainerOptions, type StepPosition } from './train/trainer.js';
export { fit, initialTrainState, TrainingDiverged, type FitOptions, type FitCallbacks, type FitResult, type TrainState, type StepInfo, type EpochInfo } from './train/fit.js';
export {
  DataParallel,
  ReplicaLink,
  ReplicasStopped,
  MIN_AUTO_SHARD,
  autoReplicas,
  createReplicaBuffers,
  parameterHash,
  replicaRng,
  runWorkerReplica,
  serveReplica,
  shardBatch,
  startDataParallel,
  stopReplicas,
  type GradientExchange,
  type ReplicaBuffers,
  type ReplicaInit,
  type ReplicaLauncher,
  type ReplicaReport,
  type Shard,
} from './train/parallel.js';
export { MemoryStorage, type RunStorage, type TrainingCheckpoint, type MetricsRecord } from './train/storage.js';
export { logProbAll, summariseNll, bitsPerDim, evaluateSplit, type NllReport, type SplitLikelihood } from './eval/likelihood.js';
export { LinearProbe, linearProbe, probeModel, encodeAll, encodeLabelled, PROBE_DEFAULTS, type ProbeConfig, type ProbeReport, type LabelledCodes } from './eval/probe.js';
export { knnAccuracy, knnPredict, KNN_DEFAULTS, type KnnOptions, type KnnReport } from './eval/knn.js';
export { bayesClassify, rejectionThreshold, classScorer, classLogLikelihoods, type BayesDecision, type ClassScorer } from './eval/bayes.js';
export { fitPca, projectPca, unprojectPca, symmetricEigen, topEigen, JACOBI_MAX_DIMS, type Pca } from './eval/pca.js';
export { codePlane, codeAtPoint, interpolateCodes, traversalCodes, type CodePlane, type CodePlaneProjection } from './eval/latentSpace.js';
export { regionMask, completeEach, MASK_REGIONS, type MaskRegion } from './eval/completion.js';
export { mmd, medianDistance, type MmdOptions, type MmdResult } from './eval/mmd.js';
export { modeCoverage, gaussianMassWithin, MODE_COVERAGE_DEFAULTS, type ModeCoverage, type ModeCoverageOptions } from './eval/modeCoverage.js';
export { auroc, averagePrecision, fprAtTpr, percentileRank, anomalyReport, complexityCorrected, negativeLogLikelihoods, type AnomalyReport, type NegLogLikelihoods } from './eval/anomaly.js';
export { makeGrid, drawText, imageShape, type GridImage, type GridOptions } from './io/grid.js';
export { scatterPlot, colorScatterPlot, colorScatterPixel, colorScatterPoint, dataRange, histogram, PALETTE } from './io/scatter.js';
export { heatMap, heatMapCell } from './io/heatmap.js';
export { ganLabFrame, ganLabSnapshot, ganLabGrid, ganLabRange, zGridLines, discriminatorColor, type GanLabInput, type GeneratorMesh, type GanLabFrameOptions, type GanLabSnapshotOptions } from './io/ganLab.js';
export { histogramPanels, type HistogramPanel, type HistogramSeries } from './io/histograms.js';
export { encodeWeights, decodeWeights } from './io/weights.js';
export { encodeSafetensors, decodeSafetensors } from './io/safetensors.js';
export { sha256Hex } from './core/sha256.js';
export {
  CHECKPOINT_FORMAT,
  CHECKPOINTS_FOLDER,
  MANIFEST_FILE,
  POINTER_FILE,
  WEIGHTS_PART,
  OPTIMIZER_PART,
  EMA_PART,
  STEP_FOLDER,
  stepFolder,
  checkpointParts,
  emaWeights,
  type CheckpointInfo,
  type CheckpointParts,
  type CheckpointManifest,
  type PartManifest,
  type LoadedCheckpoint,
  type SkippedCheckpoint,
} from './io/checkpoint.js';
export {
  RUN_FORMAT,
  CONFIG_FILE,
  METRICS_FILE,
  runFolderFiles,
  readRunFiles,
  parseRunConfig,
  parseMetrics,
  type RunConfig,
  type DataSpecOptions,
  type RunFile,
  type RunFolderContents,
  type RunRead,
  type ReadRunOptions,
} from './io/runFolder.js';
export { writeTar, readTar, type TarFile, type WriteTarOptions } from './io/tar.js';
