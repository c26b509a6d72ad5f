import { Biquad } from './biquad.ts';

/**
 * A fourth-order low-pass (24 dB/octave): two cascaded Butterworth sections at one cutoff, state kept across calls so
 * a signal can be filtered block by block. The sections run with their state in locals: the ears' hot loops use it.
 */
export class LowpassCascade {
  private readonly s1: Biquad;
  private readonly s2: Biquad;
  private x1 = 0;
  private x2 = 0;
  private y1 = 0;
  private y2 = 0;
  private z1 = 0;
  private z2 = 0;

  constructor(cutoffHz: number, sampleRate: number) {
    this.s1 = Biquad.lowpass(cutoffHz, sampleRate);
    this.s2 = Biquad.lowpass(cutoffHz, sampleRate);
  }

  /** Filters input[from, to) into out[0, to − from); returns out. */
  run<T extends Float32Array | Float64Array>(input: Float32Array | Float64Array, from: number, to: number, out: T): T {
    const { s1, s2 } = this;
    let { x1, x2, y1, y2, z1, z2 } = this;
    for (let i = from; i < to; i++) {
      const x = input[i]!;
      const y = s1.b0 * x + s1.b1 * x1 + s1.b2 * x2 - s1.a1 * y1 - s1.a2 * y2;
      x2 = x1;
      x1 = x;
      const z = s2.b0 * y + s2.b1 * y1 + s2.b2 * y2 - s2.a1 * z1 - s2.a2 * z2;
      y2 = y1;
      y1 = y;
      z2 = z1;
      z1 = z;
      out[i - from] = z;
    }
    Object.assign(this, { x1, x2, y1, y2, z1, z2 });
    return out;
  }
}
