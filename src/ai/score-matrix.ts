import type { MixScorer } from './mix-scorer.ts';
import { FEATURE_COUNT, writePairFeatures } from './pair-features.ts';
import type { TrackDescriptor } from './track-descriptor.ts';

/** Mixability of every ordered pair in one batch: `matrix[i * n + j]` scores i → j. */
export async function scoreMatrix(descriptors: readonly TrackDescriptor[], scorer: MixScorer): Promise<Float32Array> {
  const n = descriptors.length;
  const x = new Float32Array(n * n * FEATURE_COUNT);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) writePairFeatures(descriptors[i]!, descriptors[j]!, x, (i * n + j) * FEATURE_COUNT);
  return scorer.scoreFeatures(x, n * n);
}
