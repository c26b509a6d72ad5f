import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { mlpToOnnx, ONNX_INPUT, ONNX_OUTPUT } from './onnx-export.ts';
import { FEATURE_NAMES, FEATURE_VERSION } from './pair-features.ts';
import type { TrainedScorer } from './train-scorer.ts';

export const MODELS_DIR = path.resolve(import.meta.dirname, '../../models');
const MODEL_FILE = 'scorer.onnx';
const META_FILE = 'scorer.json';

/** models/scorer.json: everything needed to use the model and to reproduce it. */
export interface ScorerMeta {
  featureVersion: string;
  featureNames: string[];
  normalization: { mean: number[]; std: number[] };
  architecture: number[];
  onnx: { file: string; sha256: string; input: string; output: string; opset: number };
  training: {
    seed: number;
    crateSize: number;
    pairs: number;
    epochs: number;
    learningRate: number;
    batchSize: number;
    feedbackWeight: number;
    libraryTracks: number;
    feedbackExamples: number;
    trainingSetHash: string;
  };
  metrics: { teacherAucHeldOut: number; heldOutPairs: number; trainPairs: number; finalLoss: number };
}

export async function saveScorer(trained: TrainedScorer, dir = MODELS_DIR): Promise<ScorerMeta> {
  const { mlp, options: o, metrics } = trained;
  const onnxBytes = mlpToOnnx(mlp, trained.mean, trained.std, `mini-dj mixability scorer, ${FEATURE_VERSION}`);
  const meta: ScorerMeta = {
    featureVersion: FEATURE_VERSION,
    featureNames: [...FEATURE_NAMES],
    normalization: {
      mean: Array.from(trained.mean, (v) => Math.fround(v)),
      std: Array.from(trained.std, (v) => Math.fround(v)),
    },
    architecture: [mlp.layers[0]!.inputs, ...mlp.layers.map((l) => l.outputs)],
    onnx: {
      file: MODEL_FILE,
      sha256: createHash('sha256').update(onnxBytes).digest('hex'),
      input: ONNX_INPUT,
      output: ONNX_OUTPUT,
      opset: 13,
    },
    training: {
      seed: o.seed,
      crateSize: o.crateSize,
      pairs: o.pairs,
      epochs: o.epochs,
      learningRate: o.learningRate,
      batchSize: o.batchSize,
      feedbackWeight: o.feedbackWeight,
      libraryTracks: o.library?.length ?? 0,
      feedbackExamples: metrics.feedbackExamples,
      trainingSetHash: trained.trainingSetHash,
    },
    metrics: {
      teacherAucHeldOut: Number(metrics.teacherAucHeldOut.toFixed(5)),
      heldOutPairs: metrics.heldOutPairs,
      trainPairs: metrics.trainPairs,
      finalLoss: Number(metrics.finalLoss.toFixed(5)),
    },
  };
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, MODEL_FILE), onnxBytes);
  await writeFile(path.join(dir, META_FILE), `${JSON.stringify(meta, null, 2)}\n`);
  return meta;
}

class ScorerModelError extends Error {}

/** Reads and checks scorer.json and the model bytes; a missing or mismatched model is an error, never a fallback. */
export async function readScorerFiles(dir = MODELS_DIR): Promise<{ meta: ScorerMeta; onnx: Uint8Array }> {
  let meta: ScorerMeta;
  try {
    meta = JSON.parse(await readFile(path.join(dir, META_FILE), 'utf8')) as ScorerMeta;
  } catch {
    throw new ScorerModelError(
      `No mixability model at ${path.join(dir, META_FILE)}. Run \`npx minidj train\` to create one.`,
    );
  }
  if (meta.featureVersion !== FEATURE_VERSION || meta.featureNames?.join(',') !== FEATURE_NAMES.join(',')) {
    throw new ScorerModelError(
      `The mixability model in ${dir} was trained on features "${meta.featureVersion}", but this Mini-DJ computes "${FEATURE_VERSION}". Run \`npx minidj train\` to retrain it.`,
    );
  }
  let onnx: Uint8Array;
  try {
    onnx = await readFile(path.join(dir, meta.onnx.file));
  } catch {
    throw new ScorerModelError(
      `The model file ${path.join(dir, meta.onnx.file)} is missing. Run \`npx minidj train\` to create it.`,
    );
  }
  if (createHash('sha256').update(onnx).digest('hex') !== meta.onnx.sha256) {
    throw new ScorerModelError(
      `The model file ${path.join(dir, meta.onnx.file)} does not match scorer.json (checksum differs). Run \`npx minidj train\`.`,
    );
  }
  return { meta, onnx };
}
