import { TAPS_PER_PHASE, TRUE_PEAK_PHASES } from './true-peak.ts';

/**
 * Look-ahead peak limiter for interleaved stereo (linked channels). The gain reaches its target over the look-ahead
 * window before a peak arrives (hold-min then box smoothing, so it can never be late) and recovers with a one-pole
 * release. The ceiling sits 1 dB below the true-peak target: room for inter-sample peaks and for the overshoot of
 * lossy encoding (the set reaches Discord as Opus). At −1.5 dBFS, real recorded drums came out of the Opus encoder at
 * −0.84 dBTP; at −2, −1.11.
 *
 * Peaks are detected on the signal as a DAC or a true-peak meter sees it, 4× oversampled (the meter's own
 * interpolator), not on the samples alone: on bright, dense, heavily limited music the samples held at −2 dBFS while
 * the waveform between them reached −0.90 dBTP (bench:real's set, 11:52). The audio is delayed by the interpolator's
 * half length more, so each detected peak stays aligned with its sample.
 */
/** The sample entering the delay line: the interpolator's centre, PRE_DELAY frames behind the input. */
const MID = TAPS_PER_PHASE / 2;
const PRE_DELAY = TAPS_PER_PHASE - 1 - MID;

export class PeakLimiter {
  private readonly ceiling: number;
  private readonly look: number;
  private readonly release: number;
  private readonly delay: Float32Array;
  private readonly hold: Float32Array;
  /** Monotonic queue of (frame, need) for the sliding minimum over the look-ahead window. */
  private readonly queueAt: Float64Array;
  private readonly queueNeed: Float32Array;
  private head = 0;
  private tail = 0;
  private frame = 0;
  private pos = 0;
  private boxSum: number;
  private gain = 1;
  private readonly channels: number;
  /**
   * The last TAPS_PER_PHASE input samples per channel, the interpolator's input: a ring written twice (at `at` and
   * `at + TAPS_PER_PHASE`), so the window is always contiguous, oldest first, at `at + 1` after a write — no shifting
   * of the whole window at every sample.
   */
  private readonly history: Float64Array[];
  private at = 0;
  private readonly threshold: number;

  constructor(sampleRate: number, channels: number, ceilingDb = -2, lookaheadMs = 5, releaseMs = 80) {
    this.channels = channels;
    this.ceiling = 10 ** (ceilingDb / 20);
    this.look = Math.max(1, Math.round((lookaheadMs / 1000) * sampleRate));
    this.release = 1 - Math.exp(-1 / ((releaseMs / 1000) * sampleRate));
    this.delay = new Float32Array(this.look * channels);
    this.queueAt = new Float64Array(this.look + 1);
    this.queueNeed = new Float32Array(this.look + 1);
    this.hold = new Float32Array(this.look).fill(1);
    this.boxSum = this.look;
    this.history = Array.from({ length: channels }, () => new Float64Array(2 * TAPS_PER_PHASE));
    // Interpolated only where a sample is within 6 dB of the ceiling (as the meter does).
    this.threshold = this.ceiling / 2;
  }

  /** In place; output is delayed by the look-ahead. */
  process(buf: Float32Array): void {
    const ch = this.channels;
    const look = this.look;
    const taps = TAPS_PER_PHASE;
    for (let i = 0; i < buf.length; i += ch) {
      let peak = 0;
      const w = this.at;
      // The window (oldest first) starts here once this frame is written.
      const o = w + 1;
      for (let c = 0; c < ch; c++) {
        const h = this.history[c]!;
        const x = buf[i + c]!;
        h[w] = x;
        h[w + taps] = x;
        // The sample now entering the delay line (MID), its predecessor, and the waveform between them.
        const near = Math.max(Math.abs(h[o + MID]!), Math.abs(h[o + MID - 1]!));
        peak = Math.max(peak, near);
        if (near < this.threshold) continue;
        const newest = o + taps - 1;
        for (const phase of TRUE_PEAK_PHASES) {
          let y = 0;
          for (let k = 0; k < taps; k++) y += phase[k]! * h[newest - k]!;
          peak = Math.max(peak, Math.abs(y));
        }
      }
      this.at = w + 1 === taps ? 0 : w + 1;
      const p = this.pos;
      const need = peak > this.ceiling ? this.ceiling / peak : 1;
      const size = look + 1;
      while (this.tail !== this.head && this.queueNeed[(this.tail - 1 + size) % size]! >= need)
        this.tail = (this.tail - 1 + size) % size;
      this.queueAt[this.tail] = this.frame;
      this.queueNeed[this.tail] = need;
      this.tail = (this.tail + 1) % size;
      while (this.queueAt[this.head]! <= this.frame - look) this.head = (this.head + 1) % size;
      const held = this.queueNeed[this.head]!;
      this.frame++;
      this.boxSum += held - this.hold[p]!;
      this.hold[p] = held;
      const target = this.boxSum / look;
      this.gain = Math.min(target, this.gain + (1 - this.gain) * this.release);
      for (let c = 0; c < ch; c++) {
        const d = p * ch + c;
        const delayed = this.delay[d]!;
        this.delay[d] = this.history[c]![o + MID]!;
        buf[i + c] = delayed * this.gain;
      }
      this.pos = (p + 1) % look;
    }
  }

  /**
   * Fades out the audio still inside the limiter (its look-ahead, oldest first), for a stream that must stop where it
   * is: a track lost mid-play ends in a fade rather than a click, although its last chunk was already produced.
   */
  fadeOutHeld(): void {
    for (let k = 0; k < this.look; k++) {
      const g = Math.cos((Math.PI / 2) * ((k + 1) / this.look));
      const at = ((this.pos + k) % this.look) * this.channels;
      for (let c = 0; c < this.channels; c++) this.delay[at + c]! *= g;
    }
    // The samples not yet in the delay line follow the fade: silence (both copies in the ring).
    for (const h of this.history) {
      for (let j = MID + 1; j < TAPS_PER_PHASE; j++) {
        const k = (this.at + j) % TAPS_PER_PHASE;
        h[k] = 0;
        h[k + TAPS_PER_PHASE] = 0;
      }
    }
  }

  /** The delayed tail still inside the limiter (call once at the end of the stream). */
  flush(): Float32Array {
    const tail = new Float32Array((this.look + PRE_DELAY) * this.channels);
    this.process(tail);
    return tail;
  }
}
