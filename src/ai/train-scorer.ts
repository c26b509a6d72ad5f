import { createHash } from 'node:crypto';
import { auc } from './auc.ts';
import { teacherScore, TEACHER_GOOD } from './dj-teacher.ts';
import type { Mlp } from './mlp.ts';
import { predict } from './mlp.ts';
import { FEATURE_COUNT, pairFacts, writePairFeatures } from './pair-features.ts';
import { samplePairs, syntheticCrate } from './synthetic-crate.ts';
import type { TrackDescriptor } from './track-descriptor.ts';
import { trainMlp } from './train-mlp.ts';

/** A listener's verdict on a transition the bot played (a vote, or a skip during or right after it). */
export interface FeedbackExample {
  from: TrackDescriptor;
  to: TrackDescriptor;
  liked: boolean;
}

export interface ScorerTrainingOptions {
  seed: number;
  crateSize: number;
  pairs: number;
  epochs: number;
  hidden: number[];
  learningRate: number;
  batchSize: number;
  /** Real analyses from the server library, added to the synthetic crate. */
  library?: TrackDescriptor[];
  feedback?: FeedbackExample[];
  /** How many teacher-labelled pairs one feedback example outweighs. */
  feedbackWeight: number;
  heldOutShare: number;
}

export const DEFAULT_TRAINING: ScorerTrainingOptions = {
  seed: 1,
  crateSize: 4000,
  pairs: 40_000,
  epochs: 12,
  hidden: [64, 32],
  learningRate: 0.003,
  batchSize: 128,
  feedbackWeight: 8,
  heldOutShare: 0.2,
};

export interface TrainedScorer {
  mlp: Mlp;
  mean: Float64Array;
  std: Float64Array;
  options: ScorerTrainingOptions;
  trainingSetHash: string;
  metrics: {
    teacherAucHeldOut: number;
    heldOutPairs: number;
    trainPairs: number;
    feedbackExamples: number;
    finalLoss: number;
  };
}

export function normalize(x: Float64Array, n: number, mean: Float64Array, std: Float64Array): Float64Array {
  const out = new Float64Array(x.length);
  for (let r = 0; r < n; r++)
    for (let f = 0; f < FEATURE_COUNT; f++)
      out[r * FEATURE_COUNT + f] = (x[r * FEATURE_COUNT + f]! - mean[f]!) / std[f]!;
  return out;
}

/** Pairs labelled by the teacher, split into training and held-out sets; feedback examples join the training side. */
export function buildDatasets(opts: ScorerTrainingOptions) {
  const crate = [...syntheticCrate(opts.crateSize, opts.seed), ...(opts.library ?? [])];
  const pairs = samplePairs(crate, opts.pairs, opts.seed);
  const heldOutEvery = Math.round(1 / opts.heldOutShare);
  const row = new Float32Array(FEATURE_COUNT);
  const build = (list: [TrackDescriptor, TrackDescriptor, number, number][]) => {
    const x = new Float64Array(list.length * FEATURE_COUNT);
    const y = new Float64Array(list.length);
    const w = new Float64Array(list.length);
    list.forEach(([a, b, target, weight], i) => {
      writePairFeatures(a, b, row, 0);
      x.set(row, i * FEATURE_COUNT);
      y[i] = target;
      w[i] = weight;
    });
    return { x, y, w, n: list.length, features: FEATURE_COUNT };
  };
  const train: [TrackDescriptor, TrackDescriptor, number, number][] = [];
  const heldOut: [TrackDescriptor, TrackDescriptor, number, number][] = [];
  pairs.forEach(([i, j], k) => {
    const a = crate[i]!;
    const b = crate[j]!;
    (k % heldOutEvery === 0 ? heldOut : train).push([a, b, teacherScore(pairFacts(a, b)), 1]);
  });
  for (const f of opts.feedback ?? []) train.push([f.from, f.to, f.liked ? 1 : 0, opts.feedbackWeight]);
  return { train: build(train), heldOut: build(heldOut), heldOutPairs: heldOut.map(([a, b]) => [a, b] as const) };
}

export function trainScorer(opts: ScorerTrainingOptions = DEFAULT_TRAINING): TrainedScorer {
  const { train, heldOut } = buildDatasets(opts);
  const mean = new Float64Array(FEATURE_COUNT);
  const std = new Float64Array(FEATURE_COUNT);
  for (let r = 0; r < train.n; r++)
    for (let f = 0; f < FEATURE_COUNT; f++) mean[f]! += train.x[r * FEATURE_COUNT + f]! / train.n;
  for (let r = 0; r < train.n; r++)
    for (let f = 0; f < FEATURE_COUNT; f++) std[f]! += (train.x[r * FEATURE_COUNT + f]! - mean[f]!) ** 2 / train.n;
  for (let f = 0; f < FEATURE_COUNT; f++) std[f] = Math.sqrt(std[f]!) || 1;
  const hash = createHash('sha256');
  for (const a of [train.x, train.y, train.w]) hash.update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  let finalLoss = NaN;
  const mlp = trainMlp(
    { ...train, x: normalize(train.x, train.n, mean, std) },
    {
      hidden: opts.hidden,
      epochs: opts.epochs,
      batchSize: opts.batchSize,
      learningRate: opts.learningRate,
      seed: opts.seed,
    },
    (_, loss) => {
      finalLoss = loss;
    },
  );
  const predicted = predict(mlp, normalize(heldOut.x, heldOut.n, mean, std), heldOut.n);
  const labels = Array.from(heldOut.y, (t) => t >= TEACHER_GOOD);
  return {
    mlp,
    mean,
    std,
    options: opts,
    trainingSetHash: hash.digest('hex'),
    metrics: {
      teacherAucHeldOut: auc(predicted, labels),
      heldOutPairs: heldOut.n,
      trainPairs: train.n,
      feedbackExamples: opts.feedback?.length ?? 0,
      finalLoss,
    },
  };
}
