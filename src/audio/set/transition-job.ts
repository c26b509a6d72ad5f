import type { TransitionJob } from '../transition/render-job.ts';
import type { PlannedTrack, TransitionPlan } from '../transition/transition-plan.ts';

export const DEFAULT_TARGET_LUFS = -14;
const MAX_GAIN_DB = 9;

/** Linear gain that brings a track to the target loudness (at most +9 dB: the limiter is not a compressor). */
export function loudnessGain(trackLufs: number, targetLufs: number): number {
  return 10 ** (Math.min(MAX_GAIN_DB, targetLufs - trackLufs) / 20);
}

const deck = (t: PlannedTrack, targetLufs: number) => ({
  file: t.file,
  gain: loudnessGain(t.analysis.loudnessLufs, targetLufs),
  bpm: t.analysis.bpm,
});

/** The renderer's job for A → B under `plan`, each deck at the gain that brings it to the target loudness. */
export function transitionJob(
  plan: TransitionPlan,
  a: PlannedTrack,
  b: PlannedTrack,
  targetLufs: number,
): TransitionJob {
  return { plan, from: deck(a, targetLufs), to: deck(b, targetLufs) };
}
