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

const PHASE_BIN_SEC = 0.002;

/**
 * The constant grid (period, phase) that the most ticks agree with, within ±STEADY_RESIDUAL_SEC: a Hough-style search
 * over periods within ±2 % of the first estimate. Unlike a least-squares fit, ticks the tracker lost (a breakdown
 * without drums, a fill) cannot bend it.
 */
function dominantGrid(ticks: number[], firstPeriod: number): { period: number; phase: number; share: number } {
  let best = { period: firstPeriod, phase: 0, share: 0 };
  const halfWindow = Math.round(STEADY_RESIDUAL_SEC / PHASE_BIN_SEC);
  for (let step = -100; step <= 100; step++) {
    const period = firstPeriod * (1 + step * 0.0002);
    const bins = Math.ceil(period / PHASE_BIN_SEC);
    const hist = new Uint32Array(bins);
    for (const t of ticks) hist[Math.floor((t % period) / PHASE_BIN_SEC) % bins]!++;
    let window = 0;
    for (let k = -halfWindow; k <= halfWindow; k++) window += hist[(k + bins) % bins]!;
    for (let b = 0; b < bins; b++) {
      const share = window / ticks.length;
      if (share > best.share + 1e-9 || (Math.abs(share - best.share) < 1e-9 && Math.abs(period - firstPeriod) < Math.abs(best.period - firstPeriod))) {
        best = { period, phase: (b + 0.5) * PHASE_BIN_SEC, share };
      }
      window += hist[(b + halfWindow + 1) % bins]! - hist[(b - halfWindow + bins) % bins]!;
    }
  }
  return best;
}

/** Least-squares refinement of the dominant grid on the ticks that lie on it. */
function fitOnGrid(ticks: number[], grid: { period: number; phase: number }): { a: number; b: number } {
  const xs: number[] = [];
  const ys: number[] = [];
  for (const t of ticks) {
    const k = Math.round((t - grid.phase) / grid.period);
    if (Math.abs(t - (grid.phase + k * grid.period)) < STEADY_RESIDUAL_SEC) {
      xs.push(k);
      ys.push(t);
    }
  }
  return xs.length >= 2 ? linearFit(xs, ys) : { a: grid.phase, b: grid.period };
}

/**
 * Turns tracked ticks into a beat grid. Steady tracks get a fitted constant grid, snapped to the onset attacks and
 * extended over the whole track (what DJ software calls a beatgrid); unsteady ones keep the tracker's beats, snapped.
 */
export function buildBeatGrid(
  ticks: number[],
  trackerBpm: number,
  onset: OnsetSignal,
  durationSec: number,
  musicStartSec: number,
  musicEndSec: number,
): BeatGrid {
  // Too few beats to fit a grid (very short clips): keep the tracker's tempo estimate, with no confidence.
  if (ticks.length < 4) return { bpm: trackerBpm, confidence: 0, beats: ticks, steady: false };
  const ibis = ticks.slice(1).map((t, i) => t - ticks[i]!);
  const firstPeriod = median(ibis);
  const dominant = dominantGrid(ticks, firstPeriod);
  const fit = fitOnGrid(ticks, dominant);
  // Most ticks on one straight line: a steady tempo (a machine-timed track), where a grid beats the tracker's jitter.
  const steady = dominant.share >= 0.75 && ticks.length >= 16;
  const regularIbis = ibis.filter((d) => Math.abs(d - firstPeriod) < 0.1 * firstPeriod);
  let period = steady ? fit.b : mean(regularIbis);
  const regularity = regularIbis.length / ibis.length;

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
