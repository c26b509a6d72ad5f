import { barCues } from './bar-cues.ts';
import type { BarCues } from './bar-cues.ts';
import type { SpectralFrames } from './spectral-frames.ts';
import { standardizeDefined } from '../dsp/stats.ts';

export interface BarGrid {
  beatsPerBar: number;
  /** Index into `beats` of the first downbeat. */
  phase: number;
  downbeats: number[];
  beatPositions: number[];
  /** 0..1: how much of the track's evidence agrees with the phase (see `phaseConfidence`). */
  confidence: number;
}

export type CueWeights = Record<keyof BarCues, number>;

/**
 * What each cue weighs. Harmony most: where chords change is what a musician hears as the one in almost any style.
 * The snare least: the middle band's onsets are the backbeat in a drum machine's pattern, but in a band's dense mix
 * they are as much the guitars' chords and the kick's body.
 */
const CUE_WEIGHTS: CueWeights = { harmony: 1, section: 0.6, kick: 0.4, snare: 0.25 };

/** Each cue standardized over the track, an unmeasured value (a window past either end) counting as average. */
export type StandardCues = Record<keyof BarCues, Float64Array>;

export function standardCues(cues: BarCues): StandardCues {
  const z = (v: number[]): Float64Array => Float64Array.from(standardizeDefined(v), (x) => (Number.isNaN(x) ? 0 : x));
  return { harmony: z(cues.harmony), section: z(cues.section), kick: z(cues.kick), snare: z(cues.snare) };
}

/**
 * Each phase's score over beats [from, to): the weighted cues on its beats, and the backbeat (in an even metre the
 * snare on the beats between the strong ones, against the snare on them).
 */
export function phaseScores(
  z: StandardCues,
  beatsPerBar: number,
  from = 0,
  to = z.harmony.length,
  weights: CueWeights = CUE_WEIGHTS,
): number[] {
  const sum = new Float64Array(beatsPerBar);
  const snare = new Float64Array(beatsPerBar);
  const count = new Float64Array(beatsPerBar);
  for (let i = from; i < to; i++) {
    const pos = i % beatsPerBar;
    sum[pos]! += weights.harmony * z.harmony[i]! + weights.section * z.section[i]! + weights.kick * z.kick[i]!;
    snare[pos]! += z.snare[i]!;
    count[pos]!++;
  }
  const mean = (v: Float64Array, p: number): number => (count[p]! > 0 ? v[p]! / count[p]! : 0);
  return Array.from({ length: beatsPerBar }, (_, p) => {
    if (beatsPerBar % 2 === 1) return mean(sum, p);
    let backbeat = 0;
    for (let q = 0; q < beatsPerBar; q++) backbeat += (q % 2 === 1 ? 1 : -1) * mean(snare, (p + q) % beatsPerBar);
    return mean(sum, p) + (weights.snare * backbeat) / (beatsPerBar / 2);
  });
}

export const argmax = (xs: number[]): number => xs.reduce((best, x, i) => (x > xs[best]! ? i : best), 0);

/** Stretches of this many bars vote on the phase for the confidence. */
const VOTE_BARS = 8;

/**
 * How sure the phase is: the beats cut into stretches of `voteBars` bars, each voting for the phase its own evidence
 * prefers with the weight of its margin over its runner-up; the share of those weights that went to `phase`, with one
 * more stretch of average weight counted against it (a clip of one or two stretches has said little). A track of n
 * stretches that all agree gets n / (n + 1); one whose stretches disagree, or say little, about 1/beatsPerBar.
 */
export function phaseConfidence(z: StandardCues, beatsPerBar: number, phase: number, voteBars = VOTE_BARS): number {
  const span = voteBars * beatsPerBar;
  const count = z.harmony.length;
  let agree = 0;
  let total = 0;
  let stretches = 0;
  for (let from = 0; from < count; from += span, stretches++) {
    const scores = phaseScores(z, beatsPerBar, from, Math.min(count, from + span));
    const best = argmax(scores);
    const margin = scores[best]! - Math.max(...scores.filter((_, p) => p !== best));
    total += margin;
    if (best === phase) agree += margin;
  }
  return total > 0 ? agree / (total + total / stretches) : 0;
}

/**
 * Which of every other beat to keep when a tracked tempo is halved (0: the even ones): those the bars start on, chosen
 * as the bar phase is (a bar's first beat and its middle one share a parity, whether the tracked beats are the
 * music's beats or its eighths). Not simply those with the most low end: in a dense mix the snare on 2 and 4 can
 * carry more of it than the kick.
 */
export function halfTimeParity(beats: number[], frames: SpectralFrames): 0 | 1 {
  return (argmax(phaseScores(standardCues(barCues(beats, frames, 4)), 4)) % 2) as 0 | 1;
}

/**
 * essentia.js has no downbeat tracker, so the bar phase is read from what a musician hears start a bar: the harmony
 * and the arrangement changing (chords, bass notes, a section, a crash), the kick, and the backbeat (snare or clap on
 * 2 and 4, never on the one). One phase for the whole track, like its one tempo: the one whose beats carry those cues
 * best over all of it.
 */
export function findDownbeats(beats: number[], frames: SpectralFrames, beatsPerBar = 4): BarGrid {
  let phase = 0;
  let confidence = 0;
  if (beats.length >= beatsPerBar * 2) {
    const z = standardCues(barCues(beats, frames, beatsPerBar));
    phase = argmax(phaseScores(z, beatsPerBar));
    confidence = phaseConfidence(z, beatsPerBar, phase);
  }
  const downbeats: number[] = [];
  const beatPositions: number[] = [];
  beats.forEach((t, i) => {
    const pos = (((i - phase) % beatsPerBar) + beatsPerBar) % beatsPerBar;
    beatPositions.push(pos + 1);
    if (pos === 0) downbeats.push(t);
  });
  return { beatsPerBar, phase, downbeats, beatPositions, confidence: Number(confidence.toFixed(3)) };
}
