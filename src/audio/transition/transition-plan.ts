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
  /**
   * Set when the transition planned could not be played and a cut stands in for it: it was not rendered in time, A
   * could not be played on, or A ended before a downbeat to leave on.
   */
  fallback?: 'not-rendered' | 'track-lost' | 'track-ended';
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
  /** Either track's bar phase was unsure (`MIN_BAR_PHASE_CONFIDENCE`), so the overlap was kept short. */
  barPhaseUnsure?: boolean;
  /** Whole songs: the basslines swap on B's entry downbeat (bassSwapBar 0), so B is heard from its first beat. */
  bassOnEntry?: true;
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
/**
 * Below this the ears are unsure where a track's bars start (`barPhaseConfidence`: the share of its evidence that
 * agrees): a phrase-long blend could lay B's one on A's three. Measured: 0.68–0.92 on the synthesized set (every phase
 * right); 0.36 and 0.46 on the two songs of ../shared/band-music whose bars are weakly marked (right, by a small
 * margin), 0.91 and 0.92 on the other two; 8 of the 34 released tracks of ../shared/real-music under it.
 */
export const MIN_BAR_PHASE_CONFIDENCE = 0.5;
/** The overlap when a bar phase is unsure: short enough that a bar line out of place is over quickly. */
const UNSURE_BARS_OVERLAP = 4;

/** Stored analyses from before the bar phase was measured carry no confidence: they are planned as they always were. */
const barsUnsure = (t: TrackAnalysis): boolean =>
  t.barPhaseConfidence !== undefined && t.barPhaseConfidence < MIN_BAR_PHASE_CONFIDENCE;

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
function runway(
  a: TrackAnalysis,
  exitBar: number,
  b: TrackAnalysis,
  entryBar: number,
): { aBars: number; bBars: number } {
  const aBars = a.downbeats.length - exitBar;
  const firstDrop = b.segments.find((s) => s.label === 'drop' && s.startBar >= entryBar);
  const bBars = (firstDrop?.startBar ?? b.downbeats.length) - entryBar;
  return { aBars, bBars };
}

/** What a re-plan asks of the planner once the beat check has measured a render (`check-and-replan.ts`). */
export interface PlanLimits {
  /** The longest beat-matched overlap allowed (bars of A). */
  maxOverlapBars?: number;
  /** Not beat-matched at all: an echo-out, for this reason. */
  echoOutBecause?: string;
  /**
   * A may not leave before this track time (s): the set has already played past it (a long ramp into a short track,
   * a late pick). With it, the planner looks for the best exit at or after it; without it, A leaves on its mix-out cue.
   */
  notBeforeSec?: number;
  /**
   * The transition length a server chose (bars of A): the overlap is this long wherever the runways allow, never
   * longer (a filter fade stays within 8 bars, an echo-out 4). Without it, the longest the runways allow, up to 32.
   */
  bars?: number;
  /** B's bass on its entry downbeat (A's leaving there), not on a phrase boundary inside the overlap. */
  bassOnEntry?: boolean;
}

/** A track that is one level throughout (most non-electronic music) has a main section, not drops to protect. */
const hasDrops = (t: TrackAnalysis): boolean =>
  t.segments.some((s) => s.label === 'drop') && t.segments.some((s) => s.label !== 'drop');

interface Overlap {
  bars: number;
  /** Even the shortest overlap would lay a drop over a drop. */
  clashingDrops: boolean;
}

/**
 * The overlap leaving A at `exitBar`: the longest of 32, 16, 8 (or 4, for a clip) bars that both runways allow and
 * that never lays a drop of A over a drop of B. `bPerA`: B's bars per bar of A once matched (2 at double time).
 */
