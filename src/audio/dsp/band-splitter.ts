import { Biquad } from './biquad.ts';

const LOW_MID_HZ = 200;
const MID_HIGH_HZ = 2500;

/**
 * A DJ mixer's three-band EQ on one channel, for nested gains (low ≤ mid ≤ high: a deck leaves from the bottom up
 * and enters from the top down, as every transition curve does): x at the low gain, plus what lies above 200 Hz at
 * (mid − low), plus what lies above 2.5 kHz at (high − mid), each split a Linkwitz–Riley (24 dB/octave) high-pass.
 * At unity gains the output is the input exactly (no phase change when a transition starts), and a band at 0 is
 * really gone: a low kill leaves 100 Hz at −25 dB and 50 Hz at −48 dB. (The complementary split it replaces,
 * x − lowpass(x), left the bass at +2.5 dB at 100 Hz with the low band "killed": its phase shift made the
 * difference anything but a high-pass.) The four biquads run in one loop with their state in locals (the
 * renderer's hottest code), with the same arithmetic as `Biquad.process`.
 */
export class ThreeBandEq {
  private readonly low: Biquad;
  private readonly high: Biquad;
  /** x1, x2, y1, y2 of: 200 Hz stage 1, stage 2, 2.5 kHz stage 1, stage 2. */
  private readonly state = new Float64Array(16);
  private out = new Float64Array(0);

  constructor(sampleRate: number) {
    this.low = Biquad.highpass(LOW_MID_HZ, sampleRate);
    this.high = Biquad.highpass(MID_HIGH_HZ, sampleRate);
  }

  /**
   * `n` samples read from `input` at `offset`, `offset + stride`, … (one channel of interleaved audio), the bands
   * weighted by the gains. Returns a scratch buffer, valid until the next call.
   */
  processBlock(
    input: Float32Array,
    offset: number,
    stride: number,
    n: number,
    gLow: number,
    gMid: number,
    gHigh: number,
  ): Float64Array {
    if (this.out.length < n) this.out = new Float64Array(n);
    const out = this.out;
    const { b0: lb0, b1: lb1, b2: lb2, a1: la1, a2: la2 } = this.low;
    const { b0: hb0, b1: hb1, b2: hb2, a1: ha1, a2: ha2 } = this.high;
    const s = this.state;
    let ax1 = s[0]!,
      ax2 = s[1]!,
      ay1 = s[2]!,
      ay2 = s[3]!,
      bx1 = s[4]!,
      bx2 = s[5]!,
      by1 = s[6]!,
      by2 = s[7]!;
    let cx1 = s[8]!,
      cx2 = s[9]!,
      cy1 = s[10]!,
      cy2 = s[11]!,
      dx1 = s[12]!,
      dx2 = s[13]!,
      dy1 = s[14]!,
      dy2 = s[15]!;
    const gAbove200 = gMid - gLow;
    const gAbove2500 = gHigh - gMid;
    for (let k = 0; k < n; k++) {
      const x = input[offset + k * stride]!;
      const l1 = lb0 * x + lb1 * ax1 + lb2 * ax2 - la1 * ay1 - la2 * ay2;
      ax2 = ax1;
      ax1 = x;
      ay2 = ay1;
      ay1 = l1;
      const above200 = lb0 * l1 + lb1 * bx1 + lb2 * bx2 - la1 * by1 - la2 * by2;
      bx2 = bx1;
      bx1 = l1;
      by2 = by1;
      by1 = above200;
      const h1 = hb0 * above200 + hb1 * cx1 + hb2 * cx2 - ha1 * cy1 - ha2 * cy2;
      cx2 = cx1;
      cx1 = above200;
      cy2 = cy1;
      cy1 = h1;
      const above2500 = hb0 * h1 + hb1 * dx1 + hb2 * dx2 - ha1 * dy1 - ha2 * dy2;
      dx2 = dx1;
      dx1 = h1;
      dy2 = dy1;
      dy1 = above2500;
      out[k] = gLow * x + gAbove200 * above200 + gAbove2500 * above2500;
    }
    // One by one: an array literal here would be garbage on every block.
    s[0] = ax1;
    s[1] = ax2;
    s[2] = ay1;
    s[3] = ay2;
    s[4] = bx1;
    s[5] = bx2;
    s[6] = by1;
    s[7] = by2;
    s[8] = cx1;
    s[9] = cx2;
    s[10] = cy1;
    s[11] = cy2;
    s[12] = dx1;
    s[13] = dx2;
    s[14] = dy1;
    s[15] = dy2;
    return out;
  }
}

/** Equal-power fade: 0 → 1 as x goes 0 → 1 (clamped). */
export const fadeIn = (x: number): number => Math.sin((Math.PI / 2) * Math.min(1, Math.max(0, x)));
export const fadeOut = (x: number): number => Math.cos((Math.PI / 2) * Math.min(1, Math.max(0, x)));
