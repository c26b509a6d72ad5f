import type { BeatGrid } from './beat-grid.ts';
import { cosineDistance, spanFeatures } from './beat-sync.ts';
import type { SpectralFrames } from './spectral-frames.ts';

/** How much more of each cue the beats carry than the points half a beat after them (1: as much; below 1: less). */
export interface BeatPhaseEvidence {
  /** Low-band (kick and bass) onsets. */
  kick: number;
  /** The harmony changing: chroma over the half beat after a point against the half beat before it. */
  harmony: number;
  /** Middle-band onsets: the snare's backbeat, and the chords struck. */
  snare: number;
}

/** Fewer beats say too little about the whole song. */
const MIN_BEATS = 16;
/**
 * The grid moves half a beat only when every cue prefers the half-beats, and together by at least this (the sum of
 * their logs). Measured on the beats before the move: Escape from chaosland -0.48 (kick 0.83, harmony 0.77, snare
 * 0.97); every other song, released track and clip with 16 beats or more has a cue on its beats (most often the
 * backbeat) or sums above -0.11 (win_theme -0.10, SkyVibe -0.06).
 */
const MIN_LOG_MARGIN = 0.3;

const ratio = (on: number, off: number): number => (off > 0 ? on / off : on > 0 ? Infinity : 1);

/** Mean of the values at even (on-beat) and odd (half-beat) indices, skipping NaN. */
function evenOdd(values: number[]): [number, number] {
  const sum = [0, 0];
  const count = [0, 0];
  values.forEach((v, i) => {
    if (Number.isNaN(v)) return;
    sum[i % 2]! += v;
    count[i % 2]!++;
  });
  return [sum[0]! / Math.max(1, count[0]!), sum[1]! / Math.max(1, count[1]!)];
}

/** The cues on the beats against the cues half a beat after them, over the whole track. */
function beatPhaseEvidence(beats: number[], frames: SpectralFrames): BeatPhaseEvidence {
  const period = (beats.at(-1)! - beats[0]!) / (beats.length - 1);
  const edges = beats.flatMap((t, i) => [t, (t + (beats[i + 1] ?? t + period)) / 2]);
  edges.push(beats.at(-1)! + period);
  const halves = spanFeatures(frames, edges);
  const novelty = halves.chroma.map((after, k) => (k === 0 ? NaN : cosineDistance(halves.chroma[k - 1]!, after)));
  const [kickOn, kickOff] = evenOdd(halves.attackLowFlux);
  const [harmonyOn, harmonyOff] = evenOdd(novelty);
  const [snareOn, snareOff] = evenOdd(halves.attackMidFlux);
  return { kick: ratio(kickOn, kickOff), harmony: ratio(harmonyOn, harmonyOff), snare: ratio(snareOn, snareOff) };
}

/** Whether the evidence says the beats are the off-beats. */
function onOffBeats(evidence: BeatPhaseEvidence): boolean {
  const cues = [evidence.kick, evidence.harmony, evidence.snare];
  return cues.every((r) => r < 1) && cues.reduce((s, r) => s + Math.log(r), 0) < -MIN_LOG_MARGIN;
}

/** The beats half a beat later: the midpoints, the first one half a beat before the old first if that is in the music. */
function shiftHalfBeat(beats: number[], from: number, to: number): number[] {
  const round = (t: number): number => Number(t.toFixed(4));
  const out = beats.slice(1).map((t, i) => round((beats[i]! + t) / 2));
  const first = beats[0]! - (beats[1]! - beats[0]!) / 2;
  if (first >= from) out.unshift(round(first));
  const last = beats.at(-1)! + (beats.at(-1)! - beats.at(-2)!) / 2;
  if (last <= to) out.push(round(last));
  return out;
}

/**
 * The beat on the phase a musician hears as the beat. A tracker can follow a band's off-beats for most of a song
 * (degara put 55 % of its ticks half a beat off on Escape from chaosland, 40 % on the beat), and the grid takes its
 * majority. The kick, the chord changes and the backbeat land on the beats, so when all three fall half a beat off
 * the grid over the whole song, clearly, the grid moves half a beat; otherwise it stays. Decided once for the song,
 * like the tempo.
 */
export function onBeatPhase(grid: BeatGrid, frames: SpectralFrames, musicStart: number, musicEnd: number): BeatGrid {
  if (grid.beats.length < MIN_BEATS || !onOffBeats(beatPhaseEvidence(grid.beats, frames))) return grid;
  const period = (grid.beats.at(-1)! - grid.beats[0]!) / (grid.beats.length - 1);
  return { ...grid, beats: shiftHalfBeat(grid.beats, musicStart - period / 2, musicEnd) };
}