function overlapAt(
  a: TrackAnalysis,
  exitBar: number,
  b: TrackAnalysis,
  entryBar: number,
  bPerA: number,
  maxBars: number,
): Overlap {
  const { aBars, bBars: bOwnBars } = runway(a, exitBar, b, entryBar);
  const bBars = bOwnBars / bPerA;
  let bars = [32, 16, 8, 4].find((n) => n <= aBars && n <= Math.max(bBars, 8) && n <= maxBars) ?? 0;
  const dropOverDrop = (n: number): boolean =>
    hasDrops(a) &&
    hasDrops(b) &&
    Array.from({ length: n }, (_, i) => labelAt(a.segments, exitBar + i) === 'drop').some(Boolean) &&
    Array.from({ length: Math.ceil(n * bPerA) }, (_, i) => labelAt(b.segments, entryBar + i) === 'drop').some(Boolean);
  while (bars > 4 && dropOverDrop(bars)) bars /= 2;
  return { bars, clashingDrops: bars > 0 && dropOverDrop(bars) };
}

/** How far before its mix-out cue A may be left when the cue offers no runway (a DJ leaves in A's breakdown). */
const MAX_EARLY_EXIT_BARS = 16;
/** An overlap this long is worth leaving A away from its cue for. */
const GOOD_OVERLAP_BARS = 8;

/**
 * Where A leaves, and the overlap there. Without `notBeforeSec`, its mix-out cue. With it: the cue when it is still
 * ahead and offers a good overlap; else the nearest phrase start (up to MAX_EARLY_EXIT_BARS before the cue, or any
 * later one) that does, then the downbeats 16 and 8 bars (and the chosen length, when there is one) before A's end
 * (short tracks end on a phrase more often than their phrase grid says); else the candidate with the longest overlap,
 * the cue first. A good overlap is 8 bars, or the chosen length.
 */
function chooseExit(
  a: TrackAnalysis,
  b: TrackAnalysis,
  entryBar: number,
  bPerA: number,
  limits: PlanLimits,
): { exitBar: number; overlap: Overlap } {
  const cueBar = barOf(a.downbeats, a.cues.mixOut);
  const maxBars = Math.min(limits.maxOverlapBars ?? Infinity, limits.bars ?? Infinity);
  const at = (bar: number) => ({ exitBar: bar, overlap: overlapAt(a, bar, b, entryBar, bPerA, maxBars) });
  if (limits.notBeforeSec === undefined) return at(cueBar);
  const notBefore = limits.notBeforeSec;
  const phraseBars = a.phrases.map((t) => barOf(a.downbeats, t));
  const earliest = Math.max(barOf(a.downbeats, a.cues.mixIn) + GOOD_OVERLAP_BARS, cueBar - MAX_EARLY_EXIT_BARS);
  const byDistance = [...new Set(phraseBars)]
    .filter((bar) => bar >= earliest)
    .sort((x, y) => Math.abs(x - cueBar) - Math.abs(y - cueBar) || y - x);
  const endAligned = [...new Set([limits.bars ?? 16, 16, 8])].map((n) => a.downbeats.length - n);
  const candidates = [...new Set([cueBar, ...byDistance, ...endAligned])].filter(
    (bar) => bar >= 0 && bar < a.downbeats.length && a.downbeats[bar]! >= notBefore,
  );
  const options = candidates.map(at);
  const good = options.find(
    (o) => o.overlap.bars >= Math.min(limits.bars ?? GOOD_OVERLAP_BARS, maxBars) && !o.overlap.clashingDrops,
  );
  if (good) return good;
  // A 4-bar drop over a drop beats a cut; a clean overlap of the same length beats it.
  const worth = (o: Overlap): number => o.bars - (o.clashingDrops ? 0.5 : 0);
  return (
    options.reduce<(typeof options)[number] | undefined>(
      (x, o) => (!x || worth(o.overlap) > worth(x.overlap) ? o : x),
      undefined,
    ) ?? at(cueBar)
  );
}

interface Style {
  style: TransitionStyle;
  overlapBars: number;
  reason: string;
}

