import { camelotCodeOf } from '../audio/music/camelot-relation.ts';
import type { HarmonicRelation } from '../audio/music/camelot-relation.ts';
import type { PairFacts } from './pair-features.ts';
import type { TrackDescriptor } from './track-descriptor.ts';

const RELATION_TEXT: Record<HarmonicRelation, string> = {
  same: 'same key',
  relative: 'relative major/minor',
  adjacent: 'neighbouring key',
  diagonal: 'diagonal key move',
  boost: 'energy-boost key change',
  clash: 'key clash',
};

const camelot = (d: TrackDescriptor): string => camelotCodeOf(d.camelotNumber, d.camelotLetter);
const signed = (x: number, digits: number): string => `${x >= 0 ? '+' : '−'}${Math.abs(x).toFixed(digits)}`;

/**
 * Why a transition A → B scores as it does, in DJ terms, from the same facts the model reads:
 * e.g. "126→128 BPM (+1.6 %)", "8A→9A (neighbouring key)", "energy +1", "outro 16 bars over intro 16 bars".
 */
export function mixReasons(a: TrackDescriptor, b: TrackDescriptor, f: PairFacts): string[] {
  const tempoChange = (f.bpmB / f.bpmA - 1) * 100;
  const tempo = f.octave
    ? `${f.bpmA.toFixed(0)}→${f.bpmB.toFixed(0)} BPM (${f.matchedBpmB > f.bpmB ? 'double' : 'half'} time, ${signed(-f.stretchPct, 1)} % stretch)`
    : `${f.bpmA.toFixed(0)}→${f.bpmB.toFixed(0)} BPM (${signed(tempoChange, 1)} %)`;
  const reasons = [tempo, `${camelot(a)}→${camelot(b)} (${RELATION_TEXT[f.relation]})`];
  const energySteps = Math.round(f.energyStep * 10);
  reasons.push(energySteps === 0 ? 'same energy' : `energy ${signed(energySteps, 0)}`);
  if (f.outroBarsA > 0 || f.introBarsB > 0) reasons.push(`outro ${f.outroBarsA} bars over intro ${f.introBarsB} bars`);
  else reasons.push('no intro or outro to blend over');
  if (Math.abs(f.brightnessJumpOct) >= 0.5) reasons.push(`${f.brightnessJumpOct > 0 ? 'brighter' : 'darker'} sound`);
  return reasons;
}
