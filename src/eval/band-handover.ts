import { Biquad } from '../audio/dsp/biquad.ts';
import { MIX_RATE } from '../audio/io/mix-format.ts';
import { toMono } from '../audio/io/pcm.ts';
import { median } from '../audio/dsp/stats.ts';
import type { PlannedTrack, TransitionPlan } from '../audio/transition/transition-plan.ts';
import { lowBand } from '../audio/analysis/fine-onsets.ts';

/**
 * The bands measured, each well inside one of the mixer EQ's (split at 200 Hz and 2.5 kHz): kick and bass under
 * 100 Hz; the harmony (chords, pads, leads) between 400 Hz and 1.6 kHz.
 */
export type HandoverBand = 'bass' | 'mids';
/** Half amplitude: a band above it is still "in". */
const IN_DB = -6;
/** Windows where a deck's own band is this far under its median are not judged (nothing there to hand over). */
const FLOOR_DB = -40;

export interface BandHandover {
  index: number;
  band: HandoverBand;
  /** Time (s) within the overlap during which both decks' band is above half its full level. */
  bothInSec: number;
  /** Where B's band overtakes A's, in beats of A from A's nearest phrase boundary (negative: before it). */
  crossoverBeats: number;
  /** Windows of ⅛ beat judged (both decks with something in the band). */
  windows: number;
}

/** One deck of a transition from A's exit, stereo: as the set plays it (`eq`) and with its EQ open (`open`). */
export interface DeckTakes {
  eq: Float32Array;
  open: Float32Array;
}

function bandOf(mono: Float32Array, band: HandoverBand): Float32Array {
  if (band === 'bass') return lowBand(mono, MIX_RATE, 100);
  const filters = [
    Biquad.highpass(400, MIX_RATE),
    Biquad.highpass(400, MIX_RATE),
    Biquad.lowpass(1600, MIX_RATE),
    Biquad.lowpass(1600, MIX_RATE),
  ];
  return mono.map((x) => filters.reduce((v, f) => f.process(v), x));
}

function windowDb(x: Float32Array, from: number, to: number): number {
  let e = 0;
  for (let i = from; i < to; i++) e += x[i]! * x[i]!;
  return 10 * Math.log10(e / (to - from) + 1e-30);
}

/**
 * How a band passes from A to B in a beat-matched transition, measured on the rendered decks: each deck's gain in
 * the band (the band as played over the band with the EQ open), ⅛ beat at a time through the overlap. "Never two
 * basslines at full level": with a one-beat equal-power swap both are above half level for a third of a beat. A
 * filter fade keeps two clashing harmonies apart: their mids should barely meet.
 */
export function measureBandHandover(
  index: number,
  band: HandoverBand,
  plan: TransitionPlan,
  a: PlannedTrack,
  deckA: DeckTakes,
  deckB: DeckTakes,
): BandHandover {
  const frames = Math.round(plan.overlapSec * MIX_RATE);
  const take = (stereo: Float32Array) => bandOf(toMono(stereo.subarray(0, frames * 2), 2), band);
  const [eqA, openA, eqB, openB] = [take(deckA.eq), take(deckA.open), take(deckB.eq), take(deckB.open)];
  const beatSec = 60 / a.analysis.bpm;
  const step = Math.round((beatSec / 8) * MIX_RATE);
  const levels: { t: number; refA: number; refB: number; gA: number; gB: number }[] = [];
  for (let f = 0; f + step <= frames; f += step) {
    const refA = windowDb(openA, f, f + step);
    const refB = windowDb(openB, f, f + step);
    levels.push({
      t: (f + step / 2) / MIX_RATE,
      refA,
      refB,
      gA: windowDb(eqA, f, f + step) - refA,
      gB: windowDb(eqB, f, f + step) - refB,
    });
  }
  const floorA = median(levels.map((l) => l.refA)) + FLOOR_DB;
  const floorB = median(levels.map((l) => l.refB)) + FLOOR_DB;
  const judged = levels.filter((l) => l.refA > floorA && l.refB > floorB);
  const bothInSec = judged.filter((l) => l.gA > IN_DB && l.gB > IN_DB).length * (step / MIX_RATE);
  // The crossover: the first judged window where B's band is above A's, interpolated with the window before it.
  const k = judged.findIndex((l) => l.gB >= l.gA);
  let crossover = Number.NaN;
  if (k > 0) {
    const [p, q] = [judged[k - 1]!, judged[k]!];
    const dp = p.gA - p.gB;
    const dq = q.gA - q.gB;
    crossover = p.t + ((q.t - p.t) * dp) / (dp - dq);
  }
  const at = plan.exitSec + crossover;
  const phrase = a.analysis.phrases.reduce((best, x) => (Math.abs(x - at) < Math.abs(best - at) ? x : best), Infinity);
  return { index, band, bothInSec, crossoverBeats: (at - phrase) / beatSec, windows: judged.length };
}
