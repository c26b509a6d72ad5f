import type { PlannedTrack } from '../../src/audio/transition/transition-plan.ts';
import type { SynthSection } from '../../src/synth/track-synth.ts';
import { analysedCrate } from './analysed-crate.ts';

/** A radio edit's sections: intro, build, drop, breakdown, outro. */
export const EDIT: SynthSection[] = [
  { label: 'intro', bars: 16 },
  { label: 'build', bars: 8 },
  { label: 'drop', bars: 16 },
  { label: 'breakdown', bars: 8 },
  { label: 'outro', bars: 16 },
];

/**
 * The hands' crate: three compatible tracks at 124, 126 and 125 BPM (t0, t1, t2), and t3 at 130 BPM, 4.8 % faster than
 * the first: a blend stretched past rubberband's independent-phase range.
 */
export async function handsCrate(): Promise<{ tracks: PlannedTrack[]; laminarPartner: PlannedTrack }> {
  const made = await analysedCrate('hands', [
    { bpm: 124, key: 'A', scale: 'minor', seed: 21, sections: EDIT },
    { bpm: 126, key: 'E', scale: 'minor', seed: 22, sections: EDIT },
    { bpm: 125, key: 'C', scale: 'major', seed: 23, sections: EDIT },
    { bpm: 130, key: 'D', scale: 'minor', seed: 24, sections: EDIT },
  ]);
  return { tracks: made.slice(0, 3), laminarPartner: made[3]! };
}
