import { camelotRelationOfCodes } from '../music/camelot-relation.ts';
import type { HarmonicRelation } from '../music/camelot-relation.ts';
import { tempoMatch } from '../music/tempo-match.ts';
import type { Segment, TrackAnalysis } from '../analysis/analysis-types.ts';
import { tempoRamp } from './tempo-schedule.ts';
import type { TempoSchedule } from './tempo-schedule.ts';

export type TransitionStyle = 'blend' | 'filter-fade' | 'echo-out' | 'cut';

export interface PlannedTrack {
  id: string;
  file: string;
  title: string;
  analysis: TrackAnalysis;
}

export interface TransitionPlan {
  style: TransitionStyle;
  /** A's exit: track time (s) of the downbeat where the transition starts, and its bar. */
  exitSec: number;
  exitBar: number;
  /** B's entry: track time of the downbeat that lands on A's exit downbeat. */
  entrySec: number;
  entryBar: number;
  overlapBars: number;
  /** Seconds the overlap lasts in the set (A's bars at A's tempo). */
  overlapSec: number;
  /** B's tempo factor during the overlap (1 = untouched); the ramp brings it back to 1. */
  tempo: number;
  stretchPct: number;
  octave: boolean;
  rampBars: number;
  /** B's tempo changes in B's own time: the overlap at `tempo`, then a beat-by-beat ramp to 1. */
  schedule: TempoSchedule;
  relation: HarmonicRelation;
  /** Bar within the overlap where the basslines have swapped (a phrase boundary: B's bass is full on its downbeat). */
  bassSwapBar: number;
  explanation: string;
}

const MAX_BLEND_STRETCH_PCT = 6;
/** Below this the beat grid is a tracked, drifting one (a live recording): a fixed stretch cannot hold it in phase. */
const MIN_GRID_CONFIDENCE = 0.75;
/**
 * Above this the kick attacks wander about the grid (played by hand): laid over another track they flam. Measured
 * (`beatJitterMs`, kick attacks only): released machine-timed tracks (../shared/real-music, fold sharpness >= 10)
 * 0.2-3.0 ms on the 28 of 33 the whole-track fit vouches for, the techno loop 0.01; live recordings 3.8-14 ms, the one
 * under 4 (a country clip, 2.7) on a grid too short for the fit to vouch for (confidence 0.7).
 */
export const MAX_BLEND_JITTER_MS = 4;
const MAX_SHORT_BLEND_STRETCH_PCT = 8;

/** A grid steady and tight enough to hold two tracks' beats together. */
function beatMatchable(a: TrackAnalysis): boolean {
  return a.bpmConfidence >= MIN_GRID_CONFIDENCE && a.beatJitterMs <= MAX_BLEND_JITTER_MS;
}

function barOf(downbeats: number[], t: number): number {
  let best = 0;
  for (let i = 0; i < downbeats.length; i++) if (Math.abs(downbeats[i]! - t) < Math.abs(downbeats[best]! - t)) best = i;
  return best;
}

function labelAt(segments: Segment[], bar: number): Segment['label'] | undefined {
  return segments.find((s) => bar >= s.startBar && bar < s.endBar)?.label;
}

/** Bars of A from its exit to its last bar, and of B from its entry until its first drop (the runway each offers). */
function runway(a: TrackAnalysis, exitBar: number, b: TrackAnalysis, entryBar: number): { aBars: number; bBars: number } {
  const aBars = a.downbeats.length - exitBar;
  const firstDrop = b.segments.find((s) => s.label === 'drop' && s.startBar >= entryBar);
  const bBars = (firstDrop?.startBar ?? b.downbeats.length) - entryBar;
  return { aBars, bBars };
}

/** What a re-plan asks of the planner once the beat check has measured a render (`checked-render.ts`). */
export interface PlanLimits {
  /** The longest beat-matched overlap allowed (bars of A). */
  maxOverlapBars?: number;
  /** Not beat-matched at all: an echo-out, for this reason. */
  echoOutBecause?: string;
}

/**
 * How A hands over to B. Outro over intro on phrase boundaries; the overlap is the longest of 32, 16 or 8 bars that
 * both runways allow and that never lays a drop over a drop; the style follows what makes a blend sound bad:
 * too far apart in tempo for a clean stretch (echo-out), clashing keys (a short filter fade that keeps the two
 * harmonies apart), no runway at all (a cut on the downbeat).
 */
