/** Master bus: a look-ahead peak limiter for a little club loudness, then exact peak normalization. */
import type { MixBus } from './mix-bus.ts';

/** How far the mix is pushed into the limiter: a few dB of gain reduction on the loudest hits. */
const LIMITER_DRIVE_DB = 3;
const END_FADE_SEC = 0.05;

export function dbToGain(db: number): number {
  return Math.pow(10, db / 20);
}

export function peakOf(left: Float32Array, right: Float32Array): number {
  let peak = 0;
  for (let i = 0; i < left.length; i++) {
    const l = Math.abs(left[i]!);
    const r = Math.abs(right[i]!);
    if (l > peak) peak = l;
    if (r > peak) peak = r;
  }
  return peak;
}

export function scale(left: Float32Array, right: Float32Array, gain: number): void {
  for (let i = 0; i < left.length; i++) {
    left[i]! *= gain;
    right[i]! *= gain;
  }
}

export interface LimiterOptions {
  ceiling: number;
  attackSec: number;
  releaseSec: number;
  sampleRate: number;
}

/**
 * Limits both channels (linked) to `ceiling`. The gain curve is built backwards first, so it
 * starts to fall `attack` before a peak (look-ahead without a delay line), then smoothed
 * forwards for the release. It never exceeds the gain a sample needs. `gain` is scratch
 * space of the same length.
 */
export function limit(left: Float32Array, right: Float32Array, gain: Float32Array, opts: LimiterOptions): void {
  const n = left.length;
  const attack = 1 - Math.exp(-1 / (opts.attackSec * opts.sampleRate));
  const release = 1 - Math.exp(-1 / (opts.releaseSec * opts.sampleRate));
  let g = 1;
  for (let i = n - 1; i >= 0; i--) {
    const peak = Math.max(Math.abs(left[i]!), Math.abs(right[i]!));
    const needed = peak > opts.ceiling ? opts.ceiling / peak : 1;
    g = Math.min(needed, g + (1 - g) * attack);
    gain[i] = g;
  }
  g = 1;
  for (let i = 0; i < n; i++) {
    g = Math.min(gain[i]!, g + (1 - g) * release);
    left[i]! *= g;
    right[i]! *= g;
  }
}

/**
 * Drives the mix into the limiter, fades the last few milliseconds, and scales the result
 * to exactly `targetPeak` (linear, at most 1). Reuses the bus's send as scratch space.
 */
export function masterBus(bus: MixBus, sampleRate: number, targetPeak: number): void {
  const { left, right } = bus;
  const rawPeak = peakOf(left, right);
  if (rawPeak === 0) return;
  scale(left, right, dbToGain(LIMITER_DRIVE_DB) / rawPeak);
  limit(left, right, bus.send, { ceiling: 1, attackSec: 0.002, releaseSec: 0.12, sampleRate });
  const fade = Math.min(left.length, Math.round(END_FADE_SEC * sampleRate));
  for (let i = 0; i < fade; i++) {
    const g = i / fade;
    left[left.length - 1 - i]! *= g;
    right[right.length - 1 - i]! *= g;
  }
  scale(left, right, targetPeak / peakOf(left, right));
  // Float32 rounding of that multiply must not push a 0 dBFS target past full scale.
  for (let i = 0; i < left.length; i++) {
    left[i] = Math.min(1, Math.max(-1, left[i]!));
    right[i] = Math.min(1, Math.max(-1, right[i]!));
  }
}
