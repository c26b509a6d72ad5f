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
