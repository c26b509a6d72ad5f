import { cosineDistance, spanFeatures } from './beat-sync.ts';
import type { SpectralFrames } from './spectral-frames.ts';
import { standardizeDefined } from '../dsp/stats.ts';

/**
 * Per beat, the evidence a musician hears that a bar starts there (NaN where a window does not fit in the track).
 * Larger is more bar-start-like for every cue but `snare`, which marks the backbeat.
 */
export interface BarCues {
  /** The harmony changing: the chords (chroma) after the beat against those before it, over a quarter, half and whole bar. */
  harmony: number[];
  /** The arrangement changing: the levels of the low, middle and high bands over the bar after against the bar before. */
  section: number[];
  /** Bass/kick onset on the beat. */
  kick: number[];
  /** Onsets in the middle band on the beat: snare and clap, the backbeat, on 2 and 4 (never on the one). */
  snare: number[];
}

/** Harmony is compared over windows of these fractions of a bar: short ones place a change, long ones see chords. */
const HARMONY_WINDOWS = [0.25, 0.5, 1];

/** Running sums of per-span values, so any window's total is one subtraction. */
function prefixSums(values: number[]): Float64Array {
  const out = new Float64Array(values.length + 1);
  for (let i = 0; i < values.length; i++) out[i + 1] = out[i]! + values[i]!;
  return out;
}

type Span = [from: number, to: number];

/**
 * Windows of `halves` half beats either side of each half-beat boundary, compared by `distance`. Half beats, because
 * chords and sections in rock, pop and funk often change on the eighth before the one (an anticipation, "the push"):
 * such a bar's change is credited to the one it leads into. A beat's value is the larger of the boundary at the beat
 * and the one half a beat before it.
 */
function boundaryNovelty(beats: number, halves: number, distance: (before: Span, after: Span) => number): number[] {
  const at = (k: number): number =>
    k < halves || k + halves > 2 * beats ? NaN : distance([k - halves, k], [k, k + halves]);
  return Array.from({ length: beats }, (_, i) => {
    const onBeat = at(2 * i);
    const before = at(2 * i - 1);
    if (Number.isNaN(onBeat)) return before;
    return Number.isNaN(before) ? onBeat : Math.max(onBeat, before);
  });
}

/** The mean of several series, each standardized first (NaN where none is defined). */
function meanOfStandardized(series: number[][]): number[] {
  const z = series.map(standardizeDefined);
  return z[0]!.map((_, i) => {
    const defined = z.map((v) => v[i]!).filter(Number.isFinite);
    return defined.length ? defined.reduce((a, b) => a + b, 0) / defined.length : NaN;
  });
}

/** The cues at `beats` (a grid of at least two beats), the windows measured in bars of `beatsPerBar` beats. */
export function barCues(beats: number[], frames: SpectralFrames, beatsPerBar: number): BarCues {
  const period = (beats.at(-1)! - beats[0]!) / (beats.length - 1);
  const beatEdges = [...beats, beats.at(-1)! + period];
  const halfEdges = beats.flatMap((t, i) => [t, (t + beatEdges[i + 1]!) / 2]);
  halfEdges.push(beatEdges.at(-1)!);
  const halves = spanFeatures(frames, halfEdges);
  const chroma = Array.from({ length: 12 }, (_, c) => prefixSums(halves.chroma.map((v) => v[c]!)));
  const chromaOf = ([a, b]: Span): Float64Array => Float64Array.from(chroma, (p) => p[b]! - p[a]!);
  const bands = [halves.low, halves.mid, halves.high].map(prefixSums);
  const levelOf = (p: Float64Array, [a, b]: Span): number => Math.log10((p[b]! - p[a]!) / (b - a) + 1e-9);
  const halvesIn = (bars: number): number => Math.max(1, Math.round(2 * bars * beatsPerBar));
  const onBeats = spanFeatures(frames, beatEdges);
  return {
    harmony: meanOfStandardized(
      HARMONY_WINDOWS.map((w) =>
        boundaryNovelty(beats.length, halvesIn(w), (x, y) => cosineDistance(chromaOf(x), chromaOf(y))),
      ),
    ),
    section: boundaryNovelty(beats.length, halvesIn(1), (x, y) =>
      bands.reduce((s, p) => s + Math.abs(levelOf(p, y) - levelOf(p, x)), 0),
    ),
    kick: onBeats.attackLowFlux,
    snare: onBeats.attackMidFlux,
  };
}
