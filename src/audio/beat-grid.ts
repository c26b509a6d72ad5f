import { clamp, linearFit, mean, median } from './stats.ts';

export interface BeatGrid {
  bpm: number;
  confidence: number;
  beats: number[];
  /** True when the tempo is steady enough for a fixed grid (electronic music); false keeps the tracked beats. */
  steady: boolean;
}

export interface OnsetSignal {
  env: Float32Array;
  /** Seconds per envelope value. */
  step: number;
}

const STEADY_RESIDUAL_SEC = 0.025;
const SNAP_WINDOW_SEC = 0.02;

function envelopeAt(onset: OnsetSignal, t: number): number {
  const x = t / onset.step;
  const i = Math.floor(x);
  if (i < 0 || i + 1 >= onset.env.length) return 0;
  const frac = x - i;
  return onset.env[i]! * (1 - frac) + onset.env[i + 1]! * frac;
}

/** Time of the strongest onset within ±window of t (the attack the ear hears as the beat). */
function snapToOnset(onset: OnsetSignal, t: number, window: number): { time: number; strength: number } {
  const lo = Math.max(0, Math.floor((t - window) / onset.step));
  const hi = Math.min(onset.env.length - 1, Math.ceil((t + window) / onset.step));
  let best = -1;
  let bestTime = t;
  for (let i = lo; i <= hi; i++) {
    if (onset.env[i]! > best) {
      best = onset.env[i]!;
      bestTime = i * onset.step;
    }
  }
  return { time: bestTime, strength: Math.max(0, best) };
}

/** Integer beat index of each tick relative to the first, tolerant of skipped or doubled ticks. */
function beatIndices(ticks: number[], period: number): number[] {
  return ticks.map((t) => Math.round((t - ticks[0]!) / period));
}

/**
 * Turns tracked ticks into a beat grid. Steady tracks get a fitted constant grid, snapped to the onset attacks and
 * extended over the whole track (what DJ software calls a beatgrid); unsteady ones keep the tracker's beats, snapped.
 */
export function buildBeatGrid(ticks: number[], onset: OnsetSignal, durationSec: number, musicStartSec: number, musicEndSec: number): BeatGrid {
  if (ticks.length < 4) return { bpm: 0, confidence: 0, beats: ticks, steady: false };
  const ibis = ticks.slice(1).map((t, i) => t - ticks[i]!);
  let period = median(ibis);
  let idx = beatIndices(ticks, period);
  let fit = linearFit(idx, ticks);
  period = fit.b;
  idx = beatIndices(ticks, period);
  fit = linearFit(idx, ticks);
  const residuals = ticks.map((t, i) => Math.abs(t - (fit.a + fit.b * idx[i]!)));
  const steadyShare = residuals.filter((r) => r < STEADY_RESIDUAL_SEC).length / residuals.length;
  const regularity = ibis.filter((d) => Math.abs(d - period) < 0.05 * period).length / ibis.length;
  const steady = steadyShare >= 0.9;

  let beats: number[];
  if (steady) {
    // Refit on onset-snapped positions of the grid beats to remove the tracker's frame quantisation and bias.
    const gridStart = fit.a - Math.floor(fit.a / fit.b) * fit.b;
    const count = Math.floor((durationSec - gridStart) / fit.b) + 1;
    const xs: number[] = [];
    const ys: number[] = [];
    const weights: number[] = [];
    for (let k = 0; k < count; k++) {
      const t = gridStart + k * fit.b;
      const snapped = snapToOnset(onset, t, SNAP_WINDOW_SEC);
      if (snapped.strength > 0) {
        xs.push(k);
        ys.push(snapped.time);
        weights.push(snapped.strength);
      }
    }
    // Keep the stronger half of the attacks: weak ones are hats or noise, not the beat.
    const threshold = median(weights);
    const keepX = xs.filter((_, i) => weights[i]! >= threshold);
    const keepY = ys.filter((_, i) => weights[i]! >= threshold);
    const refined = keepX.length >= 8 ? linearFit(keepX, keepY) : { a: gridStart, b: fit.b };
    period = refined.b;
    const start = refined.a - Math.floor(refined.a / period) * period;
    beats = [];
    for (let t = start; t < durationSec; t += period) {
      if (t >= musicStartSec - period / 2 && t <= musicEndSec) beats.push(Number(t.toFixed(4)));
    }
  } else {
    beats = ticks.map((t) => Number(snapToOnset(onset, t, SNAP_WINDOW_SEC / 2).time.toFixed(4)));
  }

  const atBeats = mean(beats.map((t) => envelopeAt(onset, t)));
  const offBeats = mean(beats.map((t) => envelopeAt(onset, t + period / 2)));
  const contrast = offBeats > 0 ? atBeats / offBeats : atBeats > 0 ? 4 : 1;
  const confidence = clamp(regularity * clamp((contrast - 1) / 2, 0, 1), 0, 1);
  return { bpm: 60 / period, confidence: Number(confidence.toFixed(3)), beats, steady };
}
