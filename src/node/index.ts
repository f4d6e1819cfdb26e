/** genlab's Node entry: everything in the core, plus files, checkpoints and the native backend. */
export * from '../index.js';
export { initNodeBackend } from './engine.js';
export { loadMnist } from './data/mnist.js';
export { loadFashionMnist } from './data/fashion.js';
export { loadCsv } from './data/csv.js';
export { loadImageFolder, readPng, writePng } from './data/images.js';
export { loadDataSpec } from './data/spec.js';
export { saveCheckpoint, loadLatestCheckpoint, verifyCheckpoints } from './checkpoint.js';
export type { Checkpoint, CheckpointInfo, CheckpointManifest, CheckpointParts, CheckpointReport, LoadCheckpointOptions, SkippedCheckpoint } from './checkpoint.js';
export { writeFileAtomic } from './fsAtomic.js';
export { openRun, readRunConfig, loadRunData, prepareLikeRun, MetricsLog } from './run.js';
export { loadEvaluationSet, parseEvaluationSpec } from './evalData.js';
export { pngLengthBits } from './complexity.js';
export { FileRunStorage } from './storage.js';
export { workerReplicas } from './replicas.js';
export { writeGif, framesToKeep, MAX_GIF_FRAMES } from './animation.js';
