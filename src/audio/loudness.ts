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
  private readonly filters: [Biquad, Biquad][];
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
    this.filters = Array.from({ length: channels }, () => kWeighting(sampleRate));
    this.subBlockFrames = Math.round(sampleRate / 10);
  }

  push(interleaved: Float32Array): void {
    const ch = this.channels;
    for (let i = 0; i < interleaved.length; i += ch) {
      for (let c = 0; c < ch; c++) {
        const [shelf, hp] = this.filters[c]!;
        const y = hp.process(shelf.process(interleaved[i + c]!));
        this.acc += y * y;
      }
      if (++this.accFrames === this.subBlockFrames) {
        this.subBlocks.push(this.acc / this.subBlockFrames);
        this.acc = 0;
        this.accFrames = 0;
      }
    }
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
    const values = st.map(toLufs).filter((l) => l > relativeGate).sort((a, b) => a - b);
    if (values.length < 2) return 0;
    const pct = (p: number): number => values[Math.min(values.length - 1, Math.round(p * (values.length - 1)))]!;
    return pct(0.95) - pct(0.1);
  }
}
