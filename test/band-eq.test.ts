import { describe, expect, it } from 'vitest';
import { ThreeBandEq } from '../src/audio/dsp/band-splitter.ts';
import { HighPassSweep } from '../src/audio/dsp/high-pass-sweep.ts';

const RATE = 48_000;

/** Level (dB) of half a second of a sine at `hz` through `filter`, against the sine itself, over its settled half. */
function sineGainDb(hz: number, filter: (x: Float64Array) => ArrayLike<number>): number {
  const n = RATE / 2;
  const x = Float64Array.from({ length: n }, (_, i) => Math.sin((2 * Math.PI * hz * i) / RATE));
  const y = filter(x.slice());
  let ex = 0;
  let ey = 0;
  for (let i = n / 2; i < n; i++) {
    ex += x[i]! ** 2;
    ey += y[i]! ** 2;
  }
  return 10 * Math.log10(ey / ex);
}

/** Level (dB) of a sine at `hz` through the EQ at the given gains. */
const gainDb = (hz: number, gLow: number, gMid: number, gHigh: number): number =>
  sineGainDb(hz, (x) => new ThreeBandEq(RATE).processBlock(Float32Array.from(x), 0, 1, x.length, gLow, gMid, gHigh));

describe('three-band EQ', () => {
  it('is the input exactly at unity gains', () => {
    const x = Float32Array.from({ length: 4800 }, (_, i) => Math.sin(i / 7) * 0.5 + Math.sin(i / 300) * 0.3);
    const y = new ThreeBandEq(RATE).processBlock(x, 0, 1, x.length, 1, 1, 1);
    for (let i = 0; i < x.length; i++) expect(y[i]).toBe(x[i]);
  });

  it('kills the bass for real: 24 dB/octave under 200 Hz, the mids and highs untouched', () => {
    expect(gainDb(50, 0, 1, 1)).toBeLessThan(-45);
    expect(gainDb(100, 0, 1, 1)).toBeLessThan(-22);
    expect(Math.abs(gainDb(1000, 0, 1, 1))).toBeLessThan(0.1);
    expect(Math.abs(gainDb(8000, 0, 1, 1))).toBeLessThan(0.1);
  });

  it('leaves only the highs with the low and mid bands killed, and scales a band by its gain', () => {
    expect(gainDb(100, 0, 0, 1)).toBeLessThan(-60);
    expect(gainDb(600, 0, 0, 1)).toBeLessThan(-22);
    expect(Math.abs(gainDb(10_000, 0, 0, 1))).toBeLessThan(0.1);
    expect(Math.abs(gainDb(50, 0.5, 1, 1) + 6.02)).toBeLessThan(0.2);
    expect(Math.abs(gainDb(8000, 0, 0, 0.5) + 6.02)).toBeLessThan(0.2);
  });
});

describe('high-pass sweep', () => {
  /** Level (dB) of a sine at `hz` through the filter at `cutoffHz`. */
  const sweepDb = (hz: number, cutoffHz: number, wet: number): number =>
    sineGainDb(hz, (y) => {
      const filter = new HighPassSweep(RATE);
      filter.setCutoff(cutoffHz);
      filter.process(y, y.length, wet);
      return y;
    });

  it('is 24 dB/octave: −6 dB at the cutoff, −48 dB two octaves under, the top untouched', () => {
    expect(Math.abs(sweepDb(1000, 1000, 1) + 6.02)).toBeLessThan(0.2);
    expect(sweepDb(250, 1000, 1)).toBeLessThan(-46);
    expect(Math.abs(sweepDb(8000, 1000, 1))).toBeLessThan(0.1);
  });

  it('is the input when dry', () => {
    const x = Float64Array.from({ length: 4800 }, (_, i) => Math.sin(i / 7) * 0.5);
    const y = x.slice();
    new HighPassSweep(RATE).process(y, y.length, 0);
    expect(Array.from(y)).toEqual(Array.from(x));
  });
});
