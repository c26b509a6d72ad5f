const OVERSAMPLE = 4;
const TAPS_PER_PHASE = 12;

/** Polyphase windowed-sinc interpolator for 4x oversampling (BS.1770-4 Annex 2 style). */
function designPhases(): Float64Array[] {
  const total = OVERSAMPLE * TAPS_PER_PHASE;
  const phases = Array.from({ length: OVERSAMPLE }, () => new Float64Array(TAPS_PER_PHASE));
  for (let n = 0; n < total; n++) {
    const t = (n - (total - 1) / 2) / OVERSAMPLE;
    const sinc = t === 0 ? 1 : Math.sin(Math.PI * t) / (Math.PI * t);
    const window = 0.5 - 0.5 * Math.cos((2 * Math.PI * (n + 0.5)) / total);
    phases[n % OVERSAMPLE]![Math.floor(n / OVERSAMPLE)] = sinc * window;
  }
  for (const phase of phases) {
    const sum = phase.reduce((a, b) => a + b, 0);
    for (let i = 0; i < phase.length; i++) phase[i]! /= sum;
  }
  return phases;
}

const PHASES = designPhases();

/** The 4× interpolator's phases (each TAPS_PER_PHASE taps, newest sample last reversed): for a limiter that detects on them. */
export const TRUE_PEAK_PHASES: readonly Float64Array[] = PHASES;
export { TAPS_PER_PHASE };

/**
 * Streaming true-peak meter. Interpolation is only evaluated where a sample is within 6 dB of the peak found so far:
 * an inter-sample over larger than that needs pathological material, and skipping the rest makes it ~10x cheaper.
 */
export class TruePeakMeter {
  private readonly history: Float64Array[];
  private truePeak = 0;

  readonly channels: number;

  constructor(channels: number) {
    this.channels = channels;
    this.history = Array.from({ length: channels }, () => new Float64Array(TAPS_PER_PHASE));
  }

  push(interleaved: Float32Array): void {
    const ch = this.channels;
    for (let c = 0; c < ch; c++) {
      const h = this.history[c]!;
      for (let i = c; i < interleaved.length; i += ch) {
        h.copyWithin(0, 1);
        const x = interleaved[i]!;
        h[TAPS_PER_PHASE - 1] = x;
        const ax = Math.abs(x);
        if (ax > this.truePeak) this.truePeak = ax;
        const mid = Math.abs(h[TAPS_PER_PHASE / 2]!);
        if (mid * 2 < this.truePeak) continue;
        for (const phase of PHASES) {
          let y = 0;
          for (let k = 0; k < TAPS_PER_PHASE; k++) y += phase[k]! * h[TAPS_PER_PHASE - 1 - k]!;
          const ay = Math.abs(y);
          if (ay > this.truePeak) this.truePeak = ay;
        }
      }
    }
  }

  truePeakDb(): number {
    return this.truePeak > 0 ? 20 * Math.log10(this.truePeak) : -Infinity;
  }
}
