/** Kick-triggered ducking ("pumping") for bass and chords. */

export interface SidechainShape {
  /** How far the gain dips at the kick, 0..1. */
  depth: number;
  attackSamples: number;
  /** Samples to recover back to full gain. */
  releaseSamples: number;
}

/** Index of the last kick at or before sample n, or -1. */
function lastKickAtOrBefore(kicks: readonly number[], n: number): number {
  let lo = 0;
  let hi = kicks.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (kicks[mid]! <= n) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

/**
 * Multiplies `count` samples of left/right (which start at absolute sample `start`) by the
 * ducking gain. Pass the same array twice for a mono signal.
 */
export function applySidechain(
  left: Float32Array,
  right: Float32Array,
  count: number,
  start: number,
  kicks: readonly number[],
  shape: SidechainShape,
): void {
  let k = lastKickAtOrBefore(kicks, start);
  const { depth, attackSamples, releaseSamples } = shape;
  for (let i = 0; i < count; i++) {
    const n = start + i;
    while (k + 1 < kicks.length && kicks[k + 1]! <= n) k++;
    if (k < 0) continue;
    const d = n - kicks[k]!;
    let gain: number;
    if (d < attackSamples) gain = 1 - (depth * d) / attackSamples;
    else if (d < attackSamples + releaseSamples) {
      const x = 1 - (d - attackSamples) / releaseSamples;
      gain = 1 - depth * x * x;
    } else continue;
    left[i]! *= gain;
    if (right !== left) right[i]! *= gain;
  }
}
