import { LowpassCascade } from '../dsp/lowpass-cascade.ts';
import { parabolicOffset } from '../dsp/peak-interpolation.ts';
import { energyRiseEnvelope } from '../dsp/onset-envelope.ts';

/** Onset envelope with sub-millisecond steps (the analysis uses the same one). */
export { onsetEnvelope as fineOnsetEnvelope } from './spectral-frames.ts';

/** Strongest onset within ±window of `t` (seconds), refined by parabolic interpolation; strength 0 when none. */
export function snapOnset(
  env: Float32Array,
  step: number,
  t: number,
  window: number,
): { time: number; strength: number } {
  const lo = Math.max(1, Math.floor((t - window) / step));
  const hi = Math.min(env.length - 2, Math.ceil((t + window) / step));
  let best = -1;
  let at = -1;
  for (let i = lo; i <= hi; i++) {
    if (env[i]! > best) {
      best = env[i]!;
      at = i;
    }
  }
  if (at < 0 || best <= 0) return { time: t, strength: 0 };
  // A neighbour beyond the window may be larger than the best within it: the upward parabola's vertex is then taken.
  return { time: (at + parabolicOffset(env[at - 1]!, best, env[at + 1]!, true)) * step, strength: best };
}

/** The kick and bass band (below ~150 Hz): where a four-on-the-floor beat is unambiguous. */
export function lowBand(mono: Float32Array, sampleRate: number, cutoffHz = 150): Float32Array {
  return new LowpassCascade(cutoffHz, sampleRate).run(mono, 0, mono.length, new Float32Array(mono.length));
}

/**
 * Smooth onset envelope for aligning a rendered signal with its source: log RMS over a 10 ms window every `hop`
 * samples, rectified rise. The window is longer than a bass period, so the envelope follows notes, not waveforms.
 */
export function alignmentEnvelope(mono: Float32Array, sampleRate: number, hop = 32): Float32Array {
  const win = Math.round(0.01 * sampleRate);
  return energyRiseEnvelope(mono, win, hop, Math.floor((mono.length - win) / hop), (e, n) => Math.log10(1e-9 + e / n));
}
