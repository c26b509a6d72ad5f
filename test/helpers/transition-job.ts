import { planTransition } from '../../src/audio/transition/transition-plan.ts';
import type { PlannedTrack } from '../../src/audio/transition/transition-plan.ts';
import type { TransitionJob } from '../../src/audio/transition/render-job.ts';

/** The job that renders A → B as planned, both tracks at unity gain. */
export const jobOf = (from: PlannedTrack, to: PlannedTrack): TransitionJob => ({
  plan: planTransition(from, to),
  from: { file: from.file, gain: 1, bpm: from.analysis.bpm },
  to: { file: to.file, gain: 1, bpm: to.analysis.bpm },
});
