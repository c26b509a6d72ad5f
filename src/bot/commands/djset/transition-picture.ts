import { setStartSec } from '../../../audio/set/set-timeline.ts';
import { transitionReport } from '../../../audio/set/set-report.ts';
import type { PlannedTrack, TransitionPlan } from '../../../audio/transition/transition-plan.ts';
import { setPictureData } from '../../../viz/set-picture-data.ts';
import { renderSetPicture } from '../../../viz/set-picture.ts';

/** The picture of one planned transition — both tracks' tempo and energy, and its gain/EQ curves — as a PNG. */
export function transitionPicture(from: PlannedTrack, to: PlannedTrack, plan: TransitionPlan): Buffer {
  const startSec = plan.exitSec - setStartSec(from);
  const report = transitionReport(0, { startSec, endSec: startSec + plan.overlapSec }, from, to, plan);
  const durationSec = startSec + to.analysis.durationSec - plan.entrySec;
  return renderSetPicture(
    setPictureData(`Next: ${from.title} → ${to.title}`, [from, to], [report], durationSec),
    1200,
    600,
  );
}
