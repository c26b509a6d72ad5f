import { describe, expect, it } from 'vitest';
import { energyRiseEnvelope, riseEnvelope } from '../../src/audio/dsp/onset-envelope.ts';

describe('energyRiseEnvelope', () => {
  it("rises once where the energy steps up, on the caller's log scale, and not where it falls", () => {
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

describe('riseEnvelope', () => {
  it('rises from the read `lag` before, asking the caller once for each read from -lag, those before the signal included', () => {
    const levels = [5, 1, 2, 4, 4, 9];
    const asked: number[] = [];
    // Before the signal (reads -2 and -1): level 3.
    const env = riseEnvelope(
      4,
      (i) => {
        asked.push(i);
        return i < 0 ? 3 : levels[i]!;
      },
      2,
    );
    expect(asked).toEqual([-2, -1, 0, 1, 2, 3]);
    // 5-3, 1-3 (a fall: 0), 2-5 (0), 4-1.
    expect(Array.from(env)).toEqual([2, 0, 0, 3]);
    expect(
      riseEnvelope(0, () => {
        throw new Error('asked with no reads');
      }),
    ).toHaveLength(0);
  });
});
