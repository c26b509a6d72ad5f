import type { TrackAnalysis } from '../analysis/analysis-types.ts';
import { planTransition } from './transition-plan.ts';
import type { PlanLimits, PlannedTrack, TransitionPlan } from './transition-plan.ts';

const TRANSITION_BARS = [4, 8, 16, 32] as const;
export type TransitionBars = (typeof TRANSITION_BARS)[number];
export const isTransitionBars = (n: unknown): n is TransitionBars => TRANSITION_BARS.includes(n as TransitionBars);

/** `whole`: each song from its first downbeat to its end, mixed only over its intro and outro; `dj`: a DJ's cuts. */
const SONGS_MODES = ['whole', 'dj'] as const;
export type SongsMode = (typeof SONGS_MODES)[number];
export const isSongsMode = (s: unknown): s is SongsMode => SONGS_MODES.includes(s as SongsMode);

/** How a set mixes: whole songs or DJ cuts, and the transition length (absent: the planner's choice for each pair). */
export interface MixStyle {
  songs: SongsMode;
  bars?: TransitionBars;
}

export const DJ_CUTS: MixStyle = { songs: 'dj' };

export const sameStyle = (x: MixStyle, y: MixStyle): boolean => x.songs === y.songs && x.bars === y.bars;

/** A bar quieter than this (RMS against the track's loudest bar, about −26 dB) is a fade's tail, not the song. */
const END_LEVEL = 0.05;

/** Bars up to the last one that is heard (a fade-out's silent tail left off). */
function barsHeard(a: TrackAnalysis): number {
  const last = a.energy.findLastIndex((e) => e >= END_LEVEL);
  return Math.min(a.downbeats.length, last >= 0 ? last + 1 : a.downbeats.length);
}

/** Bars of A's outro (its closing section, when the ears labelled one), up to its last bar heard. */
function outroBars(a: TrackAnalysis): number {
  const last = a.segments.at(-1);
  return last?.label === 'outro' ? Math.max(0, barsHeard(a) - last.startBar) : 0;
}

/** Bars of B's intro before anything else starts. */
function introBars(b: TrackAnalysis): number {
  const first = b.segments[0];
  return first?.label === 'intro' ? first.endBar : 0;
}

/**
 * The overlap whole songs mix over: the chosen length, else the longest of 32, 16, 8 that both A's outro and B's
 * intro hold, else 4 (a song without an outro or an intro is mixed over its last or first 4 bars).
 */
function wholeSongBars(a: TrackAnalysis, b: TrackAnalysis, bars: TransitionBars | undefined): number {
  if (bars) return bars;
  const room = Math.min(outroBars(a), introBars(b));
  return [32, 16, 8].find((n) => n <= room) ?? 4;
}

const withCues = (t: PlannedTrack, cues: Partial<TrackAnalysis['cues']>): PlannedTrack => ({
  ...t,
  analysis: { ...t.analysis, cues: { ...t.analysis.cues, ...cues } },
});

/** B as whole songs plan it: it enters on its first downbeat. */
function wholeSongEntry(b: PlannedTrack): PlannedTrack {
  return withCues(b, { mixIn: b.analysis.downbeats[0] ?? b.analysis.cues.mixIn });
}

/** A leaving `bars` bars before its last bar heard (at least on its second downbeat). */
function leavingBarsBeforeEnd(a: PlannedTrack, bars: number): PlannedTrack {
  const d = a.analysis.downbeats;
  const exitBar = Math.min(d.length - 1, Math.max(1, barsHeard(a.analysis) - bars));
  return withCues(a, { mixOut: d[exitBar] ?? a.analysis.cues.mixOut });
}

export interface StyledPlan {
  plan: TransitionPlan;
  /** The tracks as planned (their cues moved by the style): a re-plan of this transition starts from them. */
  from: PlannedTrack;
  to: PlannedTrack;
  /** False for a cut at A's very end: nothing to render, B's body starts as A's ends. */
  render: boolean;
}

const INSTEAD: Record<TransitionPlan['style'], string> = {
  blend: 'a blend',
  'filter-fade': 'a filter fade, whose B comes in late',
  'echo-out': 'an echo-out',
  cut: 'a cut before its end',
};

/** Whole songs where the pair is not blended (a filter fade's, an echo-out's or a cut's): A plays to its end, then B. */
function cutAtEnd(plan: TransitionPlan, a: PlannedTrack, b: PlannedTrack): TransitionPlan {
  const d = a.analysis.downbeats;
  const heard = barsHeard(a.analysis);
  return {
    ...plan,
    style: 'cut',
    exitSec: Math.min(a.analysis.durationSec, d[heard] ?? a.analysis.durationSec),
    exitBar: Math.min(heard, d.length - 1),
    overlapBars: 0,
    overlapSec: 0,
    tempo: 1,
    stretchPct: 0,
    octave: false,
    rampBars: 0,
    schedule: [],
    bassSwapBar: 0,
    explanation: `whole songs: ${a.title} plays to its end, then ${b.title} from its first downbeat (rather than ${INSTEAD[plan.style]}: ${plan.explanation})`,
  };
}

/**
 * A → B in `style`, A leaving at or after `limits.notBeforeSec` where it can. DJ cuts: the planner as it is
 * (`limits.bars`: the chosen length). Whole songs: B enters on its first downbeat with its bass (the basses swap
 * there), A leaving so that the blend ends with its last bar heard (later when a drop meeting a drop shortens it); a
 * pair the planner would not blend plays A to its end, then B. When A has already played past that exit
 * (`notBeforeSec`), A leaves as a DJ's set would, B still entering whole.
 */
export function planInStyle(a: PlannedTrack, b: PlannedTrack, style: MixStyle, limits: PlanLimits = {}): StyledPlan {
  const chosen = style.bars ? { bars: style.bars } : {};
  if (style.songs === 'dj')
    return { plan: planTransition(a, b, { ...limits, ...chosen }), from: a, to: b, render: true };
  const to = wholeSongEntry(b);
  const n = wholeSongBars(a.analysis, to.analysis, style.bars);
  let from = leavingBarsBeforeEnd(a, n);
  if (limits.notBeforeSec !== undefined && from.analysis.cues.mixOut < limits.notBeforeSec) {
    return { plan: planTransition(a, to, { ...limits, ...chosen, bassOnEntry: true }), from: a, to, render: true };
  }
  const { notBeforeSec: _, ...atCue } = limits;
  // B's bass from its first downbeat: an intro's first bars are often its beat alone, which a swap inside the overlap
  // would keep out.
  const whole = { ...atCue, bassOnEntry: true };
  let plan = planTransition(from, to, { ...whole, bars: n });
  // A filter fade keeps B's first bars out (its mids and bass come in late): with an echo-out or a cut, A to its end.
  if (plan.style !== 'blend') return { plan: cutAtEnd(plan, a, b), from, to, render: false };
  if (plan.overlapBars < n) {
    from = leavingBarsBeforeEnd(a, plan.overlapBars);
    plan = planTransition(from, to, { ...whole, bars: plan.overlapBars });
  }
  return { plan, from, to, render: true };
}
