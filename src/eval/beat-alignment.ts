import { MIX_RATE } from '../audio/io/mix-format.ts';
import { refinedPeak } from './refined-peak.ts';

/** The alignment envelope's block (as `alignmentEnvelope` with hop 32) and its 10 ms energy window. */
const BLOCK = 32;
const WINDOW = Math.round(0.01 * MIX_RATE);
/** Lags are tried every 8 samples (0.17 ms), so that some lag puts the source's blocks within 4 samples of the set's. */
const LAG_STEP = 8;
const BEFORE_SEC = 0.02;
const AFTER_SEC = 0.1;
const MAX_LAG_SEC = 0.03;

/** Running sums of a track's squared samples: its 10 ms energy from any sample, not only on a block grid. */
export function squaredSums(mono: Float32Array): Float64Array {
  const sums = new Float64Array(mono.length + 1);
  for (let i = 0; i < mono.length; i++) sums[i + 1] = sums[i]! + mono[i]! * mono[i]!;
  return sums;
}

/**
 * Where a source beat landed in the set: the lag that best aligns the source's onset envelope around the beat with
 * the set's (`setEnv`: `alignmentEnvelope(set, MIX_RATE, 32)`), and the peak's contrast over the mean correlation as its
 * reliability (a held pad or a breakdown correlates flatly). The source's envelope is recomputed for each lag on the
 * set's own block boundaries: the same audio enveloped on blocks a few samples apart differs wherever a low tone
 * ripples the 10 ms energy, enough to move the peak by tens of milliseconds.
 */
export function alignBeat(
  setEnv: Float32Array,
  source: Float64Array,
  srcSec: number,
  setSec: number,
): { setSec: number; correlation: number } {
  const step = BLOCK / MIX_RATE;
  const before = Math.round(BEFORE_SEC / step);
  const len = before + Math.round(AFTER_SEC / step);
  const t0 = Math.round(setSec / step) - before;
  const offset = Math.round((setSec - srcSec) * MIX_RATE);
  const maxLag = Math.round((MAX_LAG_SEC * MIX_RATE) / LAG_STEP);
  if (t0 < 0 || t0 + len > setEnv.length) return { setSec, correlation: 0 };
  // The source's 10 ms log level every LAG_STEP samples over all the lags' blocks (each lag's blocks are every fourth
  // of them), from one block before the first lag's first block (its rise is measured from the block before).
  const base = t0 * BLOCK - offset - maxLag * LAG_STEP - BLOCK;
  const levels = (2 * maxLag * LAG_STEP + (len + 1) * BLOCK) / LAG_STEP + 1;
  if (base < 0 || base + (levels - 1) * LAG_STEP + WINDOW >= source.length) return { setSec, correlation: 0 };
  const level = new Float64Array(levels);
  for (let k = 0; k < levels; k++) {
    const at = base + k * LAG_STEP;
    level[k] = Math.log10(1e-9 + (source[at + WINDOW]! - source[at]!) / WINDOW);
  }
  let setEnergy = 0;
  for (let i = 0; i < len; i++) setEnergy += setEnv[t0 + i]! ** 2;
  const perBlock = BLOCK / LAG_STEP;
  const scores: number[] = [];
  for (let lag = -maxLag; lag <= maxLag; lag++) {
    // Block b of this lag starts at base + (maxLag - lag) · LAG_STEP + (b + 1) · BLOCK.
    const first = maxLag - lag + perBlock;
    let dot = 0;
    let energy = 0;
    for (let i = 0; i < len; i++) {
      const k = first + i * perBlock;
      const rise = Math.max(0, level[k]! - level[k - perBlock]!);
      dot += rise * setEnv[t0 + i]!;
      energy += rise * rise;
    }
    scores.push(energy > 0 && setEnergy > 0 ? dot / Math.sqrt(energy * setEnergy) : 0);
  }
  const peak = refinedPeak(scores);
  const meanScore = scores.reduce((a, b) => a + b, 0) / scores.length;
  return { setSec: setSec + ((peak.at - maxLag) * LAG_STEP) / MIX_RATE, correlation: scores[peak.index]! - meanScore };
}
