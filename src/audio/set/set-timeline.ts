import type { TrackAnalysis } from '../analysis/analysis-types.ts';
import { outputDuration } from '../transition/tempo-schedule.ts';
import type { PlannedTrack } from '../transition/transition-plan.ts';
import type { TransitionReport } from './set-report.ts';

/** The set starts on the first track's first downbeat when that comes within 2 s: no lead-in silence. */
export function setStartSec(first: PlannedTrack): number {
  const downbeat = first.analysis.downbeats[0] ?? 0;
  return downbeat < 2 ? downbeat : 0;
}

/**
 * Each deck's beats in the set's time: track k plays from the previous transition's start, its own time mapped
 * through that transition's tempo schedule (the ramp ends at tempo 1, so the mapping holds for the rest of it).
 */
export function setTimeOfTrack(
  k: number,
  transitions: TransitionReport[],
  tracks: PlannedTrack[],
): (t: number) => number {
  if (k === 0) {
    const start = setStartSec(tracks[0]!);
    return (t) => t - start;
  }
  const tr = transitions.find((x) => x.index === k - 1)!;
  return (t) => tr.startSec + outputDuration(tr.plan.schedule, tr.plan.entrySec, t);
}

/** A bar of the track at its own tempo (s). */
export const barSec = (a: Pick<TrackAnalysis, 'bpm' | 'beatsPerBar'>): number => a.beatsPerBar * (60 / a.bpm);

/**
 * Set time where track k is the one heard: from the middle of the overlap into it to the middle of the overlap out of
 * it (there the incoming deck's mids and highs are full and the outgoing one's begin to leave), else the set's start
 * and `endSec`.
 */
export function audibleWindow(
  k: number,
  transitions: TransitionReport[],
  tracks: PlannedTrack[],
  endSec: number,
): { fromSec: number; toSec: number } {
  const prev = transitions.find((x) => x.index === k - 1);
  const next = transitions.find((x) => x.index === k);
  return {
    fromSec: prev ? prev.startSec + (prev.plan.overlapBars / 2) * barSec(tracks[k - 1]!.analysis) : 0,
    toSec: next ? next.startSec + (next.plan.overlapBars / 2) * barSec(tracks[k]!.analysis) : endSec,
  };
}

/** What a set plays of one track: its own time from where it enters to where it is last heard, and the share of it. */
export interface PlayedSpan {
  fromSec: number;
  toSec: number;
  share: number;
}

/**
 * Track k's time the set plays: from its entry (the set's start for the first) to where it leaves, its part of the
 * overlap out of it included (a blend's or a filter fade's; an echo-out and a cut end it on their exit), or its end.
 */
export function playedSpan(k: number, transitions: TransitionReport[], tracks: PlannedTrack[]): PlayedSpan {
  const track = tracks[k]!.analysis;
  const prev = transitions.find((x) => x.index === k - 1);
  const next = transitions.find((x) => x.index === k);
  const fromSec = prev ? prev.plan.entrySec : setStartSec(tracks[0]!);
  const mixedOver =
    next && (next.plan.style === 'blend' || next.plan.style === 'filter-fade') ? next.plan.overlapSec : 0;
  const toSec = Math.min(track.durationSec, next ? next.plan.exitSec + mixedOver : track.durationSec);
  return { fromSec, toSec, share: Math.max(0, toSec - fromSec) / track.durationSec };
}
