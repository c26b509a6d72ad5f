/** The log scale of an energy read: `energy` summed over `samples` samples to a level (its floor and compression). */
export type EnergyLevel = (energy: number, samples: number) => number;

/**
 * An onset envelope from a level read `count` times: value i is the half-wave-rectified rise from read i − `lag` to
 * read i. `level` is asked for every read from −`lag` on (none when there are none), once each: what it reads before the signal (silence, a
 * partial window, the first read again) is the caller's.
 */
export function riseEnvelope(count: number, level: (read: number) => number, lag = 1): Float32Array {
  const n = Math.max(0, count);
  if (n === 0) return new Float32Array(0);
  const levels = new Float64Array(n + lag);
  for (let i = -lag; i < n; i++) levels[i + lag] = level(i);
  const env = new Float32Array(n);
  for (let i = 0; i < n; i++) env[i] = Math.max(0, levels[i + lag]! - levels[i]!);
  return env;
}

/**
 * The energy of `window` samples read `count` times, every `hop` samples, each read's level on the caller's log scale,
 * and its rise from one read to the next (the first from 0).
 */
export function energyRiseEnvelope(
  mono: Float32Array,
  window: number,
  hop: number,
  count: number,
  level: EnergyLevel,
): Float32Array {
  return riseEnvelope(count, (b) => {
    if (b < 0) return 0;
    let e = 0;
    const start = b * hop;
    for (let i = start; i < start + window; i++) e += mono[i]! * mono[i]!;
    return level(e, window);
  });
}