export function planTransition(from: PlannedTrack, to: PlannedTrack, limits: PlanLimits = {}): TransitionPlan {
  const a = from.analysis;
  const b = to.analysis;
  const exitBar = barOf(a.downbeats, a.cues.mixOut);
  const entryBar = barOf(b.downbeats, b.cues.mixIn);
  const relation = camelotRelationOfCodes(a.camelot, b.camelot);
  const match = tempoMatch(a.bpm, b.bpm);
  const stretch = Math.abs(match.stretchPct);
  const keysMatter = Math.min(a.keyStrength, b.keyStrength) >= 0.6;
  const { aBars, bBars: bOwnBars } = runway(a, exitBar, b, entryBar);
  // B's bars per bar of A once matched: 2 when B runs at double time, ½ at half time (the overlap is counted in A's).
  const bPerA = b.bpm / match.matched;
  const bBars = bOwnBars / bPerA;

  // Phrase-length overlaps; a track too short for even 8 bars (a clip, a sketch) gets a 4-bar one.
  let overlapBars = [32, 16, 8, 4].find((n) => n <= aBars && n <= Math.max(bBars, 8) && n <= (limits.maxOverlapBars ?? Infinity)) ?? 0;
  // A track that is one level throughout (most non-electronic music) has a main section, not drops to protect.
  const hasDrops = (t: TrackAnalysis): boolean => t.segments.some((s) => s.label === 'drop') && t.segments.some((s) => s.label !== 'drop');
  const dropOverDrop = (bars: number): boolean =>
    hasDrops(a) &&
    hasDrops(b) &&
    Array.from({ length: bars }, (_, i) => labelAt(a.segments, exitBar + i) === 'drop').some(Boolean) &&
    Array.from({ length: Math.ceil(bars * bPerA) }, (_, i) => labelAt(b.segments, entryBar + i) === 'drop').some(Boolean);
  // Never a drop over a drop: shorten the overlap until it no longer lays one drop over the other.
  while (overlapBars > 4 && dropOverDrop(overlapBars)) overlapBars /= 2;
  const clashingDrops = overlapBars > 0 && dropOverDrop(overlapBars);

  let style: TransitionStyle;
  const reasons: string[] = [];
  if (overlapBars === 0 || a.beats.length < 8 || b.beats.length < 8) {
    style = 'cut';
    reasons.push('no runway to blend over, so a cut on the downbeat');
  } else if (clashingDrops) {
    style = 'cut';
    reasons.push('any overlap here would lay a drop over a drop, so a cut on the downbeat');
  } else if (limits.echoOutBecause) {
    style = 'echo-out';
    reasons.push(limits.echoOutBecause);
  } else if (!beatMatchable(a) || !beatMatchable(b)) {
    style = 'echo-out';
    const byHand = beatMatchable(a) ? to.title : from.title;
    reasons.push(`the beats of ${byHand} are played by hand (they drift or stray from any grid): beat-matching them would flam, so A echoes out and B starts on the downbeat`);
  } else if (stretch > MAX_SHORT_BLEND_STRETCH_PCT) {
    style = 'echo-out';
    reasons.push(`tempi ${a.bpm.toFixed(1)} and ${b.bpm.toFixed(1)} BPM are ${stretch.toFixed(1)} % apart: too far to stretch cleanly, so A echoes out and B starts on the downbeat`);
  } else if (relation === 'clash' && keysMatter) {
    style = 'filter-fade';
    overlapBars = Math.min(overlapBars, 8);
    reasons.push(`${a.camelot} and ${b.camelot} clash: a short filter fade keeps the two harmonies from sounding together`);
  } else if (stretch > MAX_BLEND_STRETCH_PCT) {
    style = 'filter-fade';
    overlapBars = Math.min(overlapBars, 8);
    reasons.push(`a ${stretch.toFixed(1)} % stretch is audible over a long blend, so a short filter fade`);
  } else {
    style = 'blend';
    const octave = match.octave ? ` at ${bPerA > 1 ? 'double' : 'half'} time` : '';
    reasons.push(`${overlapBars}-bar EQ blend: ${a.camelot}→${b.camelot} (${relation}), B stretched ${match.stretchPct >= 0 ? '+' : ''}${match.stretchPct.toFixed(1)} %${octave}`);
  }

  const beatSecA = 60 / a.bpm;
  const beatSecB = 60 / b.bpm;
  const beatMatched = style === 'blend' || style === 'filter-fade';
  const tempo = beatMatched ? a.bpm / match.matched : 1;
  if (!beatMatched) overlapBars = style === 'echo-out' ? 4 : 0;
  const overlapSec = overlapBars * 4 * beatSecA;
  const entrySec = b.downbeats[entryBar]!;
  // Ramp back to B's own tempo, one small step per beat: 8 bars, or 16 when the stretch is over 3 %.
  // A clip too short for the whole ramp ramps over what it has (the steps stay well under 1.5 % per beat).
  const barsAfterOverlap = b.downbeats.length - entryBar - Math.round(overlapBars * bPerA) - 1;
  const rampBars = beatMatched && Math.abs(tempo - 1) > 1e-4 ? Math.max(2, Math.min(Math.abs(tempo - 1) > 0.03 ? 16 : 8, barsAfterOverlap)) : 0;
  // B consumes `tempo` seconds of its own time per second of the set.
  const overlapInputSec = overlapSec * tempo;
  const schedule: TempoSchedule = beatMatched && rampBars > 0
    ? [{ atSec: entrySec, tempo }, ...tempoRamp(entrySec + overlapInputSec, beatSecB, rampBars * 4, tempo, 1)]
    : [];
  if (rampBars > 0) reasons.push(`then B ramps back to ${b.bpm.toFixed(1)} BPM over ${rampBars} bars`);
  return {
    style,
    exitSec: a.downbeats[exitBar]!,
    exitBar,
    entrySec,
    entryBar,
    overlapBars,
    overlapSec,
    tempo,
    stretchPct: (tempo - 1) * 100,
    octave: beatMatched && match.octave,
    rampBars,
    schedule,
    relation,
    // A phrase boundary: the middle one of a 16- or 32-bar overlap; an 8-bar overlap has none inside it, so its
    // basses swap where it ends (B's bass arriving with the next phrase, often B's first drop).
    bassSwapBar: overlapBars >= 2 * a.phraseBars ? overlapBars / 2 : overlapBars,
    explanation: reasons.join('; '),
  };
}
