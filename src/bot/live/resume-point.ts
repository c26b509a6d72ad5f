import type { LiveTrack } from '../playlist/next-track.ts';

/** Resuming leaves at least this much of the track to play; otherwise the set resumes with the next one. */
const MIN_RESUME_LEFT_SEC = 30;

/** The track time to resume at: the last downbeat at or before the saved position (undefined: from the top). */
export function resumePoint(track: LiveTrack, positionSec: number): number | undefined {
  if (positionSec < 1) return undefined;
  const downbeat = track.analysis.downbeats.findLast((d) => d <= positionSec);
  if (downbeat === undefined || track.analysis.durationSec - downbeat < MIN_RESUME_LEFT_SEC) return undefined;
  return downbeat;
}
