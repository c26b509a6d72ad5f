import { Biquad } from './biquad.ts';

export const LOW_MID_HZ = 200;
export const MID_HIGH_HZ = 2500;

/**
 * A DJ mixer's three-band EQ on one channel. Complementary split: low = lowpass(x), mid = lowpass(x − low),
 * high = x − low − mid, so at unity gains the output is the input exactly (no phase change when a transition starts).
 * Each lowpass is two cascaded biquads; the four run in one loop with their state in locals (the renderer's hottest
 * code), with the same arithmetic as `Biquad.process`.
 */
export class ThreeBandEq {
  private readonly low: Biquad;
  private readonly mid: Biquad;
  /** x1, x2, y1, y2 of: low stage 1, low stage 2, mid stage 1, mid stage 2. */
  private readonly state = new Float64Array(16);
  private out = new Float64Array(0);

  constructor(sampleRate: number) {
    this.low = Biquad.lowpass(LOW_MID_HZ, sampleRate);
    this.mid = Biquad.lowpass(MID_HIGH_HZ, sampleRate);
  }

  /**
   * `n` samples read from `input` at `offset`, `offset + stride`, … (one channel of interleaved audio), the bands
   * weighted by the gains. Returns a scratch buffer, valid until the next call.
   */
  processBlock(input: Float32Array, offset: number, stride: number, n: number, gLow: number, gMid: number, gHigh: number): Float64Array {
    if (this.out.length < n) this.out = new Float64Array(n);
    const out = this.out;
    const { b0: lb0, b1: lb1, b2: lb2, a1: la1, a2: la2 } = this.low;
    const { b0: mb0, b1: mb1, b2: mb2, a1: ma1, a2: ma2 } = this.mid;
    const s = this.state;
    let ax1 = s[0]!, ax2 = s[1]!, ay1 = s[2]!, ay2 = s[3]!, bx1 = s[4]!, bx2 = s[5]!, by1 = s[6]!, by2 = s[7]!;
    let cx1 = s[8]!, cx2 = s[9]!, cy1 = s[10]!, cy2 = s[11]!, dx1 = s[12]!, dx2 = s[13]!, dy1 = s[14]!, dy2 = s[15]!;
    for (let k = 0; k < n; k++) {
      const x = input[offset + k * stride]!;
      const l1 = lb0 * x + lb1 * ax1 + lb2 * ax2 - la1 * ay1 - la2 * ay2;
      ax2 = ax1;
      ax1 = x;
      ay2 = ay1;
      ay1 = l1;
      const low = lb0 * l1 + lb1 * bx1 + lb2 * bx2 - la1 * by1 - la2 * by2;
      bx2 = bx1;
      bx1 = l1;
      by2 = by1;
      by1 = low;
      const rest = x - low;
      const m1 = mb0 * rest + mb1 * cx1 + mb2 * cx2 - ma1 * cy1 - ma2 * cy2;
      cx2 = cx1;
      cx1 = rest;
      cy2 = cy1;
      cy1 = m1;
      const mid = mb0 * m1 + mb1 * dx1 + mb2 * dx2 - ma1 * dy1 - ma2 * dy2;
      dx2 = dx1;
      dx1 = m1;
      dy2 = dy1;
      dy1 = mid;
      out[k] = gLow * low + gMid * mid + gHigh * (rest - mid);
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
