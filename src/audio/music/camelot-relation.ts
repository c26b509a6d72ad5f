import { parseCamelot } from './camelot.ts';

export const HARMONIC_RELATIONS = ['same', 'relative', 'adjacent', 'diagonal', 'boost', 'clash'] as const;
export type HarmonicRelation = (typeof HARMONIC_RELATIONS)[number];

/**
 * How B's key sits against A's on the Camelot wheel: same key; relative major/minor (same number); ±1 step (a fifth);
 * diagonal (±1 and the other letter); the +2 or +7 "energy boost" moves; anything else clashes.
 */
export function camelotRelation(numberA: number, letterA: number, numberB: number, letterB: number): HarmonicRelation {
  const step = (numberB - numberA + 12) % 12;
  const sameLetter = letterA === letterB;
  if (step === 0) return sameLetter ? 'same' : 'relative';
  if (step === 1 || step === 11) return sameLetter ? 'adjacent' : 'diagonal';
  if ((step === 2 || step === 7) && sameLetter) return 'boost';
  return 'clash';
}

/** The same, from two Camelot codes such as "8A" and "9A". */
export function camelotRelationOfCodes(a: string, b: string): HarmonicRelation {
  const ca = parseCamelot(a);
  const cb = parseCamelot(b);
  return camelotRelation(ca.number, ca.letter === 'B' ? 1 : 0, cb.number, cb.letter === 'B' ? 1 : 0);
}

/** "8A" from a wheel number and letter index (0 = A, minor; 1 = B, major). */
export function camelotCodeOf(number: number, letter: number): string {
  return `${number}${letter === 1 ? 'B' : 'A'}`;
}