/**
 * What makes a blend sound bad decides the style: no runway (a cut on the downbeat), beats that cannot be held
 * together or tempi too far apart (an echo-out), clashing keys or an audible stretch (a short filter fade that keeps
 * the two harmonies apart).
 */
function chooseStyle(from: PlannedTrack, to: PlannedTrack, overlap: Overlap, limits: PlanLimits): Style {
  const a = from.analysis;
  const b = to.analysis;
  const relation = camelotRelationOfCodes(a.camelot, b.camelot);
  const match = tempoMatch(a.bpm, b.bpm);
  const stretch = Math.abs(match.stretchPct);
  const keysMatter = Math.min(a.keyStrength, b.keyStrength) >= 0.6;
  const bars = overlap.bars;
  if (bars === 0 || a.beats.length < 8 || b.beats.length < 8)
    return { style: 'cut', overlapBars: bars, reason: 'no runway to blend over, so a cut on the downbeat' };
  if (limits.echoOutBecause) return { style: 'echo-out', overlapBars: bars, reason: limits.echoOutBecause };
  if (!beatMatchable(a) || !beatMatchable(b)) {
    const byHand = beatMatchable(a) ? to.title : from.title;
    return {
      style: 'echo-out',
      overlapBars: bars,
      reason: `the beats of ${byHand} are played by hand (they drift or stray from any grid): beat-matching them would flam, so A echoes out and B starts on the downbeat`,
    };
  }
  if (stretch > MAX_SHORT_BLEND_STRETCH_PCT) {
    return {
      style: 'echo-out',
      overlapBars: bars,
      reason: `tempi ${a.bpm.toFixed(1)} and ${b.bpm.toFixed(1)} BPM are ${stretch.toFixed(1)} % apart: too far to stretch cleanly, so A echoes out and B starts on the downbeat`,
    };
  }
  if (relation === 'clash' && keysMatter) {
    return {
      style: 'filter-fade',
      overlapBars: Math.min(bars, 8),
      reason: `${a.camelot} and ${b.camelot} clash: a short filter fade keeps the two harmonies from sounding together`,
    };
  }
  if (stretch > MAX_BLEND_STRETCH_PCT)
    return {
      style: 'filter-fade',
      overlapBars: Math.min(bars, 8),
      reason: `a ${stretch.toFixed(1)} % stretch is audible over a long blend, so a short filter fade`,
    };
  const bPerA = b.bpm / match.matched;
  const octave = match.octave ? ` at ${bPerA > 1 ? 'double' : 'half'} time` : '';
  const quick =
    overlap.clashingDrops && !limits.bassOnEntry
      ? ", a quick one: A's drop meets B's, so B's bass stays out until A's last beat"
      : '';
  return {
    style: 'blend',
    overlapBars: bars,
    reason: `${bars}-bar EQ blend${quick}: ${a.camelot}→${b.camelot} (${relation}), B stretched ${match.stretchPct >= 0 ? '+' : ''}${match.stretchPct.toFixed(1)} %${octave}`,
  };
}

/**
 * B's tempo through the overlap (`overlapSec` of the set, `overlapBBars` of B's bars) and its ramp back to its own
 * tempo, one small step per beat: 8 bars, or 16 when the stretch is over 3 %. A clip too short for the whole ramp
 * ramps over what it has (the steps stay well under 1.5 % per beat).
 */
function rampBack(
  b: TrackAnalysis,
  entryBar: number,
  overlapBBars: number,
  overlapSec: number,
  tempo: number,
): { rampBars: number; schedule: TempoSchedule } {
  if (Math.abs(tempo - 1) <= 1e-4) return { rampBars: 0, schedule: [] };
  const barsAfterOverlap = b.downbeats.length - entryBar - Math.round(overlapBBars) - 1;
  const rampBars = Math.max(2, Math.min(Math.abs(tempo - 1) > 0.03 ? 16 : 8, barsAfterOverlap));
  const entrySec = b.downbeats[entryBar]!;
  // B consumes `tempo` seconds of its own time per second of the set.
  const schedule: TempoSchedule = [
    { atSec: entrySec, tempo },
    ...tempoRamp(entrySec + overlapSec * tempo, 60 / b.bpm, rampBars * 4, tempo, 1),
  ];
  return { rampBars, schedule };
}

