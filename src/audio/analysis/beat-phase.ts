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

/** A cue within this factor of 1 either way says next to nothing about which phase is the beat. */
const UNDECIDED_RATIO = 1.15;
/**
 * The music's first sound is half a beat off the grid when it falls this far (in beats) from the grid's beats. A song
 * starts on a beat (a pickup note under the start level does not count: see first-sound.ts).
 */
const HALF_BEAT_FROM = 0.35;

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

/** Whether no cue prefers either phase by more than UNDECIDED_RATIO. */
function undecided(evidence: BeatPhaseEvidence): boolean {
  return [evidence.kick, evidence.harmony, evidence.snare].every((r) => r < UNDECIDED_RATIO && r > 1 / UNDECIDED_RATIO);
}

/** Where `at` falls between the grid's beats around it, in beats (0: on a beat, 0.5: half-way). */
function beatFraction(beats: number[], at: number): number {
  const next = beats.findIndex((t) => t > at);
  // The beat at or before `at`; the grid's first before its start, its last but one after its end.
  const i = next < 0 ? beats.length - 2 : Math.max(0, next - 1);
  const period = beats[i + 1]! - beats[i]!;
  return ((((at - beats[i]!) / period) % 1) + 1) % 1;
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
 * the grid over the whole song, clearly, the grid moves half a beat. When none of them prefers either phase (a
 * metal song's kicks on every eighth and snare on every off-beat: Metal madness), the music's first sound decides:
 * a song starts on a beat, so a first sound half-way between the grid's beats moves it. Otherwise it stays. Decided
 * once for the song, like the tempo.
 */
export function onBeatPhase(
  grid: BeatGrid,
  frames: SpectralFrames,
  musicStart: number,
  musicEnd: number,
  firstSound: number,
): BeatGrid {
  if (grid.beats.length < MIN_BEATS) return grid;
  const evidence = beatPhaseEvidence(grid.beats, frames);
  const fraction = beatFraction(grid.beats, firstSound);
  const halfBeatOff =
    onOffBeats(evidence) || (undecided(evidence) && fraction >= HALF_BEAT_FROM && fraction <= 1 - HALF_BEAT_FROM);
  if (!halfBeatOff) return grid;
  const period = (grid.beats.at(-1)! - grid.beats[0]!) / (grid.beats.length - 1);
  return { ...grid, beats: shiftHalfBeat(grid.beats, musicStart - period / 2, musicEnd) };
}
