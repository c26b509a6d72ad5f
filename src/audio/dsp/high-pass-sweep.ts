/**
 * A DJ mixer's high-pass filter knob on one channel: 24 dB/octave (two state-variable stages, Butterworth Q), its
 * cutoff moved block by block without clicks (the topology-preserving SVF keeps its state meaningful as the cutoff
 * changes), and a wet amount to bring it in from the dry signal.
 */
export class HighPassSweep {
  private readonly sampleRate: number;
  /** ic1eq, ic2eq of each stage. */
  private readonly state = new Float64Array(4);
  private a1 = 0;
  private a2 = 0;
  private a3 = 0;
  private static readonly K = Math.SQRT2;

  constructor(sampleRate: number) {
    this.sampleRate = sampleRate;
    this.setCutoff(20);
  }

  setCutoff(hz: number): void {
    const g = Math.tan((Math.PI * Math.min(hz, 0.45 * this.sampleRate)) / this.sampleRate);
    this.a1 = 1 / (1 + g * (g + HighPassSweep.K));
    this.a2 = g * this.a1;
    this.a3 = g * this.a2;
  }

  /** `n` samples of `buf` in place: (1 − wet) × dry + wet × high-passed. */
  process(buf: Float64Array, n: number, wet: number): void {
    const { a1, a2, a3 } = this;
    const k = HighPassSweep.K;
    const s = this.state;
    let c1 = s[0]!,
      c2 = s[1]!,
      d1 = s[2]!,
      d2 = s[3]!;
    for (let i = 0; i < n; i++) {
      const x = buf[i]!;
      let v3 = x - c2;
      let v1 = a1 * c1 + a2 * v3;
      let v2 = c2 + a2 * c1 + a3 * v3;
      c1 = 2 * v1 - c1;
      c2 = 2 * v2 - c2;
      const h = x - k * v1 - v2;
      v3 = h - d2;
      v1 = a1 * d1 + a2 * v3;
      v2 = d2 + a2 * d1 + a3 * v3;
      d1 = 2 * v1 - d1;
      d2 = 2 * v2 - d2;
      buf[i] = x + wet * (h - k * v1 - v2 - x);
    }
    s[0] = c1;
    s[1] = c2;
    s[2] = d1;
    s[3] = d2;
  }
}
