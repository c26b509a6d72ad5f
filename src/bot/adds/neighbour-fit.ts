import { mixReasons } from '../../ai/mix-reasons.ts';
import type { MixScorer } from '../../ai/mix-scorer.ts';
import { pairFacts } from '../../ai/pair-features.ts';
import { describeTrack } from '../../ai/track-descriptor.ts';
import type { TrackAnalysis } from '../../audio/analysis/analysis-types.ts';
import { displayTitle } from '../discord/track-title.ts';

/** `energy 7/10`: the track's overall intensity, as the set ordering sees it. */
export function energyLabel(analysis: TrackAnalysis): string {
  return `energy ${Math.max(1, Math.round(describeTrack(analysis).intensity * 10))}/10`;
}

/** How a newly queued track follows the one queued before it: `After "X": 82 % — 126→128 BPM (+1.6 %), 8A→9A (…)`. */
export async function neighbourFit(
  scorer: MixScorer,
  previous: { title: string; analysis: TrackAnalysis },
  added: TrackAnalysis,
): Promise<string> {
  const a = describeTrack(previous.analysis);
  const b = describeTrack(added);
  const score = await scorer.score(a, b);
  const reasons = mixReasons(a, b, pairFacts(a, b)).slice(0, 2).join(', ');
  return `After "${displayTitle(previous.title)}": ${Math.round(score * 100)} % mixable — ${reasons}.`;
}
