import { camelotRelation, HARMONIC_RELATIONS } from '../audio/music/camelot-relation.ts';
import type { HarmonicRelation } from '../audio/music/camelot-relation.ts';
import { tempoMatch } from '../audio/music/tempo-match.ts';
import type { TrackDescriptor } from './track-descriptor.ts';

/** Bump when a feature's meaning, scale or position changes: a model trained on another version is refused. */
export const FEATURE_VERSION = 'pair-features-1';

/**
 * The feature vector of an ordered pair (A plays, then B comes in), in this order. Raw values; the model normalizes
 * them with the constants stored in models/scorer.json.
 */
export const FEATURE_NAMES = [
  'stretchAbsPct', // |tempo change B needs to match A|, in %, after choosing half/double time when closer
  'stretchSignedPct', // the same, signed: + means B is sped up
  'octave', // 1 when B is matched at half or double time
  ...HARMONIC_RELATIONS.map((r) => `key_${r}`), // one-hot Camelot relation
  'keyConfidence', // min key strength of the two: a clash between weak keys matters less
  'clashConfidence', // key_clash × keyConfidence
  'energyOutA', // A's energy over the 8 bars from its mix-out cue
  'energyInB', // B's energy over the 8 bars from its mix-in cue
  'energyStep', // energyInB − energyOutA: a jump from a quiet outro into a loud start is the "roller coaster"
  'loudnessDeltaLu', // B − A integrated loudness
  'brightnessJumpOct', // log2(B brightness / A brightness)
  'brightnessJumpAbsOct',
  'timbreDistance', // Euclidean distance of MFCC means 1..12
  'danceabilityDelta',
  'outroBarsA', // runway A offers to blend over
  'introBarsB', // runway B offers
  'tempoConfidence', // min BPM confidence of the two
] as const;

export const FEATURE_COUNT = FEATURE_NAMES.length;

export interface PairFacts {
  bpmA: number;
  bpmB: number;
  /** B's tempo as it will be matched (half/double time applied). */
  matchedBpmB: number;
  stretchPct: number;
  octave: boolean;
  relation: HarmonicRelation;
  keyConfidence: number;
  energyStep: number;
  brightnessJumpOct: number;
  timbreDistance: number;
  outroBarsA: number;
  introBarsB: number;
}

function timbreDistance(a: number[], b: number[]): number {
  let sum = 0;
  for (let i = 0; i < Math.min(a.length, b.length); i++) sum += (a[i]! - b[i]!) ** 2;
  return Math.sqrt(sum);
}

export function pairFacts(a: TrackDescriptor, b: TrackDescriptor): PairFacts {
  const tempo = tempoMatch(a.bpm, b.bpm);
  return {
    bpmA: a.bpm,
    bpmB: b.bpm,
    matchedBpmB: tempo.matched,
    stretchPct: tempo.stretchPct,
    octave: tempo.octave,
    relation: camelotRelation(a.camelotNumber, a.camelotLetter, b.camelotNumber, b.camelotLetter),
    keyConfidence: Math.min(a.keyStrength, b.keyStrength),
    energyStep: b.energyIn - a.energyOut,
    brightnessJumpOct: Math.log2(Math.max(1, b.brightnessHz) / Math.max(1, a.brightnessHz)),
    timbreDistance: timbreDistance(a.mfcc, b.mfcc),
    outroBarsA: a.outroBars,
    introBarsB: b.introBars,
  };
}

/** Writes the pair's raw features at `out[offset…offset+FEATURE_COUNT)`. Allocation-free: rank() calls it 100,000 times. */
export function writePairFeatures(a: TrackDescriptor, b: TrackDescriptor, out: Float32Array, offset: number): void {
  const f = pairFacts(a, b);
  let i = offset;
  out[i++] = Math.abs(f.stretchPct);
  out[i++] = f.stretchPct;
  out[i++] = f.octave ? 1 : 0;
  for (const r of HARMONIC_RELATIONS) out[i++] = f.relation === r ? 1 : 0;
  out[i++] = f.keyConfidence;
  out[i++] = f.relation === 'clash' ? f.keyConfidence : 0;
  out[i++] = a.energyOut;
  out[i++] = b.energyIn;
  out[i++] = f.energyStep;
  out[i++] = b.loudnessLufs - a.loudnessLufs;
  out[i++] = f.brightnessJumpOct;
  out[i++] = Math.abs(f.brightnessJumpOct);
  out[i++] = f.timbreDistance;
  out[i++] = b.danceability - a.danceability;
  out[i++] = f.outroBarsA;
  out[i++] = f.introBarsB;
  out[i] = Math.min(a.bpmConfidence, b.bpmConfidence);
}
