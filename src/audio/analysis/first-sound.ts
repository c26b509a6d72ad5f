/** Windows of this long are compared: short enough to place an attack within a few ms. */
const WINDOW_SEC = 0.005;
/** The level the music reaches most of the time it plays: this quantile of the windows' energies. */
const LOUD_QUANTILE = 0.95;
/** The first window within this much of that level is where the music starts (a fade's tail or noise stays below). */
const START_DB = -20;

/**
 * When the music's first sound comes: the start of the first 5 ms window whose energy is within 20 dB of the level
 * the track plays at. A pickup note, a count-in click or a faded intro quieter than that does not count.
 */
export function firstSoundSec(mono: Float32Array, sampleRate: number): number {
  const size = Math.max(1, Math.round(WINDOW_SEC * sampleRate));
  const count = Math.floor(mono.length / size);
  if (count === 0) return 0;
  const energy = new Float64Array(count);
  for (let w = 0; w < count; w++) {
    let sum = 0;
    for (let i = w * size; i < (w + 1) * size; i++) sum += mono[i]! * mono[i]!;
    energy[w] = sum / size;
  }
  const loud = Float64Array.from(energy).sort()[Math.min(count - 1, Math.floor(LOUD_QUANTILE * count))]!;
  const threshold = loud * 10 ** (START_DB / 10);
  const first = energy.findIndex((e) => e >= threshold && e > 0);
  return first < 0 ? 0 : (first * size) / sampleRate;
}
