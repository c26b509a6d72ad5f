import { cosineDistance, spanFeatures } from './beat-sync.ts';
import type { SpectralFrames } from './spectral-frames.ts';
import { mean, zScores } from '../dsp/stats.ts';

export interface BarGrid {
  beatsPerBar: number;
  /** Index into `beats` of the first downbeat. */
  phase: number;
  downbeats: number[];
  beatPositions: number[];
  /** Score margin of the chosen phase over the runner-up, in standard deviations of the cue features. */
  margin: number;
}

/**
 * essentia.js has no downbeat tracker, so the bar phase is inferred from what marks a downbeat in most popular music:
 * harmonic change (chords and bass notes change on the one), bass/kick onsets, and the backbeat (snare or clap on
 * 2 and 4, so never on the one). Each cue is beat-synchronous; the phase whose beats carry them best wins.
 */
export function findDownbeats(beats: number[], frames: SpectralFrames, beatsPerBar = 4): BarGrid {
  if (beats.length < beatsPerBar * 2) {
    return { beatsPerBar, phase: 0, downbeats: beats.filter((_, i) => i % beatsPerBar === 0), beatPositions: beats.map((_, i) => (i % beatsPerBar) + 1), margin: 0 };
  }
  const period = mean(beats.slice(1).map((t, i) => t - beats[i]!));
  const edges = [...beats, beats.at(-1)! + period];
  const f = spanFeatures(frames, edges);
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
  const scores: number[] = [];
  for (let p = 0; p < beatsPerBar; p++) {
    const on = (values: number[]): number => mean(values.filter((_, i) => (i - p + beatsPerBar * 1000) % beatsPerBar === 0));
    const backbeatOn = (values: number[]): number =>
      mean(values.filter((_, i) => (i - p + beatsPerBar * 1000) % beatsPerBar % 2 === 1));
    const backbeatOff = (values: number[]): number =>
      mean(values.filter((_, i) => (i - p + beatsPerBar * 1000) % beatsPerBar % 2 === 0));
    scores.push(
      1.0 * on(cues.harmonic) +
        0.5 * on(cues.lowRise) +
        0.3 * on(cues.lowAttack) +
        0.7 * on(cues.energyJump) +
        (beatsPerBar % 2 === 0 ? 0.5 * (backbeatOn(cues.backbeat) - backbeatOff(cues.backbeat)) : 0),
    );
  }
  const order = scores.map((s, p) => [s, p] as const).sort((a, b) => b[0] - a[0]);
  const phase = order[0]![1];
  const downbeats: number[] = [];
  const beatPositions: number[] = [];
  beats.forEach((t, i) => {
    const pos = (((i - phase) % beatsPerBar) + beatsPerBar) % beatsPerBar;
    beatPositions.push(pos + 1);
    if (pos === 0) downbeats.push(t);
  });
  return { beatsPerBar, phase, downbeats, beatPositions, margin: order[0]![0] - (order[1]?.[0] ?? 0) };
}
