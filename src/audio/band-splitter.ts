import { Biquad } from './biquad.ts';

export const LOW_MID_HZ = 200;
export const MID_HIGH_HZ = 2500;

/**
 * A DJ mixer's three-band EQ on one channel. Complementary split: low = lowpass(x), mid = lowpass(x − low),
 * high = x − low − mid, so at unity gains the output is the input exactly (no phase change when a transition starts).
 */
export class ThreeBandEq {
  private readonly low: Biquad[];
  private readonly mid: Biquad[];

  constructor(sampleRate: number) {
    this.low = [Biquad.lowpass(LOW_MID_HZ, sampleRate), Biquad.lowpass(LOW_MID_HZ, sampleRate)];
    this.mid = [Biquad.lowpass(MID_HIGH_HZ, sampleRate), Biquad.lowpass(MID_HIGH_HZ, sampleRate)];
  }

  process(x: number, gLow: number, gMid: number, gHigh: number): number {
    const low = this.low[1]!.process(this.low[0]!.process(x));
    const rest = x - low;
    const mid = this.mid[1]!.process(this.mid[0]!.process(rest));
    const high = rest - mid;
    return gLow * low + gMid * mid + gHigh * high;
  }
}

/** Equal-power fade: 0 → 1 as x goes 0 → 1 (clamped). */
export const fadeIn = (x: number): number => Math.sin((Math.PI / 2) * Math.min(1, Math.max(0, x)));
export const fadeOut = (x: number): number => Math.cos((Math.PI / 2) * Math.min(1, Math.max(0, x)));
