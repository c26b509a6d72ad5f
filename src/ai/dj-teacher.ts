import type { HarmonicRelation } from '../audio/music/camelot-relation.ts';
import type { PairFacts } from './pair-features.ts';

/**
 * The DJ-rules teacher: what a working DJ checks before blending A into B, as readable rules. Its score (0..1) labels
 * the training pairs; listener feedback, where there is any, outranks it.
 */

/** Up to 1.5 % of stretch is inaudible; past 8 % a blend sounds wrong (vocals and timbre shift). */
function tempoRule(stretchPct: number, octave: boolean): number {
  const s = Math.abs(stretchPct);
  const fit = Math.min(1, Math.max(0, 1 - (s - 1.5) / 6.5));
  return octave ? 0.85 * fit : fit;
}

const HARMONY: Record<HarmonicRelation, number> = {
  same: 1,
  relative: 0.9,
  adjacent: 0.9,
  boost: 0.75,
  diagonal: 0.65,
  clash: 0.15,
};

/** A clash between two tracks with weak tonal centres (drums, noise) matters less. */
function harmonyRule(relation: HarmonicRelation, keyConfidence: number): number {
  return 1 - (1 - HARMONY[relation]) * Math.min(1, keyConfidence / 0.8);
}

/** Energy should flow: a small step is fine, a jump from a quiet outro into a loud intro is the roller coaster. */
function energyRule(energyStep: number): number {
  return 1 - Math.min(0.8, Math.max(0, Math.abs(energyStep) - 0.2));
}

/** Outro over intro: a blend needs runway on both sides (16 bars each is ideal). */
function structureRule(outroBarsA: number, introBarsB: number): number {
  return 0.6 + 0.2 * Math.min(1, outroBarsA / 16) + 0.2 * Math.min(1, introBarsB / 16);
}

/** Very different sounds (MFCC distance) make a blend muddy. */
function timbreRule(distance: number): number {
  return 1 - 0.3 * Math.min(1, Math.max(0, (distance - 25) / 50));
}

export function teacherScore(f: PairFacts): number {
  return (
    tempoRule(f.stretchPct, f.octave) *
    harmonyRule(f.relation, f.keyConfidence) *
    energyRule(f.energyStep) *
    structureRule(f.outroBarsA, f.introBarsB) *
    timbreRule(f.timbreDistance)
  );
}

/** The teacher's verdict used as a binary label (for AUC): a mix a DJ would do. */
export const TEACHER_GOOD = 0.5;
