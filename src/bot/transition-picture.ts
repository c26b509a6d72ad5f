import { setStartSec } from '../audio/set-engine.ts';
import type { TransitionReport } from '../audio/set-engine.ts';
import type { PlannedTrack, TransitionPlan } from '../audio/transition-plan.ts';
import { setPictureData } from '../demo/set-picture-data.ts';
import { renderSetPicture } from '../viz/set-picture.ts';

const describe = (t: PlannedTrack) => ({ title: t.title, bpm: t.analysis.bpm, key: `${t.analysis.key} ${t.analysis.scale}`, camelot: t.analysis.camelot });

/** The picture of one planned transition — both tracks' tempo and energy, and its gain/EQ curves — as a PNG. */
export function transitionPicture(from: PlannedTrack, to: PlannedTrack, plan: TransitionPlan): Buffer {
  const startSec = plan.exitSec - setStartSec(from);
  const report: TransitionReport = {
    index: 0,
    startSec,
    endSec: startSec + plan.overlapSec,
    from: describe(from),
    to: describe(to),
    style: plan.style,
    overlapBars: plan.overlapBars,
    rampBars: plan.rampBars,
    stretchPct: plan.stretchPct,
    explanation: plan.explanation,
    plan,
  };
  const durationSec = startSec + to.analysis.durationSec - plan.entrySec;
  return renderSetPicture(setPictureData(`Next: ${from.title} → ${to.title}`, [from, to], [report], durationSec), 1200, 600);
}