/**
 * How A hands over to B: outro over intro on phrase boundaries (see `chooseExit` and `overlapAt`), in the style
 * `chooseStyle` picks, B beat-matched through the overlap and ramped back to its own tempo after it.
 */
export function planTransition(from: PlannedTrack, to: PlannedTrack, limits: PlanLimits = {}): TransitionPlan {
  const a = from.analysis;
  const b = to.analysis;
  const entryBar = barOf(b.downbeats, b.cues.mixIn);
  const relation = camelotRelationOfCodes(a.camelot, b.camelot);
  const match = tempoMatch(a.bpm, b.bpm);
  // B's bars per bar of A once matched: 2 when B runs at double time, ½ at half time (the overlap is counted in A's).
  const bPerA = b.bpm / match.matched;
  const unsure = [from, to].filter((t) => barsUnsure(t.analysis));
  const capped =
    unsure.length > 0
      ? { ...limits, maxOverlapBars: Math.min(limits.maxOverlapBars ?? Infinity, UNSURE_BARS_OVERLAP) }
      : limits;
  // A chosen length is a blend's: a pair that will echo out does not look for an exit with room for it.
  const blends =
    beatMatchable(a) &&
    beatMatchable(b) &&
    Math.abs(match.stretchPct) <= MAX_SHORT_BLEND_STRETCH_PCT &&
    !limits.echoOutBecause;
  const { exitBar, overlap } = chooseExit(a, b, entryBar, bPerA, blends ? capped : { ...capped, bars: undefined });
  const { style, overlapBars: styled, reason } = chooseStyle(from, to, overlap, capped);
  const reasons = [reason];
  const beatMatched = style === 'blend' || style === 'filter-fade';
  if (unsure.length > 0 && beatMatched) {
    const which = unsure
      .map((t) => `${t.title}'s (confidence ${t.analysis.barPhaseConfidence!.toFixed(2)})`)
      .join(' and ');
    reasons.push(
      `the ears are unsure where the bars start (${which}), so the overlap is kept to ${styled} bars with B's bass held out to its end: a bar line out of place is over quickly`,
    );
  }
  if (exitBar !== barOf(a.downbeats, a.cues.mixOut) && style !== 'cut')
    reasons.push(
      `A leaves at bar ${exitBar + 1}, ${exitBar < barOf(a.downbeats, a.cues.mixOut) ? 'before' : 'after'} its mix-out cue, where the overlap has room`,
    );
  let overlapBars = styled;

  const tempo = beatMatched ? a.bpm / match.matched : 1;
  if (!beatMatched) overlapBars = style === 'echo-out' ? 4 : 0;
  const overlapSec = overlapBars * 4 * (60 / a.bpm);
  const entrySec = b.downbeats[entryBar]!;
  const { rampBars, schedule } = beatMatched
    ? rampBack(b, entryBar, overlapBars * bPerA, overlapSec, tempo)
    : { rampBars: 0, schedule: [] };
  if (rampBars > 0) reasons.push(`then B ramps back to ${b.bpm.toFixed(1)} BPM over ${rampBars} bars`);
  if (limits.bassOnEntry && style === 'blend')
    reasons.push("B's bass comes in on its first downbeat, where A's leaves");
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
    bassSwapBar: limits.bassOnEntry ? 0 : overlapBars >= 2 * a.phraseBars ? overlapBars / 2 : overlapBars,
    ...(unsure.length > 0 && beatMatched ? { barPhaseUnsure: true } : {}),
    ...(limits.bassOnEntry ? { bassOnEntry: true as const } : {}),
    explanation: reasons.join('; '),
  };
}
