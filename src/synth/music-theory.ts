/** Scales, diatonic chords and voicings, all in semitones above the tonic or MIDI notes. */
import type { Scale } from '../audio/analysis/analysis-types.ts';
import { keyName } from '../audio/music/camelot.ts';

const SCALE_STEPS: Record<Scale, readonly number[]> = {
  major: [0, 2, 4, 5, 7, 9, 11],
  minor: [0, 2, 3, 5, 7, 8, 10], // natural minor
};

/** Semitones above the tonic of a scale degree (0 = tonic); any integer degree, wrapping by octaves. */
export function degreeSemitones(scale: Scale, degree: number): number {
  const octave = Math.floor(degree / 7);
  return SCALE_STEPS[scale][degree - octave * 7]! + 12 * octave;
}

export function midiToHz(midi: number): number {
  return 440 * Math.pow(2, (midi - 69) / 12);
}

/** The MIDI note of pitch class `pc` in [low, low + 12). */
export function placeInOctave(pc: number, low: number): number {
  return low + ((((pc - low) % 12) + 12) % 12);
}

/** Diatonic chord on a scale degree, stacked in thirds, as ascending semitones above the tonic. */
export function diatonicChord(scale: Scale, degree: number, size: 3 | 4): number[] {
  const notes: number[] = [];
  for (let i = 0; i < size; i++) notes.push(degreeSemitones(scale, degree + 2 * i));
  return notes;
}

/** Chord symbol such as "Am", "F", "Cmaj7", "G7" or "Bm7b5". */
export function chordSymbol(tonicPc: number, scale: Scale, degree: number, size: 3 | 4): string {
  const [root, third, fifth, seventh] = diatonicChord(scale, degree, size) as [number, number, number, number?];
  const name = keyName(tonicPc + root);
  const minorThird = third - root === 3;
  const diminished = fifth - root === 6;
  if (seventh === undefined) return name + (diminished ? 'dim' : minorThird ? 'm' : '');
  const majorSeventh = seventh - root === 11;
  if (diminished) return `${name}m7b5`;
  if (minorThird) return `${name}m7`;
  return name + (majorSeventh ? 'maj7' : '7');
}

/** Lowest note a chord voicing may use: E3, so pads stay clear of the bass region below ~160 Hz. */
const VOICING_LOW = 52;
const VOICING_CENTRE = 64;

function candidateVoicings(chord: readonly number[], tonicPc: number): number[][] {
  const candidates: number[][] = [];
  for (let inversion = 0; inversion < chord.length; inversion++) {
    const notes: number[] = [];
    for (let i = 0; i < chord.length; i++) {
      const pc = tonicPc + chord[(inversion + i) % chord.length]!;
      const prev = notes[notes.length - 1];
      notes.push(prev === undefined ? placeInOctave(pc, VOICING_LOW) : placeInOctave(pc, prev + 1));
    }
    candidates.push(notes);
  }
  return candidates;
}

function voicingCost(notes: readonly number[], previous: readonly number[] | undefined): number {
  let centre = 0;
  for (const n of notes) centre += n;
  centre /= notes.length;
  let cost = Math.abs(centre - VOICING_CENTRE) * 0.5;
  if (previous) {
    // Voice leading: each voice moves as little as possible.
    for (let i = 0; i < notes.length; i++)
      cost += Math.abs(notes[i]! - (previous[i] ?? previous[previous.length - 1]!));
  }
  return cost;
}

/**
 * MIDI voicings for a looping progression (chords as semitones above the tonic), chosen for
 * smooth voice leading. The loop is voiced twice so the first chord also leads from the last.
 */
export function voiceProgression(chords: readonly (readonly number[])[], tonicPc: number): number[][] {
  const result: number[][] = [];
  let previous: number[] | undefined;
  for (let pass = 0; pass < 2; pass++) {
    for (let i = 0; i < chords.length; i++) {
      let best: number[] | undefined;
      let bestCost = Infinity;
      for (const candidate of candidateVoicings(chords[i]!, tonicPc)) {
        const cost = voicingCost(candidate, previous);
        if (cost < bestCost) {
          bestCost = cost;
          best = candidate;
        }
      }
      previous = best!;
      if (pass === 1) result.push(best!);
    }
  }
  return result;
}
