import { AudioInputError } from '../io/audio-input-error.ts';
import { decodeAudioFile } from '../io/decode.ts';
import type { AudioLimits } from '../io/limits.ts';
import type { VettedMedia } from '../io/vet-media.ts';
import { LoudnessMeter } from '../dsp/loudness.ts';
import { concatSamples, toMono } from '../io/pcm.ts';
import { TruePeakMeter } from '../dsp/true-peak.ts';

/** essentia's rhythm algorithms assume 44.1 kHz. */
const ANALYSIS_RATE = 44100;
const SILENCE_PEAK_DB = -60;

export interface AnalysisInput {
  mono: Float32Array;
  sampleRate: number;
  durationSec: number;
  loudnessLufs: number;
  loudnessRangeLu: number;
  truePeakDb: number;
}

/**
 * One decode pass: stereo loudness and true peak are metered on the stream; only a mono copy is kept. `media`: the
 * file as already vetted (decodeAudioFile).
 */
export async function decodeForAnalysis(
  file: string,
  limits: AudioLimits,
  ffmpeg?: string,
  media?: VettedMedia,
): Promise<AnalysisInput> {
  const loudness = new LoudnessMeter(ANALYSIS_RATE, 2);
  const peak = new TruePeakMeter(2);
  const chunks: Float32Array[] = [];
  const result = await decodeAudioFile(file, {
    sampleRate: ANALYSIS_RATE,
    channels: 2,
    limits,
    ffmpeg,
    media,
    onChunk: (stereo) => {
      loudness.push(stereo);
      peak.push(stereo);
      chunks.push(toMono(stereo, 2));
    },
  });
  const mono = concatSamples(chunks, result.frames);
  chunks.length = 0;
  const truePeakDb = peak.truePeakDb();
  const loudnessLufs = loudness.integrated();
  if (truePeakDb < SILENCE_PEAK_DB || !Number.isFinite(loudnessLufs)) {
    throw new AudioInputError(
      'silent',
      `The track is silent (its peak is ${Number.isFinite(truePeakDb) ? truePeakDb.toFixed(0) : '-∞'} dBFS); there is nothing to analyse or play.`,
    );
  }
  return {
    mono,
    sampleRate: ANALYSIS_RATE,
    durationSec: result.durationSec,
    loudnessLufs,
    loudnessRangeLu: loudness.loudnessRange(),
    truePeakDb,
  };
}
