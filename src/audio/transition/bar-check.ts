import { barCues } from '../analysis/bar-cues.ts';
import { argmax, phaseConfidence, phaseScores, standardCues } from '../analysis/downbeats.ts';
import { computeSpectralFrames } from '../analysis/spectral-frames.ts';
import { LowpassCascade } from '../dsp/lowpass-cascade.ts';
import { MIX_CHANNELS } from '../io/mix-format.ts';
import { beatsInTransition } from './beat-check.ts';
import type { RenderedDecks } from './beat-check.ts';

/** Where a deck's bars start as heard in the overlap: its downbeats' place in A's bars (0: on A's), and how sure. */
export interface DeckBars {
  phase: number;
  /** The share of the overlap's bars whose evidence agrees (`phaseConfidence`, each bar voting). */
  confidence: number;
  /**
   * How far the heard phase stands above the one the grid gives (A's grid's downbeat; for B, A's downbeat as heard):
   * the per-bar difference of their scores over its standard error (a t statistic; 0 when they are the same phase).
   */
  t: number;
}

export interface BarCheck {
  /** Each deck's bars as heard; absent when the overlap has fewer than MIN_BARS bars of A's grid. */
  a?: DeckBars;
  b?: DeckBars;
  /** Beats from A's downbeats to B's (1..3: B's one on A's beat 2..4) when B's bars were heard clearly apart. */
  offsetBeats?: number;
  /** False when B's downbeats were heard off A's: the transition is re-planned. */
  passed: boolean;
  costMs: number;
}

const BEATS_PER_BAR = 4;
const MIN_BARS = 4;
/**
 * A heard phase overrules the grid's when at least this share of the overlap's evidence agrees on it (each bar voting,
 * `phaseConfidence`) and its advantage over the grid's phase, bar by bar, is at least this many standard errors.
 * Measured on 8-bar stretches at the cues of the real-music and band-music tracks, read as the check reads a deck
 * (bench:real, bars section): on the ears' own bars 6 of 69 read apart (where a track's intro holds a bar of two, or
 * its local cues disagree with its whole-song phase), shifted half a bar 20 of 68 (19 by the right two beats); most
 * intros and outros of kick and hats alone say too little either way.
 */
export const MIN_APART_SHARE = 0.5;
export const MIN_APART_T = 1.5;

/**
 * The cues need nothing above a few kHz nor finer than a tenth of a beat: each deck is read at a quarter of the mix
 * rate, in 85 ms frames every 85 ms (a 32-bar overlap's two decks in ~0.1 s of CPU).
 */
const DECIMATE = 4;
const READ_FRAME = 1024;
const READ_HOP = 1024;
const READ_CUTOFF_HZ = 4500;
/** Frames averaged and filtered at a time (a multiple of DECIMATE). */
const DECIMATE_CHUNK = 4096;

/** `frames` of the deck (`channels` interleaved at `rate`) averaged to one channel, low-passed and decimated. */
function monoDecimated(deck: Float32Array, rate: number, channels: number, frames: number): Float32Array {
  const out = new Float32Array(Math.floor(frames / DECIMATE));
  const lowpass = new LowpassCascade(READ_CUTOFF_HZ, rate);
  const mono = new Float64Array(DECIMATE_CHUNK);
  const low = new Float64Array(DECIMATE_CHUNK);
  const needed = out.length * DECIMATE;
  for (let at = 0; at < needed; at += DECIMATE_CHUNK) {
    const n = Math.min(DECIMATE_CHUNK, needed - at);
    for (let j = 0; j < n; j++) {
      let x = 0;
      for (let c = 0; c < channels; c++) x += deck[(at + j) * channels + c]!;
      mono[j] = x / channels;
    }
    lowpass.run(mono, 0, n, low);
    for (let j = DECIMATE - 1; j < n; j += DECIMATE) out[(at + j + 1) / DECIMATE - 1] = low[j]!;
  }
  return out;
}

