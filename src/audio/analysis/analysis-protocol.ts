import type { TrackAnalysis } from './analysis-types.ts';
import type { AudioInputErrorCode } from '../io/audio-input-error.ts';
import type { AudioLimits } from '../io/limits.ts';
import type { VettedMedia } from '../io/vet-media.ts';

export interface AnalysisJob {
  id: number;
  file: string;
  limits: AudioLimits;
  ffmpeg?: string;
  media?: VettedMedia;
}

export type AnalysisReply =
  | { id: number; ok: true; analysis: TrackAnalysis }
  | { id: number; ok: false; code: AudioInputErrorCode; message: string };
