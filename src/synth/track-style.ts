/** The seeded musical choices that make one generated track differ from another. */
import type { Scale } from '../audio/analysis/analysis-types.ts';
import { chordSymbol, diatonicChord, placeInOctave, voiceProgression } from './music-theory.ts';
import type { Rng } from '../util/prng.ts';

export type BassPattern = 'offbeat' | 'offbeat-octave' | 'rolling';
export type HatStyle = 'closed' | 'open-offbeat';

/** One lead note of a two-bar motif, on a 16th-note grid. */
export interface MotifNote {
  /** 16th step within the two bars, 0..31. */
  step: number;
  /** Length in 16ths. */
  steps: number;
  /** Scale degree relative to the tonic (0 = tonic, 7 = octave above); on strong steps the lead moves it to the nearest chord tone. */
  degree: number;
  velocity: number;
}

export interface TrackStyle {
  tonicPc: number;
  scale: Scale;
  /** Scale degree of each chord in the loop (0 = tonic); one chord per bar. */
  progression: number[];
  chordSize: 3 | 4;
  /** MIDI notes of each chord in the loop. */
  voicings: number[][];
  /** A tonic held through every chord (a pedal tone), as MIDI; it anchors the key as pedals do in trance. */
  pedal: number;
  chordSymbols: string[];
  bassPattern: BassPattern;
  hatStyle: HatStyle;
  /** Lowest MIDI note the bass root may take (the root is placed within one octave above it). */
  bassLow: number;
  /** MIDI note of the tonic in the lead's register. */
  leadTonic: number;
  motif: MotifNote[];
  /** Per-16th accent of the shaker in one beat. */
  shakerAccents: number[];
}

const MINOR_PROGRESSIONS = [
  { value: [0, 5, 2, 6], weight: 3 }, // i–VI–III–VII
  { value: [0, 3, 5, 6], weight: 2 }, // i–iv–VI–VII
  { value: [0, 6, 5, 6], weight: 1 }, // i–VII–VI–VII
  { value: [0, 5, 3, 4], weight: 1 }, // i–VI–iv–v
];

const MAJOR_PROGRESSIONS = [
  { value: [0, 4, 5, 3], weight: 3 }, // I–V–vi–IV
  { value: [0, 5, 3, 4], weight: 2 }, // I–vi–IV–V
  { value: [0, 3, 5, 4], weight: 1 }, // I–IV–vi–V
  { value: [0, 3, 0, 4], weight: 1 }, // I–IV–I–V
];

/** Degrees a melody gravitates to: tonic, fifth, octave. */
const HOMES = [0, 4, 7];

function nearestHome(degree: number): number {
  let best = HOMES[0]!;
  for (const h of HOMES) if (Math.abs(h - degree) < Math.abs(best - degree)) best = h;
  return best;
}

/**
 * A two-bar motif that lives around the tonic: it starts on the tonic, fifth or octave, walks
 * the scale mostly in steps, and comes home to the tonic on its last note, as hooks do.
 */
function makeMotif(rng: Rng): MotifNote[] {
  const onsets: number[] = [0];
  for (let step = 1; step < 32; step++) {
    const p = step % 4 === 0 ? 0.5 : step % 2 === 0 ? 0.4 : 0.12;
    if (rng.chance(p)) onsets.push(step);
  }
  // Keep it busy enough to be a hook; fill empty beats from the front.
  for (let step = 4; onsets.length < 7 && step < 32; step += 4) if (!onsets.includes(step)) onsets.push(step);
  onsets.sort((a, b) => a - b);

  const notes: MotifNote[] = [];
  let degree = rng.pick([0, 4, 7]);
  for (let i = 0; i < onsets.length; i++) {
    const step = onsets[i]!;
    const next = onsets[i + 1] ?? 32;
    if (i === onsets.length - 1) degree = degree > 3 ? 7 : 0;
    else if (i > 0 && rng.chance(0.3)) degree = nearestHome(degree);
    else if (i > 0) {
      let step = rng.pick([-2, -1, -1, 1, 1, 2]);
      if (degree + step > 9 || degree + step < -3) step = -step;
      degree += step;
    }
    notes.push({
      step,
      steps: Math.min(next - step, 4),
      degree,
      velocity: step % 4 === 0 ? 1 : rng.range(0.7, 0.9),
    });
  }
  return notes;
}

export function chooseTrackStyle(tonicPc: number, scale: Scale, rng: Rng): TrackStyle {
  const progression = rng.weighted(scale === 'minor' ? MINOR_PROGRESSIONS : MAJOR_PROGRESSIONS);
  const chordSize: 3 | 4 = rng.chance(0.35) ? 4 : 3;
  const chords = progression.map((degree) => diatonicChord(scale, degree, chordSize));
  const shakerAccents = [rng.range(0.5, 0.7), rng.range(0.3, 0.5), rng.range(0.8, 1), rng.range(0.3, 0.5)];
  return {
    tonicPc,
    scale,
    progression,
    chordSize,
    voicings: voiceProgression(chords, tonicPc),
    pedal: placeInOctave(tonicPc, 64),
    chordSymbols: progression.map((degree) => chordSymbol(tonicPc, scale, degree, chordSize)),
    bassPattern: rng.weighted<BassPattern>([
      { value: 'offbeat', weight: 2 },
      { value: 'offbeat-octave', weight: 1 },
      { value: 'rolling', weight: 2 },
    ]),
    hatStyle: rng.chance(0.5) ? 'closed' : 'open-offbeat',
    bassLow: 28, // E1: roots sit between E1 and D#2 (41–78 Hz)
    leadTonic: placeInOctave(tonicPc, 62),
    motif: makeMotif(rng),
    shakerAccents,
  };
}
