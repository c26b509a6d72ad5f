import { describe, expect, it } from 'vitest';
import { energyRiseEnvelope } from '../../src/audio/dsp/onset-envelope.ts';

describe('energyRiseEnvelope', () => {
  it('rises once where the energy steps up, on the caller\'s log scale, and not where it falls', () => {
    // 0.5 for samples 100-199, silence elsewhere: reads of 20 samples every 10.
    const x = Float32Array.from({ length: 300 }, (_, i) => (i >= 100 && i < 200 ? 0.5 : 0));
    const reads: number[] = [];
    const env = energyRiseEnvelope(x, 20, 10, 29, (e, n) => {
      reads.push(n);
      return Math.log10(1e-6 + e / n);
    });
    expect(env.length).toBe(29);
    expect(reads.every((n) => n === 20)).toBe(true);
    // The first read rises from 0 (its level is below 0 here), read 9 covers half the step, read 10 all of it.
    expect(env[0]).toBe(0);
    expect(env[9]).toBeCloseTo(Math.log10(1e-6 + 0.125) + 6, 5);
    expect(env[10]).toBeCloseTo(Math.log10(1e-6 + 0.25) - Math.log10(1e-6 + 0.125), 5);
    for (const k of [1, 8, 11, 15, 19, 20, 28]) expect(env[k]).toBe(0);
  });
});
