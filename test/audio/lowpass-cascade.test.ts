import { describe, expect, it } from 'vitest';
import { LowpassCascade } from '../../src/audio/dsp/lowpass-cascade.ts';

const RATE = 48_000;
const tone = (hz: number, n: number): Float32Array =>
  Float32Array.from({ length: n }, (_, i) => Math.sin((2 * Math.PI * hz * i) / RATE));
const rmsDb = (x: ArrayLike<number>, from: number): number => {
  let e = 0;
  for (let i = from; i < x.length; i++) e += x[i]! * x[i]!;
  return 10 * Math.log10(e / (x.length - from));
};

describe('LowpassCascade', () => {
  it('is fourth order: −6 dB at its cutoff, about −24 dB an octave above it past the knee', () => {
    const gain = (hz: number): number => {
      const x = tone(hz, RATE);
      return (
        rmsDb(new LowpassCascade(150, RATE).run(x, 0, x.length, new Float64Array(x.length)), RATE / 2) -
        rmsDb(x, RATE / 2)
      );
    };
    expect(gain(150)).toBeCloseTo(-6.02, 1);
    expect(gain(40)).toBeGreaterThan(-0.1);
    expect(gain(2400) - gain(1200)).toBeCloseTo(-24, 0);
  });

  it('gives the same samples block by block as in one run', () => {
    const x = tone(90, 4000).map((v, i) => v + (i % 97 === 0 ? 1 : 0));
    const whole = new LowpassCascade(150, RATE).run(x, 0, x.length, new Float64Array(x.length));
    const blocks = new LowpassCascade(150, RATE);
    const out = new Float64Array(x.length);
    for (let at = 0; at < x.length; at += 64)
      out.set(blocks.run(x, at, Math.min(x.length, at + 64), new Float64Array(Math.min(64, x.length - at))), at);
    expect(Array.from(out)).toEqual(Array.from(whole));
  });
});
