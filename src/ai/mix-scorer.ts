import { createRequire } from 'node:module';
import type * as Ort from 'onnxruntime-node';
import type { InferenceSession as OrtSession, Tensor as OrtTensor } from 'onnxruntime-node';
import { FEATURE_COUNT, writePairFeatures } from './pair-features.ts';
import { MODELS_DIR, readScorerFiles } from './scorer-files.ts';
import type { ScorerMeta } from './scorer-files.ts';
import type { TrackDescriptor } from './track-descriptor.ts';

const require = createRequire(import.meta.url);
const ort = require('onnxruntime-node') as typeof Ort;

export interface Ranked {
  index: number;
  score: number;
}

/** The mixability scorer: onnxruntime inference over raw pair features, batched. */
export class MixScorer {
  readonly meta: ScorerMeta;
  private readonly session: OrtSession;
  private buffer = new Float32Array(0);

  private constructor(session: OrtSession, meta: ScorerMeta) {
    this.session = session;
    this.meta = meta;
  }

  static async load(dir = MODELS_DIR, threads = 2): Promise<MixScorer> {
    const { meta, onnx } = await readScorerFiles(dir);
    const session = await ort.InferenceSession.create(onnx, {
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      graphOptimizationLevel: 'all',
    });
    const scorer = new MixScorer(session, meta);
    // The first run of a session pays for its allocations: pay it here, not in the first /suggest.
    await scorer.scoreFeatures(new Float32Array(4096 * FEATURE_COUNT), 4096);
    return scorer;
  }

  /** Scores `n` rows of raw features. */
  async scoreFeatures(features: Float32Array, n: number): Promise<Float32Array> {
    if (n === 0) return new Float32Array(0);
    const input = new ort.Tensor('float32', features.subarray(0, n * FEATURE_COUNT), [n, FEATURE_COUNT]);
    const out = await this.session.run({ [this.meta.onnx.input]: input });
    return (out[this.meta.onnx.output] as OrtTensor).data as Float32Array;
  }

  async score(a: TrackDescriptor, b: TrackDescriptor): Promise<number> {
    const row = new Float32Array(FEATURE_COUNT);
    writePairFeatures(a, b, row, 0);
    return (await this.scoreFeatures(row, 1))[0]!;
  }

  /** Scores `from → each candidate` in one batch. */
  async scoreAll(from: TrackDescriptor, candidates: readonly TrackDescriptor[]): Promise<Float32Array> {
    const needed = candidates.length * FEATURE_COUNT;
    if (this.buffer.length < needed) this.buffer = new Float32Array(needed);
    for (let i = 0; i < candidates.length; i++) writePairFeatures(from, candidates[i]!, this.buffer, i * FEATURE_COUNT);
    return this.scoreFeatures(this.buffer, candidates.length);
  }

  /** The best `n` next tracks after `from`, best first (ties by index). */
  async rank(
    from: TrackDescriptor,
    candidates: readonly TrackDescriptor[],
    n = 5,
    exclude?: (index: number) => boolean,
  ): Promise<Ranked[]> {
    const scores = await this.scoreAll(from, candidates);
    const top: Ranked[] = [];
    for (let i = 0; i < scores.length; i++) {
      if (exclude?.(i)) continue;
      const s = scores[i]!;
      if (top.length === n && s <= top[n - 1]!.score) continue;
      let at = top.length;
      while (at > 0 && top[at - 1]!.score < s) at--;
      top.splice(at, 0, { index: i, score: s });
      if (top.length > n) top.pop();
    }
    return top;
  }

  async close(): Promise<void> {
    await this.session.release();
  }
}
