import type { TrackAnalysis } from './analysis-types.ts';
import type { AudioLimits } from '../io/limits.ts';
import type { VettedMedia } from '../io/vet-media.ts';

export interface AnalysisJob {
  file: string;
  limits: AudioLimits;
  ffmpeg?: string;
  media?: VettedMedia;
}

/** What analyzer-thread.ts answers (src/util/worker-calls.ts); a failed analysis throws an AudioInputError. */
export type AnalysisCalls = {
  analyze: (job: AnalysisJob) => TrackAnalysis;
};
