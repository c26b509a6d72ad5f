import type { TransitionCheckReport } from '../transition/check-and-replan.ts';
import { planPitchCents } from '../transition/tempo-schedule.ts';
import type { PlannedTrack, TransitionPlan } from '../transition/transition-plan.ts';
import type { MixStyle } from '../transition/mix-style.ts';
import type { OrderMode } from './order-mode.ts';
import type { PlayedSpan } from './set-timeline.ts';
import { formatDuration } from '../../util/format-clock.ts';

export const describeDeck = (t: PlannedTrack) => ({
  title: t.title,
  bpm: t.analysis.bpm,
  key: `${t.analysis.key} ${t.analysis.scale}`,
  camelot: t.analysis.camelot,
});

export interface TransitionReport {
  index: number;
  /** Set time (s) where the transition starts: A's exit downbeat, where B's entry downbeat lands. */
  startSec: number;
  endSec: number;
  from: { title: string; bpm: number; key: string; camelot: string };
  to: { title: string; bpm: number; key: string; camelot: string };
  style: TransitionPlan['style'];
  overlapBars: number;
  rampBars: number;
  stretchPct: number;
  /**
   * B's pitch change through the overlap (cents): played as vinyl (a tempo change within the bound, resampled), the
   * pitch moves with the tempo; time-stretched or not stretched, 0.
   */
  pitchCents: number;
  score?: number;
  explanation: string;
  /**
   * How sure the ears were of each track's bar phase (`barPhaseConfidence`; absent for an analysis stored before it
   * was measured), and whether the planner took either as unsure (a short overlap, not leaning on the phrases).
   */
  barPhase: { from?: number; to?: number; unsure: boolean };
  /** The beat check of a beat-matched transition, made on its rendered decks before it played. */
  check?: TransitionCheckReport;
  plan: TransitionPlan;
}

/** The report of transition `index`, A → B as `plan` has it, at set time [startSec, endSec]. */
export function transitionReport(
  index: number,
  span: { startSec: number; endSec: number },
  a: PlannedTrack,
  b: PlannedTrack,
  plan: TransitionPlan,
  judged: { score?: number; check?: TransitionCheckReport } = {},
): TransitionReport {
  return {
    index,
    startSec: span.startSec,
    endSec: span.endSec,
    from: describeDeck(a),
    to: describeDeck(b),
    style: plan.style,
    overlapBars: plan.overlapBars,
    rampBars: plan.rampBars,
    stretchPct: Number(plan.stretchPct.toFixed(2)),
    pitchCents: planPitchCents(plan),
    score: judged.score,
    explanation: plan.explanation,
    barPhase: {
      from: a.analysis.barPhaseConfidence,
      to: b.analysis.barPhaseConfidence,
      unsure: plan.barPhaseUnsure === true,
    },
    check: judged.check,
    plan,
  };
}

/** What `minidj mix --report` writes. */
export interface MixReport {
  out: string;
  durationSec: number;
  renderSec: number;
  order: OrderMode;
  targetLufs: number;
  /** Whole songs or DJ cuts, and the transition length when one was chosen. */
  style: MixStyle;
  /** Each track, and what of it the set plays (its own time; `share`: of its length). */
  tracks: { title: string; file: string; bpm: number; key: string; camelot: string; played: PlayedSpan }[];
  transitions: Omit<TransitionReport, 'plan'>[];
}

/** One line per transition: when, which tracks, style, tempi, keys, score and the beat check. */
export function describeTransitions(report: MixReport): string[] {
  return report.transitions.map(
    (t) =>
      `${formatDuration(t.startSec).padStart(5)}  ${t.from.title} → ${t.to.title}: ${t.style}, ${t.overlapBars} bars, ` +
      `${t.from.bpm.toFixed(1)}→${t.to.bpm.toFixed(1)} BPM (${t.pitchCents !== 0 ? 'vinyl' : 'stretch'} ${t.stretchPct >= 0 ? '+' : ''}${t.stretchPct.toFixed(1)} %${t.pitchCents !== 0 ? `, pitch ${t.pitchCents > 0 ? '+' : ''}${t.pitchCents.toFixed(1)} cents` : ''}), ${t.from.camelot}→${t.to.camelot}` +
      `${t.score !== undefined ? `, score ${t.score.toFixed(2)}` : ''}${t.check ? `; ${t.check.summary}` : ''}`,
  );
}

/** One line per track: the part of it the set plays. */
export function describePlayed(report: MixReport): string[] {
  return report.tracks.map(
    (t) =>
      `${t.title}: ${formatDuration(t.played.fromSec)}–${formatDuration(t.played.toSec)} played (${Math.round(t.played.share * 100)} %)`,
  );
}
