import type { AttackEnvelopes } from './attack-envelopes.ts';
import { alignRuns, beatRange, fitWholeTrackGrid } from './grid-fit.ts';
import type { Grid } from './grid-fit.ts';
import { linearFit, mean, median } from '../dsp/stats.ts';

export interface BeatGrid {
  bpm: number;
  confidence: number;
  beats: number[];
  /** True when the tempo is steady enough for a fixed grid (electronic music); false keeps the tracked beats. */
  steady: boolean;
  /**
   * How far the attacks that define the beat wander, in ms (median): on the beats with a strong kick (low-band attack),
   * the attack's distance from where such attacks usually sit on the fixed grid for a steady track, or from the
   * midpoint of its neighbours for a drifting one. Hats swinging between the beats and reverb tails do not count.
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
      if (
        share > best.share + 1e-9 ||
        (Math.abs(share - best.share) < 1e-9 && Math.abs(period - firstPeriod) < Math.abs(best.period - firstPeriod))
      ) {
        const phaseBin = on >= off ? b : b + halfBins;
        best = { period, phase: (phaseBin + 0.5) * PHASE_BIN_SEC, share };
      }
    }
  }
  return best;
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

/** Runs of 8 beats with clear attacks the whole-track fit needs before it can vouch for a steady tempo. */
const MIN_FIT_WINDOWS = 6;
/** Beats whose low-band attack is at least this share of the loud ones' carry a kick. */
const KICK_SHARE = 0.5;
const MIN_KICKS = 16;
/** Confidence of a steady grid the whole-track fit does not vouch for: below the planner's 0.75. */
const UNVOUCHED_CONFIDENCE = 0.7;

/**
 * Moves the grid's phase onto the attacks: the peak of the whole track's envelope folded on the grid within ±halfWidth.
 * The broadband fold, where the kick's click marks the attack's start (the low band's rise lags it by several ms on
 * synthesized kicks: 7.4 ms at 124 BPM); the low band when the broadband does not fold clearly.
 */
function phaseOnAttacks(env: AttackEnvelopes, grid: Grid, start: number, end: number): Grid {
  const halfWidth = Math.min(grid.period / 8, 0.03);
  const h = Math.round(halfWidth / env.step);
  const [kFirst, kLast] = beatRange(grid, start, end);
  for (const band of [env.broad, env.low]) {
    const fold = new Float64Array(2 * h + 1);
    for (let k = kFirst; k <= kLast; k++) {
      const c = Math.round((grid.phase + k * grid.period) / env.step);
      for (let j = -h; j <= h; j++) fold[j + h]! += band[c + j] ?? 0;
    }
    let best = 0;
    for (let j = 1; j < fold.length; j++) if (fold[j]! > fold[best]!) best = j;
    if (fold[best]! >= 2 * mean(fold)) return { period: grid.period, phase: grid.phase + (best - h) * env.step };
  }
  return grid;
}

/**
 * Kick-attack deviations on a fixed grid (s): on the beats whose low-band attack is strong (a kick), the broadband attack's
 * offset from the grid, measured by matching the track's typical attack shape, against the usual offset at that place
 * in the bar. Two decks flam when their kicks and snares are apart, so only those attacks count.
 */
function kickDeviations(env: AttackEnvelopes, grid: Grid, start: number, end: number): number[] {
  const [kFirst, kLast] = beatRange(grid, start, end);
  const halfLag = Math.min(0.03, grid.period / 8);
  const low = alignRuns(env.low, env.step, grid, kFirst, kLast, 1, halfLag);
  const broad = alignRuns(env.broad, env.step, grid, kFirst, kLast, 1, halfLag);
  const sorted = low.map((r) => r.strength).sort((a, b) => a - b);
  const loud = sorted[Math.floor(0.9 * sorted.length)] ?? 0;
  let beats = broad.filter((r, i) => r.clear && low[i]!.strength >= KICK_SHARE * loud);
  if (beats.length < MIN_KICKS) beats = broad.filter((r) => r.clear);
  const place = (k: number): number => ((k % 4) + 4) % 4;
  const usual = [0, 1, 2, 3].map((p) => median(beats.filter((r) => place(r.k) === p).map((r) => r.offset)));
  return beats.map((r) => Math.abs(r.offset - usual[place(r.k)]!));
}

/**
 * Turns tracked ticks into a beat grid. A track that holds one tempo gets one grid over its whole length (what DJ
 * software calls a beatgrid): its period fitted to the attacks of the whole track, its phase on the kick, and beatless
 * stretches bridged. A track that drifts keeps the tracker's beats, snapped to the attacks.
 */
export function buildBeatGrid(
  ticks: number[],
  trackerBpm: number,
  env: AttackEnvelopes,
  durationSec: number,
  musicStartSec: number,
  musicEndSec: number,
): BeatGrid {
  // Too few beats to fit a grid (very short clips): keep the tracker's tempo estimate, with no confidence.
  if (ticks.length < 4)
    return { bpm: trackerBpm, confidence: 0, beats: ticks, steady: false, jitterMs: 30_000 / trackerBpm };
  const onset: OnsetSignal = { env: env.broad, step: env.step };
  const ibis = ticks.slice(1).map((t, i) => t - ticks[i]!);
  const firstPeriod = median(ibis);
  const dominant = dominantGrid(ticks, firstPeriod);
  // The phase most ticks agree on: degara sits on the beat far more often than on the off-beat.
  const fit = fitOnGrid(ticks, dominant);
  const tickGrid: Grid = { period: fit.b, phase: fit.a };
  // The tracker's ticks wander through breakdowns; the attacks of the rest of the track say whether it holds a tempo.
  const whole =
    ticks.length >= 16 ? fitWholeTrackGrid(env.broad, env.step, tickGrid, musicStartSec, musicEndSec) : undefined;
  const wholeHolds = whole !== undefined && whole.windows >= MIN_FIT_WINDOWS && whole.onGridShare >= 0.75;
  const steady = ticks.length >= 16 && (dominant.share >= 0.75 || wholeHolds);
  const regularIbis = ibis.filter((d) => Math.abs(d - firstPeriod) < 0.1 * firstPeriod);
  let period = mean(regularIbis);
  const regularity = regularIbis.length / ibis.length;

  let beats: number[];
  let jitter: number;
  let confidence: number;
  if (steady) {
    // The whole-track fit where it holds; else the line through the tracker's ticks.
    const chosen = wholeHolds ? whole : tickGrid;
    const grid = phaseOnAttacks(env, chosen, musicStartSec, musicEndSec);
    period = grid.period;
    jitter = median(kickDeviations(env, grid, musicStartSec, musicEndSec));
    const start = grid.phase - Math.floor(grid.phase / period) * period;
    beats = [];
    for (let t = start; t < durationSec; t += period) {
      if (t >= musicStartSec - period / 2 && t <= musicEndSec) beats.push(Number(t.toFixed(4)));
    }
    // The share of the track on the grid, of the tracker's beats or of the runs of attacks where it lost them. A grid
    // the whole-track fit cannot vouch for (too few runs of clear attacks on it: a short clip, a band) is not
    // trusted for beat-matching.
    confidence = wholeHolds
      ? Math.max(dominant.share, whole.onGridShare)
      : Math.min(dominant.share, UNVOUCHED_CONFIDENCE);
  } else {
    beats = ticks.map((t) => Number(snapToOnset(onset, t, SNAP_WINDOW_SEC / 2).time.toFixed(4)));
    jitter = median(beats.slice(1, -1).map((t, i) => Math.abs(t - (beats[i]! + beats[i + 2]!) / 2)));
    // How regular the tracked beats are, capped below the steady range: a DJ cannot lay a fixed grid over it.
    confidence = 0.7 * regularity;
  }

  // Nothing to measure it on: as irregular as can be (half a beat).
  if (!Number.isFinite(jitter)) jitter = period / 2;
  return {
    bpm: 60 / period,
    confidence: Number(confidence.toFixed(3)),
    beats,
    steady,
    jitterMs: Number((jitter * 1000).toFixed(2)),
  };
}
