import { Biquad } from './biquad.ts';

/** ITU-R BS.1770-4 K-weighting, derived for any sample rate (the standard only tabulates 48 kHz). */
function kWeighting(fs: number): [Biquad, Biquad] {
  const gainDb = 3.99984385397;
  const shelfQ = 0.7071752369554193;
  const shelfFc = 1681.9744509555319;
  const A = 10 ** (gainDb / 40);
  let w0 = (2 * Math.PI * shelfFc) / fs;
  let alpha = Math.sin(w0) / (2 * shelfQ);
  let c = Math.cos(w0);
  const sA = 2 * Math.sqrt(A) * alpha;
  const shelf = new Biquad(
    [A * (A + 1 + (A - 1) * c + sA), -2 * A * (A - 1 + (A + 1) * c), A * (A + 1 + (A - 1) * c - sA)],
    [A + 1 - (A - 1) * c + sA, 2 * (A - 1 - (A + 1) * c), A + 1 - (A - 1) * c - sA],
  );
  const hpQ = 0.5003270373253953;
  const hpFc = 38.13547087613982;
  w0 = (2 * Math.PI * hpFc) / fs;
  alpha = Math.sin(w0) / (2 * hpQ);
  c = Math.cos(w0);
  const highpass = new Biquad([1, -2, 1], [1 + alpha, -2 * c, 1 - alpha]);
  return [shelf, highpass];
}

const ABSOLUTE_GATE = -70;

function toLufs(meanSquare: number): number {
  return meanSquare > 0 ? -0.691 + 10 * Math.log10(meanSquare) : -Infinity;
}

/**
 * Streaming EBU R128 meter: integrated loudness, loudness range and short-term series,
 * from 100 ms sub-blocks of K-weighted channel power (channel weights 1, stereo or mono).
 */
export class LoudnessMeter {
  private readonly shelf: Biquad;
  private readonly highpass: Biquad;
  private readonly state: Float64Array;
  private readonly subBlockFrames: number;
  private acc = 0;
  private accFrames = 0;
  /** Sum over channels of the mean square of each 100 ms sub-block. */
  readonly subBlocks: number[] = [];

  readonly sampleRate: number;
  readonly channels: number;

  constructor(sampleRate: number, channels: number) {
    this.sampleRate = sampleRate;
    this.channels = channels;
    [this.shelf, this.highpass] = kWeighting(sampleRate);
    this.state = new Float64Array(8 * channels);
    this.subBlockFrames = Math.round(sampleRate / 10);
  }

  push(interleaved: Float32Array): void {
    if (this.channels === 2) this.pushStereo(interleaved);
    else this.pushChannels(interleaved);
  }

  /**
   * Stereo (every caller): both channels in one loop with the state in locals, 3× faster than filter objects, the same
   * arithmetic in the same order.
   */
  private pushStereo(interleaved: Float32Array): void {
    // K-weighting state per channel: x1, x2, y1, y2 of the shelf, then of the high-pass.
    const st = this.state;
    const { b0: sb0, b1: sb1, b2: sb2, a1: sa1, a2: sa2 } = this.shelf;
    const { b0: hb0, b1: hb1, b2: hb2, a1: ha1, a2: ha2 } = this.highpass;
    let acc = this.acc;
    let accFrames = this.accFrames;
    let lsx1 = st[0]!,
      lsx2 = st[1]!,
      lsy1 = st[2]!,
      lsy2 = st[3]!,
      lhx1 = st[4]!,
      lhx2 = st[5]!,
      lhy1 = st[6]!,
      lhy2 = st[7]!;
    let rsx1 = st[8]!,
      rsx2 = st[9]!,
      rsy1 = st[10]!,
      rsy2 = st[11]!,
      rhx1 = st[12]!,
      rhx2 = st[13]!,
      rhy1 = st[14]!,
      rhy2 = st[15]!;
    for (let i = 0; i + 1 < interleaved.length; i += 2) {
      const xl = interleaved[i]!;
      const xr = interleaved[i + 1]!;
      const ul = sb0 * xl + sb1 * lsx1 + sb2 * lsx2 - sa1 * lsy1 - sa2 * lsy2;
      lsx2 = lsx1;
      lsx1 = xl;
      lsy2 = lsy1;
      lsy1 = ul;
      const ur = sb0 * xr + sb1 * rsx1 + sb2 * rsx2 - sa1 * rsy1 - sa2 * rsy2;
      rsx2 = rsx1;
      rsx1 = xr;
      rsy2 = rsy1;
      rsy1 = ur;
      const yl = hb0 * ul + hb1 * lhx1 + hb2 * lhx2 - ha1 * lhy1 - ha2 * lhy2;
      lhx2 = lhx1;
      lhx1 = ul;
      lhy2 = lhy1;
      lhy1 = yl;
      const yr = hb0 * ur + hb1 * rhx1 + hb2 * rhx2 - ha1 * rhy1 - ha2 * rhy2;
      rhx2 = rhx1;
      rhx1 = ur;
      rhy2 = rhy1;
      rhy1 = yr;
      acc += yl * yl;
      acc += yr * yr;
      if (++accFrames === this.subBlockFrames) {
        this.subBlocks.push(acc / this.subBlockFrames);
        acc = 0;
        accFrames = 0;
      }
    }
    st.set([lsx1, lsx2, lsy1, lsy2, lhx1, lhx2, lhy1, lhy2, rsx1, rsx2, rsy1, rsy2, rhx1, rhx2, rhy1, rhy2]);
    this.acc = acc;
    this.accFrames = accFrames;
  }

