import { createRng, gaussian } from '../util/prng.ts';
import type { Rng } from '../util/prng.ts';
import { MFCC_DIMS } from './track-descriptor.ts';
import type { TrackDescriptor } from './track-descriptor.ts';

/** Timbre families: MFCC means 1..12 measured on our synthesized crate and spread to cover other sounds. */
const TIMBRE_CENTRES = [
  [132, 18, 23, 5, 8, 4, 3, 2, 1, 1, 0, 0],
  [120, 30, 10, -5, 12, 8, -2, 4, 2, -1, 1, 0],
  [145, 5, 30, 12, 2, -3, 6, 0, -2, 3, 1, 1],
  [110, 40, 0, 15, -6, 10, 4, -4, 3, 2, -2, 1],
];

function sampleBpm(rng: Rng): number {
  const style = rng.next();
  if (style < 0.65) return rng.range(118, 132); // house, tech house, techno
  if (style < 0.8) return rng.range(132, 150); // trance, hard techno
  if (style < 0.9) return rng.range(160, 176); // drum & bass
  return rng.range(80, 115); // hip-hop, downtempo, disco
}

function sampleTrack(rng: Rng): TrackDescriptor {
  const centre = rng.pick(TIMBRE_CENTRES);
  const mfcc = Array.from({ length: MFCC_DIMS }, (_, i) => centre[i]! + gaussian(rng) * (i === 0 ? 10 : 6));
  const loudnessLufs = Math.min(-5, -10 + gaussian(rng) * 2.5);
  const energyHigh = rng.range(0.45, 1);
  return {
    bpm: Number(sampleBpm(rng).toFixed(2)),
    bpmConfidence: rng.range(0.5, 1),
    camelotNumber: rng.int(1, 13),
    camelotLetter: rng.int(0, 2),
    keyStrength: rng.range(0.35, 0.98),
    loudnessLufs,
    brightnessHz: 2600 * 2 ** (gaussian(rng) * 0.45),
    danceability: rng.range(0.8, 2),
    mfcc,
    energyIn: rng.range(0.25, energyHigh),
    energyOut: rng.range(0.25, energyHigh),
    introBars: rng.weighted([
      { value: 0, weight: 1 },
      { value: 8, weight: 2 },
      { value: 16, weight: 4 },
      { value: 32, weight: 2 },
    ]),
    outroBars: rng.weighted([
      { value: 0, weight: 1 },
      { value: 8, weight: 2 },
      { value: 16, weight: 4 },
      { value: 32, weight: 2 },
    ]),
    intensity: rng.range(0.2, 1),
  };
}

/**
 * A crate of plausible track descriptors (no audio) for training: tempo and key spread as in dance-music libraries.
 * Deterministic from the seed.
 */
export function syntheticCrate(size: number, seed: number): TrackDescriptor[] {
  const rng = createRng(seed, 'synthetic-crate');
  return Array.from({ length: size }, () => sampleTrack(rng));
}

/**
 * Training pairs: half drawn among tracks of similar tempo (where real decisions are made), half at random, so that
 * both good and bad mixes are common.
 */
export function samplePairs(crate: TrackDescriptor[], count: number, seed: number): [number, number][] {
  const rng = createRng(seed, 'pairs');
  const byTempo = crate
    .map((t, i) => [t.bpm, i] as const)
    .sort((x, y) => x[0] - y[0])
    .map(([, i]) => i);
  const pairs: [number, number][] = [];
  while (pairs.length < count) {
    let a: number;
    let b: number;
    if (rng.chance(0.5)) {
      const p = rng.int(0, byTempo.length);
      const q = Math.min(byTempo.length - 1, Math.max(0, p + rng.int(-40, 41)));
      a = byTempo[p]!;
      b = byTempo[q]!;
    } else {
      a = rng.int(0, crate.length);
      b = rng.int(0, crate.length);
    }
    if (a !== b) pairs.push([a, b]);
  }
  return pairs;
}
