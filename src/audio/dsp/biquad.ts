/** Direct-form-I biquad with state kept across calls, so a stream can be filtered chunk by chunk. */
export class Biquad {
  private x1 = 0;
  private x2 = 0;
  private y1 = 0;
  private y2 = 0;
  /** Normalized coefficients (a0 = 1): public so hot loops can run the same arithmetic with their state in locals. */
  readonly b0: number;
  readonly b1: number;
  readonly b2: number;
  readonly a1: number;
  readonly a2: number;

  constructor(b: readonly [number, number, number], a: readonly [number, number, number]) {
    this.b0 = b[0] / a[0];
    this.b1 = b[1] / a[0];
    this.b2 = b[2] / a[0];
    this.a1 = a[1] / a[0];
    this.a2 = a[2] / a[0];
  }

  process(x: number): number {
    const y = this.b0 * x + this.b1 * this.x1 + this.b2 * this.x2 - this.a1 * this.y1 - this.a2 * this.y2;
    this.x2 = this.x1;
    this.x1 = x;
    this.y2 = this.y1;
    this.y1 = y;
    return y;
  }

  static highpass(fc: number, fs: number, q = Math.SQRT1_2): Biquad {
    const w0 = (2 * Math.PI * fc) / fs;
    const alpha = Math.sin(w0) / (2 * q);
    const c = Math.cos(w0);
    return new Biquad([(1 + c) / 2, -(1 + c), (1 + c) / 2], [1 + alpha, -2 * c, 1 - alpha]);
  }

  static lowpass(fc: number, fs: number, q = Math.SQRT1_2): Biquad {
    const w0 = (2 * Math.PI * fc) / fs;
    const alpha = Math.sin(w0) / (2 * q);
    const c = Math.cos(w0);
    return new Biquad([(1 - c) / 2, 1 - c, (1 - c) / 2], [1 + alpha, -2 * c, 1 - alpha]);
  }
}
