import { LoudnessMeter } from './loudness.ts';

/** Two beat-matched decks with similar drums add up coherently: up to +6 dB where both play. */
const MAX_RIDE_DB = 6;
const WINDOW_BLOCKS = 30;
const EDGE_SEC = 0.25;

function smoothed(powers: number[], window: number): number[] {
  return powers.map((_, i) => {
    const from = Math.max(0, i - window + 1);
    let s = 0;
    for (let k = from; k <= i; k++) s += powers[k]!;
    return s / (i - from + 1);
  });
}

/**
 * Rides the master fader through a transition the way a DJ does: the mix is kept at the loudness of the louder deck
 * alone (K-weighted, 3 s windows), so a blend neither bumps up where both play nor dips where EQ takes a deck's
 * weight away. The ride is at most ±6 dB and eases to unity at both ends, where the mix meets the plain bodies.
 * The three signals are metered chunk by chunk as they are mixed (the metering then runs while the renderer waits
 * for the stretched deck, not after it); `apply` rides what was pushed.
 */
export class LoudnessRider {
  private readonly mix: LoudnessMeter;
  private readonly a: LoudnessMeter;
  private readonly b: LoudnessMeter;
  private readonly sampleRate: number;

  constructor(sampleRate: number) {
    this.sampleRate = sampleRate;
    this.mix = new LoudnessMeter(sampleRate, 2);
    this.a = new LoudnessMeter(sampleRate, 2);
    this.b = new LoudnessMeter(sampleRate, 2);
  }

  /** The next stretch of the mix and of each deck alone (interleaved stereo, equal lengths). */
  push(mix: Float32Array, a: Float32Array, b: Float32Array): void {
    this.mix.push(mix);
    this.a.push(a);
    this.b.push(b);
  }

  /** Runs the meters' filters over audio just before what will be pushed, without counting it. */
  prime(mix: Float32Array, a: Float32Array, b: Float32Array): void {
    this.mix.prime(mix);
    this.a.prime(a);
    this.b.prime(b);
  }

  /** Takes on what `next` metered (it started on a 100 ms block boundary, where this one stopped). */
  append(next: LoudnessRider): void {
    this.mix.subBlocks.push(...next.mix.subBlocks);
    this.a.subBlocks.push(...next.a.subBlocks);
    this.b.subBlocks.push(...next.b.subBlocks);
  }

  /** Rides `mix`: everything pushed so far, in order. */
  apply(mix: Float32Array): void {
    const pm = smoothed(this.mix.subBlocks, WINDOW_BLOCKS);
    const pa = smoothed(this.a.subBlocks, WINDOW_BLOCKS);
    const pb = smoothed(this.b.subBlocks, WINDOW_BLOCKS);
    const sampleRate = this.sampleRate;
    const blockFrames = Math.round(sampleRate / 10);
    const limit = 10 ** (MAX_RIDE_DB / 20);
    // The 3 s window lags by 1.5 s: centre each block's gain on its window.
    const lag = Math.floor(WINDOW_BLOCKS / 2);
    const gains = pm.map((_, i) => {
      const j = Math.min(pm.length - 1, i + lag);
      const ref = Math.max(pa[j] ?? 0, pb[j] ?? 0);
      const g = pm[j]! > 0 && ref > 0 ? Math.sqrt(ref / pm[j]!) : 1;
      return Math.min(limit, Math.max(1 / limit, g));
    });
    const frames = mix.length / 2;
    const edge = EDGE_SEC * sampleRate;
    for (let f = 0; f < frames; f++) {
      const x = f / blockFrames - 0.5;
      const i = Math.max(0, Math.min(gains.length - 1, Math.floor(x)));
      const k = Math.min(gains.length - 1, i + 1);
      const frac = Math.min(1, Math.max(0, x - i));
      let g = gains.length ? gains[i]! * (1 - frac) + gains[k]! * frac : 1;
      const ease = Math.min(1, f / edge, (frames - f) / edge);
      g = 1 + (g - 1) * Math.max(0, ease);
      mix[2 * f]! *= g;
      mix[2 * f + 1]! *= g;
    }
  }
}
