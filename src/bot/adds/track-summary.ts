import type { TrackAnalysis } from '../../audio/analysis/analysis-types.ts';
import { formatDuration } from '../../util/format-clock.ts';

/** `126.0 BPM, A minor (8A), 3:12` */
export function trackSummary(analysis: TrackAnalysis): string {
  return `${analysis.bpm.toFixed(1)} BPM, ${analysis.key} ${analysis.scale} (${analysis.camelot}), ${formatDuration(analysis.durationSec)}`;
}
