import type { TrackAnalysis } from '../audio/analysis/analysis-types.ts';
import { parseCamelot } from '../audio/music/camelot.ts';

export const MFCC_DIMS = 12;
const CUE_WINDOW_BARS = 8;

/** The part of an analysis the brain reads, flattened once per track so that scoring a pair is a few arithmetic steps. */
export interface TrackDescriptor {
  bpm: number;
  bpmConfidence: number;
  camelotNumber: number;
  /** 0 = A (minor), 1 = B (major). */
  camelotLetter: number;
  keyStrength: number;
  loudnessLufs: number;
  brightnessHz: number;
  danceability: number;
  /** MFCC means 1..12 (c0, overall level, is left to loudness). */
  mfcc: number[];
  /** Mean bar energy over the 8 bars from mixIn, and from mixOut (0..1, relative to the track's loudest bar). */
  energyIn: number;
  energyOut: number;
  /** Bars of intro from mixIn, and of outro from mixOut: the runway a blend has. */
  introBars: number;
  outroBars: number;
  /** Overall intensity 0..1 for set ordering: loudness and the share of loud bars. */
  intensity: number;
}

function barAt(downbeats: number[], t: number): number {
  let lo = 0;
  let hi = downbeats.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (downbeats[mid]! <= t + 1e-3) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

function meanEnergy(energy: number[], from: number): number {
  const slice = energy.slice(from, from + CUE_WINDOW_BARS);
  return slice.length ? slice.reduce((a, b) => a + b, 0) / slice.length : 0;
}

export function describeTrack(a: TrackAnalysis): TrackDescriptor {
  const camelot = parseCamelot(a.camelot);
  const inBar = barAt(a.downbeats, a.cues.mixIn);
  const outBar = barAt(a.downbeats, a.cues.mixOut);
  const first = a.segments[0];
  const last = a.segments.at(-1);
  const introBars = first?.label === 'intro' ? Math.max(0, first.endBar - inBar) : 0;
  const outroBars =
    last?.label === 'outro' ? Math.max(0, last.endBar - outBar) : Math.max(0, a.downbeats.length - outBar);
  const loudShare = a.energy.length ? a.energy.filter((e) => e > 0.7).length / a.energy.length : 0;
  const loudness01 = Math.min(1, Math.max(0, (a.loudnessLufs + 20) / 14));
  return {
    bpm: a.bpm,
    bpmConfidence: a.bpmConfidence,
    camelotNumber: camelot.number,
    camelotLetter: camelot.letter === 'B' ? 1 : 0,
    keyStrength: a.keyStrength,
    loudnessLufs: a.loudnessLufs,
    brightnessHz: a.brightnessHz,
    danceability: a.danceability,
    mfcc: a.timbre.mfccMean.slice(1, 1 + MFCC_DIMS),
    energyIn: meanEnergy(a.energy, inBar),
    energyOut: meanEnergy(a.energy, outBar),
    introBars,
    outroBars,
    intensity: Number((0.5 * loudness01 + 0.5 * loudShare).toFixed(4)),
  };
}