/** `phase`'s advantage over `reference`, bar by bar, over its standard error. */
function advantage(perBar: number[][], phase: number, reference: number): number {
  if (phase === reference) return 0;
  const d = perBar.map((s) => s[phase]! - s[reference]!);
  const m = d.reduce((x, y) => x + y, 0) / d.length;
  const sd = Math.sqrt(d.reduce((x, y) => x + (y - m) ** 2, 0) / (d.length - 1));
  return sd > 0 ? (m * Math.sqrt(d.length)) / sd : m > 0 ? Infinity : 0;
}

/** The bar phase a deck's own audio shows on `beats` (whole bars of the shared grid, seconds from the exit). */
export function deckBars(
  deck: Float32Array,
  rate: number,
  channels: number,
  beats: number[],
  reference: (heard: number) => number,
): DeckBars {
  const period = (beats.at(-1)! - beats[0]!) / (beats.length - 1);
  const frames = Math.min(Math.floor(deck.length / channels), Math.ceil((beats.at(-1)! + 2 * period) * rate));
  const spectral = computeSpectralFrames(
    monoDecimated(deck, rate, channels, frames),
    rate / DECIMATE,
    Number.MAX_SAFE_INTEGER,
    READ_FRAME,
    READ_HOP,
  );
  const cues = barCues(beats, spectral, BEATS_PER_BAR);
  // The deck starts on the first beat: its onsets there are the cut's, not the music's.
  cues.kick[0] = NaN;
  cues.snare[0] = NaN;
  const z = standardCues(cues);
  const phase = argmax(phaseScores(z, BEATS_PER_BAR));
  const perBar = Array.from({ length: beats.length / BEATS_PER_BAR }, (_, j) =>
    phaseScores(z, BEATS_PER_BAR, j * BEATS_PER_BAR, (j + 1) * BEATS_PER_BAR),
  );
  const round = (x: number): number => (Number.isFinite(x) ? Number(x.toFixed(3)) : 99);
  return {
    phase,
    confidence: round(phaseConfidence(z, BEATS_PER_BAR, phase, 1)),
    t: round(advantage(perBar, phase, reference(phase))),
  };
}

/**
 * The bar check, after the beat check: on the overlap's whole bars of A's grid, each deck's bar phase as its own audio
 * shows it (the ears' cues: harmony and arrangement changing, kick, backbeat), folded over those bars. B's downbeats
 * must land on A's: on A's as heard where A's audio clearly overrules its grid, else on its grid's. B is apart when
 * its own audio clearly puts its downbeats elsewhere; a deck too plain to say where its bars start (kick and hats
 * alone) is not evidence either way.
 */
export function checkBars(decks: RenderedDecks): BarCheck {
  const t0 = performance.now();
  const { a, b, rate } = decks;
  const grid = beatsInTransition(decks.plan, decks.beatsA, decks.beatsB).a;
  const bars = Math.floor(grid.length / BEATS_PER_BAR);
  if (bars < MIN_BARS) return { passed: true, costMs: performance.now() - t0 };
  const beats = grid.slice(0, bars * BEATS_PER_BAR);
  const heardA = deckBars(a, rate, MIX_CHANNELS, beats, () => 0);
  const overrules = (d: DeckBars): boolean => d.confidence >= MIN_APART_SHARE && d.t >= MIN_APART_T;
  const downbeatA = overrules(heardA) ? heardA.phase : 0;
  const heardB = deckBars(b, rate, MIX_CHANNELS, beats, () => downbeatA);
  const offsetBeats =
    heardB.phase === downbeatA
      ? 0
      : overrules(heardB)
        ? (heardB.phase - downbeatA + BEATS_PER_BAR) % BEATS_PER_BAR
        : undefined;
  return {
    a: heardA,
    b: heardB,
    ...(offsetBeats !== undefined ? { offsetBeats } : {}),
    passed: !offsetBeats,
    costMs: performance.now() - t0,
  };
}
