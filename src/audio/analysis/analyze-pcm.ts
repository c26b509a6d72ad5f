import type { TrackAnalysis } from './analysis-types.ts';
import { ANALYZER_VERSION } from './analyzer-version.ts';
import { buildBeatGrid } from './beat-grid.ts';
import { onBeatPhase } from './beat-phase.ts';
import type { BeatGrid } from './beat-grid.ts';
import type { AnalysisInput } from './decode-for-analysis.ts';
import { findDownbeats } from './downbeats.ts';
import { firstSoundSec } from './first-sound.ts';
import type { EssentiaInstance } from './essentia-runtime.ts';
import { essentiaCall, withVectors } from './essentia-runtime.ts';
import { detectKey } from './key-detect.ts';
import { attackEnvelopes } from './attack-envelopes.ts';
import { computeSpectralFrames } from './spectral-frames.ts';
import type { SpectralFrames } from './spectral-frames.ts';
import { median } from '../dsp/stats.ts';
import { analyzeStructure } from './structure.ts';
import { timbreSummary } from './timbre.ts';
import { resolveTempoOctave } from './tempo-octave.ts';
import { METRICAL_LEVELS, multibandTempo, sameTempoFamily } from './tempo-periodicity.ts';

const MIN_BPM = 60;
const MAX_BPM = 200;
/** Two tempi are the same metrical family when one is ×1, ×2, ×½, ×3 or ×⅓ the other within this. */
const FAMILY_TOLERANCE = 0.06;
/**
 * The tracker's tempo family is "unsupported" when its best periodicity is below this share of the strongest one.
 * Measured: 0.86–1.08 on every synthesized, echo-stressed and real clip, 0.51 on a 3/4 clip where both are right,
 * 0.10 where degara followed an unmetered melody over a steady bass.
 */
const UNSUPPORTED_SHARE = 0.25;

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
  return [
    frames.frameTime(first) - frames.frameSize / 2 / frames.sampleRate,
    frames.frameTime(last) + frames.frameSize / 2 / frames.sampleRate,
  ];
}

function brightness(frames: SpectralFrames): number {
  const values: number[] = [];
  let max = 0;
  for (let i = 0; i < frames.count; i++) max = Math.max(max, frames.mid[i]! + frames.high[i]!);
  for (let i = 0; i < frames.count; i++)
    if (frames.mid[i]! + frames.high[i]! > max * 1e-3) values.push(frames.centroid[i]!);
  return values.length ? median(values) : 0;
}

const round = (x: number, digits: number): number => Number(x.toFixed(digits));

export function analyzePcm(input: AnalysisInput, essentia: EssentiaInstance): TrackAnalysis {
  const { mono, sampleRate, durationSec } = input;
  const frames = computeSpectralFrames(mono, sampleRate);
  const attacks = attackEnvelopes(mono, sampleRate);
  const [musicStart, musicEnd] = musicSpan(frames);
  const signal = essentia.arrayToVector(mono);
  return withVectors([signal], () => {
    const track = (method: 'degara' | 'multifeature', minBpm: number, maxBpm: number): BeatGrid => {
      const rhythm = essentiaCall('RhythmExtractor2013', () =>
        essentia.RhythmExtractor2013(signal, maxBpm, method, minBpm),
      );
      const ticks = withVectors([rhythm.ticks, rhythm.estimates, rhythm.bpmIntervals], () =>
        Array.from(essentia.vectorToArray(rhythm.ticks)),
      );
      return buildBeatGrid(ticks, rhythm.bpm, attacks, durationSec, musicStart, musicEnd);
    };
    let tracked = track('degara', MIN_BPM, MAX_BPM);
    // Cross-check against the multi-band periodicity. Only when the tracked tempo (at any metrical level) has almost
    // no periodicity in any band is it replaced: re-tracked by the multifeature tracker near the periodic tempo, and
    // kept only if that tracker confirms it.
    const periodicity = multibandTempo(frames);
    const support =
      Math.max(...METRICAL_LEVELS.map((k) => periodicity.salience(tracked.bpm * k))) /
      periodicity.salience(periodicity.bpm);
    if (!sameTempoFamily(tracked.bpm, periodicity.bpm, FAMILY_TOLERANCE) && support < UNSUPPORTED_SHARE) {
      let candidate = periodicity.bpm;
      while (candidate < MIN_BPM) candidate *= 2;
      while (candidate > MAX_BPM) candidate /= 2;
      // ±30 % around it, clamped to the ranges RhythmExtractor2013 accepts (minTempo 40–180, maxTempo 60–250).
      const retracked = track(
        'multifeature',
        Math.min(180, Math.max(40, candidate / 1.3)),
        Math.max(60, Math.min(250, candidate * 1.3)),
      );
      if (sameTempoFamily(retracked.bpm, periodicity.bpm, FAMILY_TOLERANCE)) tracked = retracked;
    }
    const grid = onBeatPhase(
      resolveTempoOctave(tracked, frames),
      frames,
      musicStart,
      musicEnd,
      firstSoundSec(mono, sampleRate),
    );
    const bars = findDownbeats(grid.beats, frames);
    const structure = analyzeStructure(bars.downbeats, durationSec, frames);
    const key = detectKey(essentia, signal, sampleRate);
    const dance = essentiaCall('Danceability', () => essentia.Danceability(signal, 8800, 310, sampleRate, 1.1));
    dance.dfa.delete();
    const timbre = timbreSummary(frames.spectra, sampleRate);
    return {
      analyzerVersion: ANALYZER_VERSION,
      durationSec: round(durationSec, 3),
      bpm: round(grid.bpm, 2),
      bpmConfidence: grid.confidence,
      beatJitterMs: grid.jitterMs,
      beats: grid.beats,
      beatPositions: bars.beatPositions,
      downbeats: bars.downbeats,
      beatsPerBar: bars.beatsPerBar,
      barPhaseConfidence: bars.confidence,
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
