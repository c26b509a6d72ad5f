/** The log scale of an energy read: `energy` summed over `samples` samples to a level (its floor and compression). */
export type EnergyLevel = (energy: number, samples: number) => number;

/**
 * An onset envelope: the energy of `window` samples read `count` times, every `hop` samples, each read's level on the
 * caller's log scale, and the half-wave-rectified rise of the level from one read to the next (the first from 0).
 */
export function energyRiseEnvelope(mono: Float32Array, window: number, hop: number, count: number, level: EnergyLevel): Float32Array {
  const env = new Float32Array(Math.max(0, count));
  let prev = 0;
  for (let b = 0; b < count; b++) {
    let e = 0;
    const start = b * hop;
    for (let i = start; i < start + window; i++) e += mono[i]! * mono[i]!;
    const now = level(e, window);
    env[b] = Math.max(0, now - prev);
    prev = now;
  }
  return env;
}
