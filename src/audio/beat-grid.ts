import { linearFit, mean, median } from './stats.ts';

export interface BeatGrid {
  bpm: number;
  confidence: number;
  beats: number[];
  /** True when the tempo is steady enough for a fixed grid (electronic music); false keeps the tracked beats. */
  steady: boolean;
  /**
   * How far the track's own beat attacks wander, in ms (median): about where attacks at the same place in the bar sit
   * on the fixed grid for a steady track, from the midpoint of their neighbours for a drifting one. Machine-timed
   * music 0–3.6 ms, live bands 4–8.
   */
  jitterMs: number;
}

export interface OnsetSignal {
  env: Float32Array;
  /** Seconds per envelope value. */
  step: number;
}

const STEADY_RESIDUAL_SEC = 0.025;
const SNAP_WINDOW_SEC = 0.02;

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

interface DominantGrid {
  period: number;
  /** Phase the majority of the on-grid ticks sit at; the other candidate is half a period later. */
  phase: number;
  /** Share of ticks on the grid, on the beat or half a beat off (trackers sometimes lock to the off-beat for a while). */
  share: number;
}

/**
 * The constant grid (period, phase) that the most ticks agree with, within ±STEADY_RESIDUAL_SEC: a Hough-style search
 * over periods within ±2 % of the first estimate. Unlike a least-squares fit, ticks the tracker lost (a breakdown
 * without drums, a fill, a stretch locked to the off-beat) cannot bend it.
 */
function dominantGrid(ticks: number[], firstPeriod: number): DominantGrid {
  let best: DominantGrid = { period: firstPeriod, phase: 0, share: 0 };
  const halfWindow = Math.round(STEADY_RESIDUAL_SEC / PHASE_BIN_SEC);
  for (let step = -100; step <= 100; step++) {
    const period = firstPeriod * (1 + step * 0.0002);
    const bins = Math.ceil(period / PHASE_BIN_SEC);
    const halfBins = Math.round(bins / 2);
    const hist = new Uint32Array(bins);
    for (const t of ticks) hist[Math.floor((t % period) / PHASE_BIN_SEC) % bins]!++;
    const windowAt = (centre: number): number => {
      let sum = 0;
      for (let k = -halfWindow; k <= halfWindow; k++) sum += hist[(centre + k + 2 * bins) % bins]!;
      return sum;
    };
    for (let b = 0; b < halfBins; b++) {
      const on = windowAt(b);
      const off = windowAt(b + halfBins);
      const share = (on + off) / ticks.length;
      if (share > best.share + 1e-9 || (Math.abs(share - best.share) < 1e-9 && Math.abs(period - firstPeriod) < Math.abs(best.period - firstPeriod))) {
        const phaseBin = on >= off ? b : b + halfBins;
        best = { period, phase: (phaseBin + 0.5) * PHASE_BIN_SEC, share };
      }
    }
  }
  return best;
}

/**
 * Median distance of each beat's attack from where attacks at its place in the bar usually sit (`offsets` from the
 * grid, beat `index` on it): a clap that always peaks 10 ms after the kick's grid line is the sound, not a timing
 * error; attacks that wander are.
 */
function attackJitter(index: number[], offsets: number[]): number {
  const usual = [0, 1, 2, 3].map((p) => median(offsets.filter((_, i) => index[i]! % 4 === p)));
  return median(offsets.map((o, i) => Math.abs(o - usual[index[i]! % 4]!)));
}

/** Least-squares refinement on the ticks that lie on the grid or half a beat off it (counted as k + ½). */
function fitOnGrid(ticks: number[], grid: { period: number; phase: number }): { a: number; b: number } {
  const xs: number[] = [];
  const ys: number[] = [];
  for (const t of ticks) {
    const x = Math.round((2 * (t - grid.phase)) / grid.period) / 2;
    if (Math.abs(t - (grid.phase + x * grid.period)) < STEADY_RESIDUAL_SEC) {
      xs.push(x);
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
  if (ticks.length < 4) return { bpm: trackerBpm, confidence: 0, beats: ticks, steady: false, jitterMs: 30_000 / trackerBpm };
  const ibis = ticks.slice(1).map((t, i) => t - ticks[i]!);
  const firstPeriod = median(ibis);
  const dominant = dominantGrid(ticks, firstPeriod);
  // The phase most ticks agree on: degara sits on the beat far more often than on the off-beat.
  const fit = fitOnGrid(ticks, dominant);
  // Most ticks on one straight line: a steady tempo (a machine-timed track), where a grid beats the tracker's jitter.
  const steady = dominant.share >= 0.75 && ticks.length >= 16;
  const regularIbis = ibis.filter((d) => Math.abs(d - firstPeriod) < 0.1 * firstPeriod);
  let period = steady ? fit.b : mean(regularIbis);
  const regularity = regularIbis.length / ibis.length;

  let beats: number[];
  let jitter: number;
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
    jitter = attackJitter(keepX, keepY.map((y, i) => y - (refined.a + refined.b * keepX[i]!)));
    const start = refined.a - Math.floor(refined.a / period) * period;
    beats = [];
    for (let t = start; t < durationSec; t += period) {
      if (t >= musicStartSec - period / 2 && t <= musicEndSec) beats.push(Number(t.toFixed(4)));
    }
  } else {
    beats = ticks.map((t) => Number(snapToOnset(onset, t, SNAP_WINDOW_SEC / 2).time.toFixed(4)));
    jitter = median(beats.slice(1, -1).map((t, i) => Math.abs(t - (beats[i]! + beats[i + 2]!) / 2)));
  }

  // Steady: the share of the tracker's beats that agree with the grid. Drifting: how regular the tracked beats are,
  // capped below the steady range because a DJ cannot lay a fixed grid over it.
  const confidence = steady ? dominant.share : 0.7 * regularity;
  // Nothing to measure it on: as irregular as can be (half a beat).
  if (!Number.isFinite(jitter)) jitter = period / 2;
  return { bpm: 60 / period, confidence: Number(confidence.toFixed(3)), beats, steady, jitterMs: Number((jitter * 1000).toFixed(2)) };
}
