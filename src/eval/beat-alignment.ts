import { MIX_RATE } from '../audio/io/deck-reader.ts';
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

/** The rise in log energy of `blocks` blocks whose first starts at `first`, as `alignmentEnvelope` computes it. */
function envelopeFrom(sums: Float64Array, first: number, blocks: number, out: Float64Array): boolean {
  if (first - BLOCK < 0 || first + (blocks - 1) * BLOCK + WINDOW >= sums.length) return false;
  const level = (at: number) => Math.log10(1e-9 + (sums[at + WINDOW]! - sums[at]!) / WINDOW);
  let prev = level(first - BLOCK);
  for (let b = 0; b < blocks; b++) {
    const now = level(first + b * BLOCK);
    out[b] = Math.max(0, now - prev);
    prev = now;
  }
  return true;
}

/**
 * Where a source beat landed in the set: the lag that best aligns the source's onset envelope around the beat with
 * the set's (`setEnv`: `alignmentEnvelope(set, MIX_RATE, 32)`), and the peak's contrast over the mean correlation as its
 * reliability (a held pad or a breakdown correlates flatly). The source's envelope is recomputed for each lag on the
 * set's own block boundaries: the same audio enveloped on blocks a few samples apart differs wherever a low tone
 * ripples the 10 ms energy, enough to move the peak by tens of milliseconds.
 */
export function alignBeat(setEnv: Float32Array, source: Float64Array, srcSec: number, setSec: number): { setSec: number; correlation: number } {
  const step = BLOCK / MIX_RATE;
  const before = Math.round(BEFORE_SEC / step);
  const len = before + Math.round(AFTER_SEC / step);
  const t0 = Math.round(setSec / step) - before;
  const offset = Math.round((setSec - srcSec) * MIX_RATE);
  const maxLag = Math.round((MAX_LAG_SEC * MIX_RATE) / LAG_STEP);
  if (t0 < 0 || t0 + len > setEnv.length) return { setSec, correlation: 0 };
  let setEnergy = 0;
  for (let i = 0; i < len; i++) setEnergy += setEnv[t0 + i]! ** 2;
  const src = new Float64Array(len);
  const scores: number[] = [];
  for (let lag = -maxLag; lag <= maxLag; lag++) {
    if (!envelopeFrom(source, t0 * BLOCK - offset - lag * LAG_STEP, len, src)) return { setSec, correlation: 0 };
    let dot = 0;
    let energy = 0;
    for (let i = 0; i < len; i++) {
      dot += src[i]! * setEnv[t0 + i]!;
      energy += src[i]! * src[i]!;
    }
    scores.push(energy > 0 && setEnergy > 0 ? dot / Math.sqrt(energy * setEnergy) : 0);
  }
  const peak = refinedPeak(scores);
  const meanScore = scores.reduce((a, b) => a + b, 0) / scores.length;
  return { setSec: setSec + ((peak.at - maxLag) * LAG_STEP) / MIX_RATE, correlation: scores[peak.index]! - meanScore };
}
