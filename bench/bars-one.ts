// Child of bench:real's bars section: analyses one file and reads its bars as the ears do now and did before (on the
// same beats), and as the bar check reads a deck at its cues. Prints one JSON object.
import { analyzePcm } from '../src/audio/analysis/analyze-pcm.ts';
import { decodeForAnalysis } from '../src/audio/analysis/decode-for-analysis.ts';
import { findDownbeats, halfTimeParity } from '../src/audio/analysis/downbeats.ts';
import { loadEssentia } from '../src/audio/analysis/essentia-runtime.ts';
import { computeSpectralFrames } from '../src/audio/analysis/spectral-frames.ts';
import type { SpectralFrames } from '../src/audio/analysis/spectral-frames.ts';
import { audioLimitsFromEnv } from '../src/audio/io/limits.ts';
import { deckBars } from '../src/audio/transition/bar-check.ts';
import { legacyBarPhase, legacyHalfTimeParity } from './legacy-downbeats.ts';

const BARS_READ = 8;
const cpuMs = (from: NodeJS.CpuUsage): number => {
  const u = process.cpuUsage(from);
  return (u.user + u.system) / 1000;
};

/**
 * Produced music starts on a downbeat (or an anacrusis under a beat): the phase of the first beat from the music's
 * first sound on, allowing 0.3 of a beat of pickup. A proxy for the released tracks, whose bars nobody annotated.
 */
function startPhase(frames: SpectralFrames, beats: number[], bpm: number): number {
  const level = (i: number): number => frames.low[i]! + frames.mid[i]! + frames.high[i]!;
  let loudest = 0;
  for (let i = 0; i < frames.count; i++) loudest = Math.max(loudest, level(i));
  let first = 0;
  while (first < frames.count - 1 && level(first) < 1e-4 * loudest) first++;
  const beatSec = 60 / bpm;
  const startSec = frames.frameTime(first) - frames.frameSize / 2 / frames.sampleRate;
  const k = Math.ceil((startSec - 0.3 * beatSec - beats[0]!) / beatSec);
  return ((k % 4) + 4) % 4;
}

const file = process.argv[2]!;
try {
  const input = await decodeForAnalysis(file, audioLimitsFromEnv());
  let t = process.cpuUsage();
  const analysis = analyzePcm(input, loadEssentia());
  const analysisMs = cpuMs(t);
  const frames = computeSpectralFrames(input.mono, input.sampleRate);
  const { beats } = analysis;
  t = process.cpuUsage();
  const bars = findDownbeats(beats, frames);
  const parity = beats.length >= 16 ? halfTimeParity(beats, frames) : undefined;
  const barsMs = cpuMs(t);
  t = process.cpuUsage();
  const legacyPhase = legacyBarPhase(beats, frames);
  const legacyParity = beats.length >= 16 ? legacyHalfTimeParity(beats, frames) : undefined;
  const legacyMs = cpuMs(t);
  // The bar check's reading of this track as a deck: 8 bars from each cue, on the ears' bars and half a bar later.
  const readings = [];
  for (const [cue, at] of [
    ['mixIn', analysis.cues.mixIn],
    ['mixOut', analysis.cues.mixOut],
  ] as const) {
    for (const shift of [0, 2]) {
      const first = beats.findIndex((b) => Math.abs(b - at) < 1e-3) + shift;
      if (first < shift || first + 4 * BARS_READ >= beats.length) continue;
      const from = beats[first]!;
      const deck = input.mono.subarray(Math.round(from * input.sampleRate));
      readings.push({
        cue,
        shift,
        ...deckBars(
          deck,
          input.sampleRate,
          1,
          beats.slice(first, first + 4 * BARS_READ).map((b) => b - from),
          () => 0,
        ),
      });
    }
  }
  process.stdout.write(
    JSON.stringify({
      ok: true,
      startPhase: startPhase(frames, beats, analysis.bpm),
      bpm: analysis.bpm,
      beats,
      phase: bars.phase,
      confidence: analysis.barPhaseConfidence,
      downbeats: analysis.downbeats,
      legacyPhase,
      legacyDownbeats: beats.filter((_, i) => (i - legacyPhase) % 4 === 0 && i >= legacyPhase),
      parity,
      legacyParity,
      readings,
      cpu: { analysisMs, barsMs, legacyMs },
    }),
  );
} catch (err) {
  process.stdout.write(JSON.stringify({ ok: false, error: (err as Error).message }));
}
