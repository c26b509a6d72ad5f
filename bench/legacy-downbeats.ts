// The ears' bar phase before the bars were read from band music (kept only as the baseline bench:real -- bars measures
// against, in the same run): one phase for the track from beat-level cues, and the half-time rule that kept the beats
// with the most low end.
import { cosineDistance, spanFeatures } from '../src/audio/analysis/beat-sync.ts';
import type { SpectralFrames } from '../src/audio/analysis/spectral-frames.ts';
import { mean, zScores } from '../src/audio/dsp/stats.ts';

/** Index into `beats` of the first downbeat, as the ears chose it before. */
export function legacyBarPhase(beats: number[], frames: SpectralFrames, beatsPerBar = 4): number {
  if (beats.length < beatsPerBar * 2) return 0;
  const period = mean(beats.slice(1).map((t, i) => t - beats[i]!));
  const f = spanFeatures(frames, [...beats, beats.at(-1)! + period]);
  const harmonicChange = f.chroma.map((c, i) => (i === 0 ? 0 : cosineDistance(c, f.chroma[i - 1]!)));
  const logLow = f.low.map((v) => Math.log10(v + 1e-9));
  const lowRise = logLow.map((v, i) => (i === 0 ? 0 : Math.max(0, v - logLow[i - 1]!)));
  const logEnergy = f.energy.map((v) => Math.log10(v + 1e-9));
  const energyJump = logEnergy.map((v, i) => (i === 0 ? 0 : Math.abs(v - logEnergy[i - 1]!)));
  const cues = {
    harmonic: zScores(harmonicChange),
    lowRise: zScores(lowRise),
    lowAttack: zScores(f.attackLowFlux),
    energyJump: zScores(energyJump),
    backbeat: zScores(f.attackMidFlux),
  };
  const at = (values: number[], p: number, odd: boolean | undefined): number =>
    mean(
      values.filter((_, i) => {
        const pos = (i - p + beatsPerBar * 1000) % beatsPerBar;
        return odd === undefined ? pos === 0 : pos % 2 === (odd ? 1 : 0);
      }),
    );
  const scores = Array.from(
    { length: beatsPerBar },
    (_, p) =>
      1.0 * at(cues.harmonic, p, undefined) +
      0.5 * at(cues.lowRise, p, undefined) +
      0.3 * at(cues.lowAttack, p, undefined) +
      0.7 * at(cues.energyJump, p, undefined) +
      (beatsPerBar % 2 === 0 ? 0.5 * (at(cues.backbeat, p, true) - at(cues.backbeat, p, false)) : 0),
  );
  return scores.reduce((best, s, p) => (s > scores[best]! ? p : best), 0);
}

/** Which of every other beat the halving of a tracked tempo kept before: the one with more low-band onsets. */
export function legacyHalfTimeParity(beats: number[], frames: SpectralFrames): 0 | 1 {
  const period = (beats.at(-1)! - beats[0]!) / (beats.length - 1);
  const f = spanFeatures(frames, [...beats, beats.at(-1)! + period]);
  return mean(f.attackLowFlux.filter((_, i) => i % 2 === 0)) >= mean(f.attackLowFlux.filter((_, i) => i % 2 === 1))
    ? 0
    : 1;
}
