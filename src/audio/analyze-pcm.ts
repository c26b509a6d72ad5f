import type { TrackAnalysis } from './analysis-types.ts';
import { ANALYZER_VERSION } from './analyzer-version.ts';
import { buildBeatGrid } from './beat-grid.ts';
import type { AnalysisInput } from './decode-for-analysis.ts';
import { findDownbeats } from './downbeats.ts';
import type { EssentiaInstance } from './essentia-runtime.ts';
import { essentiaCall, withVectors } from './essentia-runtime.ts';
import { detectKey } from './key-detect.ts';
import { computeSpectralFrames, onsetEnvelope } from './spectral-frames.ts';
import type { SpectralFrames } from './spectral-frames.ts';
import { median } from './stats.ts';
import { analyzeStructure } from './structure.ts';
import { timbreSummary } from './timbre.ts';
import { resolveTempoOctave } from './tempo-octave.ts';

const ONSET_BLOCK = 64;
const MIN_BPM = 60;
const MAX_BPM = 200;

/** First and last frame within 40 dB of the loudest: leading and trailing silence get no beats. */
function musicSpan(frames: SpectralFrames): [number, number] {
  let max = 0;
  const energy = new Float64Array(frames.count);
  for (let i = 0; i < frames.count; i++) {
    energy[i] = frames.low[i]! + frames.mid[i]! + frames.high[i]!;
    if (energy[i]! > max) max = energy[i]!;
  }
  const threshold = max * 1e-4;
  let first = 0;
  while (first < frames.count - 1 && energy[first]! < threshold) first++;
  let last = frames.count - 1;
  while (last > first && energy[last]! < threshold) last--;
  return [frames.frameTime(first) - 1024 / frames.sampleRate, frames.frameTime(last) + 1024 / frames.sampleRate];
}

function brightness(frames: SpectralFrames): number {
  const values: number[] = [];
  let max = 0;
  for (let i = 0; i < frames.count; i++) max = Math.max(max, frames.mid[i]! + frames.high[i]!);
  for (let i = 0; i < frames.count; i++) if (frames.mid[i]! + frames.high[i]! > max * 1e-3) values.push(frames.centroid[i]!);
  return values.length ? median(values) : 0;
}

const round = (x: number, digits: number): number => Number(x.toFixed(digits));

export function analyzePcm(input: AnalysisInput, essentia: EssentiaInstance): TrackAnalysis {
  const { mono, sampleRate, durationSec } = input;
  const frames = computeSpectralFrames(mono, sampleRate);
  const onset = { env: onsetEnvelope(mono, ONSET_BLOCK), step: ONSET_BLOCK / sampleRate };
  const [musicStart, musicEnd] = musicSpan(frames);
  const signal = essentia.arrayToVector(mono);
  return withVectors([signal], () => {
    const rhythm = essentiaCall('RhythmExtractor2013', () => essentia.RhythmExtractor2013(signal, MAX_BPM, 'degara', MIN_BPM));
    const ticks = withVectors([rhythm.ticks, rhythm.estimates, rhythm.bpmIntervals], () => Array.from(essentia.vectorToArray(rhythm.ticks)));
    const tracked = buildBeatGrid(ticks, rhythm.bpm, onset, durationSec, musicStart, musicEnd);
    const grid = resolveTempoOctave(tracked, frames);
    const bars = findDownbeats(grid.beats, frames);
    const structure = analyzeStructure(bars.downbeats, durationSec, frames);
    const key = detectKey(essentia, signal, sampleRate);
    const dance = essentiaCall('Danceability', () => essentia.Danceability(signal, 8800, 310, sampleRate, 1.1));
    dance.dfa.delete();
    const timbre = timbreSummary(essentia, frames.spectra, sampleRate);
    return {
      analyzerVersion: ANALYZER_VERSION,
      durationSec: round(durationSec, 3),
      bpm: round(grid.bpm, 2),
      bpmConfidence: grid.confidence,
      beats: grid.beats,
      beatPositions: bars.beatPositions,
      downbeats: bars.downbeats,
      beatsPerBar: bars.beatsPerBar,
      key: key.key,
      scale: key.scale,
      camelot: key.camelot,
      keyStrength: key.strength,
      loudnessLufs: round(input.loudnessLufs, 2),
      loudnessRangeLu: round(input.loudnessRangeLu, 2),
      truePeakDb: round(input.truePeakDb, 2),
      energy: structure.energy,
      brightnessHz: round(brightness(frames), 1),
      timbre,
      danceability: round(dance.danceability, 3),
      phraseBars: structure.phraseBars,
      phrases: structure.phrases,
      segments: structure.segments,
      cues: structure.cues,
    };
  });
}
