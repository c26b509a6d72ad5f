/** What the ears store about a track. Field names are a stable interface: `minidj analyze --json` prints them. */

export const SEGMENT_LABELS = ['intro', 'build', 'drop', 'breakdown', 'outro'] as const;
export type SegmentLabel = (typeof SEGMENT_LABELS)[number];

export interface Segment {
  start: number;
  end: number;
  label: SegmentLabel;
  /** Bar index (0 = first downbeat) where the segment starts; segments always start on a phrase boundary. */
  startBar: number;
  endBar: number;
}

export interface Cues {
  /** Where this track enters when it is mixed in: a phrase-start downbeat, usually the start of the intro. */
  mixIn: number;
  /** Where this track may start to leave when the next one comes in: a phrase-start downbeat, usually the start of the outro. */
  mixOut: number;
}

export interface Timbre {
  mfccMean: number[];
  mfccVar: number[];
}

export type Scale = 'major' | 'minor';

export interface TrackAnalysis {
  analyzerVersion: string;
  durationSec: number;
  bpm: number;
  bpmConfidence: number;
  /** How far the beat attacks wander about the beat grid (ms, median): 0–3.6 machine-timed, 4–8 for a live band. */
  beatJitterMs: number;
  beats: number[];
  /** Position of each beat in its bar, 1 = downbeat. */
  beatPositions: number[];
  /** Bar starts in seconds; bar number n is `downbeats[n]`. */
  downbeats: number[];
  beatsPerBar: number;
  /**
   * 0..1: how much of the track agrees on where its bars start (see `phaseConfidence` in downbeats.ts); the planner
   * does not lean on the phrases of a track under MIN_BAR_PHASE_CONFIDENCE. Absent from analyses stored before it was
   * measured.
   */
  barPhaseConfidence?: number;
  key: string;
  scale: Scale;
  camelot: string;
  keyStrength: number;
  loudnessLufs: number;
  loudnessRangeLu: number;
  truePeakDb: number;
  /** Per bar, RMS energy relative to the track's loudest bar, 0..1. */
  energy: number[];
  brightnessHz: number;
  timbre: Timbre;
  danceability: number;
  /** Phrase length in bars (8, 16 or 32) and phrase starts in seconds. */
  phraseBars: number;
  phrases: number[];
  segments: Segment[];
  cues: Cues;
}
