import { describe, expect, it } from 'vitest';
import { computeSpectralFrames } from '../src/audio/analysis/spectral-frames.ts';
import { multibandTempo, sameTempoFamily } from '../src/audio/analysis/tempo-periodicity.ts';

const SR = 44100;

/** Deterministic noise. */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32) * 2 - 1;
}

/** First-order high-pass (about 4 kHz at 44.1 kHz): the strums and the melody are bright, the bass is not. */
function bright(x: Float32Array): Float32Array {
  const y = new Float32Array(x.length);
  let prevIn = 0;
  let prevOut = 0;
  for (let i = 0; i < x.length; i++) {
    prevOut = 0.7 * (prevOut + x[i]! - prevIn);
    prevIn = x[i]!;
    y[i] = prevOut;
  }
  return y;
}

/**
 * Bass notes on the beat, a soft bright strum on the off-beat and, with `melody`, louder bright accents at irregular
 * times (a free melody over a steady bass: a broadband or high-band onset function follows the melody).
 */
function oomPah(bpm: number, seconds: number, melody: boolean): Float32Array {
  const out = new Float32Array(seconds * SR);
  const high = new Float32Array(seconds * SR);
  const noise = lcg(7);
  const beat = 60 / bpm;
  const add = (into: Float32Array, t: number, render: (i: number) => number, len: number): void => {
    const start = Math.round(t * SR);
    for (let i = 0; i < len * SR && start + i < into.length; i++)
      into[start + i]! += render(i) * Math.exp(-i / (0.06 * SR));
  };
  for (let t = 0.1; t < seconds; t += beat) {
    add(out, t, (i) => 0.6 * Math.sin((2 * Math.PI * 65 * i) / SR), 0.3);
    add(high, t + beat / 2, () => (melody ? 0.05 : 0.15) * noise(), 0.15);
  }
  if (melody) {
    const at = lcg(11);
    for (let t = 0.3; t < seconds; t += 0.35 + 0.5 * Math.abs(at())) add(high, t, () => 0.8 * noise(), 0.2);
  }
  const h = bright(high);
  for (let i = 0; i < out.length; i++) out[i]! += h[i]!;
  return out;
}

describe('multibandTempo', () => {
  it('finds the beat of a steady bass under irregular bright accents (an unmetered melody)', () => {
    const frames = computeSpectralFrames(oomPah(74, 20, true), SR);
    expect(sameTempoFamily(multibandTempo(frames).bpm, 74)).toBe(true);
    // The high band alone is fooled: the three bands are what finds it.
    expect(
      sameTempoFamily(multibandTempo({ ...frames, lowFlux: frames.highFlux, midFlux: frames.highFlux }).bpm, 74),
    ).toBe(false);
  });

  it('finds the tempo of a plain bass-and-strum pattern', () => {
    const est = multibandTempo(computeSpectralFrames(oomPah(128, 20, false), SR));
    expect(sameTempoFamily(est.bpm, 128)).toBe(true);
    expect(est.salience(est.bpm)).toBeGreaterThan(est.salience(128 * 1.2));
  });
});

describe('sameTempoFamily', () => {
  it('accepts the metrical levels Accuracy2 accepts and nothing else', () => {
    for (const k of [1, 2, 0.5, 3, 1 / 3]) expect(sameTempoFamily(100 * k * 1.03, 100)).toBe(true);
    for (const k of [1.2, 1.25, 4 / 3, 1.5, 2 / 3, 0.75]) expect(sameTempoFamily(100 * k, 100)).toBe(false);
  });
});
