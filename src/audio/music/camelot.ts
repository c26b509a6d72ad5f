import type { Scale } from '../analysis/analysis-types.ts';

export const PITCH_CLASSES = ['C', 'C#', 'D', 'Eb', 'E', 'F', 'F#', 'G', 'Ab', 'A', 'Bb', 'B'] as const;

const ALIASES: Record<string, number> = {
  C: 0,
  'B#': 0,
  'C#': 1,
  Db: 1,
  D: 2,
  'D#': 3,
  Eb: 3,
  E: 4,
  Fb: 4,
  F: 5,
  'E#': 5,
  'F#': 6,
  Gb: 6,
  G: 7,
  'G#': 8,
  Ab: 8,
  A: 9,
  'A#': 10,
  Bb: 10,
  B: 11,
  Cb: 11,
};

/** Camelot wheel number (1..12) of each major key by pitch class; the relative minor shares the number. */
const MAJOR_NUMBER = [8, 3, 10, 5, 12, 7, 2, 9, 4, 11, 6, 1];

export function pitchClass(name: string): number {
  const pc = ALIASES[name];
  if (pc === undefined) throw new Error(`unknown key name "${name}"`);
  return pc;
}

export function keyName(pc: number): string {
  return PITCH_CLASSES[((pc % 12) + 12) % 12]!;
}

export function camelotCode(key: string, scale: Scale): string {
  const pc = pitchClass(key);
  const relativeMajor = scale === 'major' ? pc : (pc + 3) % 12;
  return `${MAJOR_NUMBER[relativeMajor]}${scale === 'major' ? 'B' : 'A'}`;
}

export function parseCamelot(code: string): { number: number; letter: 'A' | 'B' } {
  const m = /^(1[0-2]|[1-9])([AB])$/.exec(code);
  if (!m) throw new Error(`not a Camelot code: "${code}"`);
  return { number: Number(m[1]), letter: m[2] as 'A' | 'B' };
}