  private pushChannels(interleaved: Float32Array): void {
    const ch = this.channels;
    // K-weighting state per channel: x1, x2, y1, y2 of the shelf, then of the high-pass.
    const st = this.state;
    const { b0: sb0, b1: sb1, b2: sb2, a1: sa1, a2: sa2 } = this.shelf;
    const { b0: hb0, b1: hb1, b2: hb2, a1: ha1, a2: ha2 } = this.highpass;
    let acc = this.acc;
    let accFrames = this.accFrames;
    for (let i = 0; i + ch <= interleaved.length; i += ch) {
      for (let c = 0; c < ch; c++) {
        const o = c * 8;
        const x = interleaved[i + c]!;
        const u = sb0 * x + sb1 * st[o]! + sb2 * st[o + 1]! - sa1 * st[o + 2]! - sa2 * st[o + 3]!;
        st[o + 1] = st[o]!;
        st[o] = x;
        st[o + 3] = st[o + 2]!;
        st[o + 2] = u;
        const y = hb0 * u + hb1 * st[o + 4]! + hb2 * st[o + 5]! - ha1 * st[o + 6]! - ha2 * st[o + 7]!;
        st[o + 5] = st[o + 4]!;
        st[o + 4] = u;
        st[o + 7] = st[o + 6]!;
        st[o + 6] = y;
        acc += y * y;
      }
      if (++accFrames === this.subBlockFrames) {
        this.subBlocks.push(acc / this.subBlockFrames);
        acc = 0;
        accFrames = 0;
      }
    }
    this.acc = acc;
    this.accFrames = accFrames;
  }

  /** Runs the filters over `interleaved` without metering it: a warm-up for a meter that starts mid-stream. */
  prime(interleaved: Float32Array): void {
    const blocks = this.subBlocks.length;
    this.push(interleaved);
    this.subBlocks.length = blocks;
    this.acc = 0;
    this.accFrames = 0;
  }

  /** Mean-square power of windows of `n` sub-blocks, hopping one sub-block. */
  private windows(n: number): number[] {
    const out: number[] = [];
    let sum = 0;
    for (let i = 0; i < this.subBlocks.length; i++) {
      sum += this.subBlocks[i]!;
      if (i >= n) sum -= this.subBlocks[i - n]!;
      if (i >= n - 1) out.push(Math.max(0, sum) / n);
    }
    return out;
  }

  integrated(): number {
    const blocks = this.windows(4).filter((p) => toLufs(p) > ABSOLUTE_GATE);
    if (blocks.length === 0) return -Infinity;
    const relativeGate = toLufs(blocks.reduce((a, b) => a + b, 0) / blocks.length) - 10;
    const gated = blocks.filter((p) => toLufs(p) > relativeGate);
    return toLufs(gated.reduce((a, b) => a + b, 0) / gated.length);
  }

  /** Short-term (3 s) loudness every 100 ms, in LUFS. */
  shortTerm(): number[] {
    return this.windows(30).map(toLufs);
  }

  /** EBU Tech 3342 loudness range: spread of gated short-term loudness, 10th to 95th percentile. */
  loudnessRange(): number {
    const st = this.windows(30).filter((p) => toLufs(p) > ABSOLUTE_GATE);
    if (st.length === 0) return 0;
    const relativeGate = toLufs(st.reduce((a, b) => a + b, 0) / st.length) - 20;
    const values = st
      .map(toLufs)
      .filter((l) => l > relativeGate)
      .sort((a, b) => a - b);
    if (values.length < 2) return 0;
    const pct = (p: number): number => values[Math.min(values.length - 1, Math.round(p * (values.length - 1)))]!;
    return pct(0.95) - pct(0.1);
  }
}
