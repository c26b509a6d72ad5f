import { median } from '../dsp/stats.ts';
import { parabolicOffset } from '../dsp/peak-interpolation.ts';

/** A constant beat grid: beat k at phase + k · period (s). */
export interface Grid {
  period: number;
  phase: number;
}

export interface Attack {
  /** Grid beat index. */
  k: number;
  /** Seconds from the grid line to the attack. */
  offset: number;
  strength: number;
}

export interface WholeTrackFit extends Grid {
  /**
   * Spread of the attacks' phase about the fitted grid, 8 beats at a time (ms, 90th percentile over the windows
   * with clear attacks): a machine-timed track stays within a few ms from start to end, a played one wanders.
   */
  phaseWanderMs: number;
  /** Windows (8 beats) with clear attacks, and the share of them on the fitted grid. */
  windows: number;
  onGridShare: number;
}

const WINDOW_BEATS = 8;
/** A run has a clear attack when its envelope, aligned, correlates with the track's typical attack at least this much. */
const MIN_SHAPE_CORRELATION = 0.5;
/** A window is on the grid when its attacks sit within this of the fitted line. */
const ON_GRID_SEC = 0.01;

/** Linear interpolation of an envelope at a fractional index (0 outside it). */
function envAt(env: Float32Array, x: number): number {
  const i = Math.floor(x);
  if (i < 0 || i + 1 >= env.length) return 0;
  const f = x - i;
  return env[i]! * (1 - f) + env[i + 1]! * f;
}

interface RunPhase {
  /** Centre beat index. */
  k: number;
  offset: number;
  strength: number;
  /** The best lag stands out from the others (there is an attack to align, not a flat or noisy stretch). */
  clear: boolean;
}

/** Pearson correlation of the run's envelope at lag `lag` (values) with the template: how much it looks like an attack. */
function foldCorrelation(
  env: Float32Array,
  step: number,
  grid: Grid,
  k0: number,
  runBeats: number,
  tpl: Float64Array,
  before: number,
  lag: number,
): number {
  const fold = new Float64Array(tpl.length);
  for (let k = k0; k < k0 + runBeats; k++) {
    const x = (grid.phase + k * grid.period) / step - before + lag;
    for (let j = 0; j < tpl.length; j++) fold[j]! += envAt(env, x + j);
  }
  let m = 0;
  for (let j = 0; j < fold.length; j++) m += fold[j]! / fold.length;
  let sxy = 0,
    sxx = 0,
    syy = 0;
  for (let j = 0; j < fold.length; j++) {
    sxy += (fold[j]! - m) * tpl[j]!;
    sxx += (fold[j]! - m) ** 2;
    syy += tpl[j]! ** 2;
  }
  return sxx > 0 && syy > 0 ? sxy / Math.sqrt(sxx * syy) : 0;
}

/** Template span around a beat: the attack's lead-in and its first 35 ms. */
const TEMPLATE_BEFORE_SEC = 0.015;
const TEMPLATE_AFTER_SEC = 0.035;

/** The envelope around the grid beats kFirst..kLast, averaged: the shape of the track's typical beat attack. */
function attackTemplate(env: Float32Array, step: number, grid: Grid, kFirst: number, kLast: number): Float64Array {
  const before = Math.round(TEMPLATE_BEFORE_SEC / step);
  const tpl = new Float64Array(before + Math.round(TEMPLATE_AFTER_SEC / step) + 1);
  for (let k = kFirst; k <= kLast; k++) {
    const x = (grid.phase + k * grid.period) / step - before;
    for (let j = 0; j < tpl.length; j++) tpl[j]! += envAt(env, x + j);
  }
  let mean = 0;
  for (let j = 0; j < tpl.length; j++) mean += tpl[j]! / tpl.length;
  for (let j = 0; j < tpl.length; j++) tpl[j]! -= mean;
  return tpl;
}

/**
 * Where the attacks of each run of `runBeats` grid beats sit relative to the grid: the runs' envelope is matched
 * against the track's attack template at lags within ±halfLag, and the best lag refined between samples. Matching the
 * whole attack shape, rather than picking its highest value, is what makes this stable on dense mixes.
 */
export function alignRuns(
  env: Float32Array,
  step: number,
  grid: Grid,
  kFirst: number,
  kLast: number,
  runBeats: number,
  halfLag: number,
  template?: Float64Array,
): RunPhase[] {
  const tpl = template ?? attackTemplate(env, step, grid, kFirst, kLast);
  const before = Math.round(TEMPLATE_BEFORE_SEC / step);
  const h = Math.max(2, Math.round(halfLag / step));
  const score = new Float64Array(2 * h + 1);
  const out: RunPhase[] = [];
  for (let k0 = kFirst; k0 + runBeats - 1 <= kLast; k0 += runBeats) {
    score.fill(0);
    let energy = 0;
    for (let k = k0; k < k0 + runBeats; k++) {
      const x = (grid.phase + k * grid.period) / step - before;
      for (let l = -h; l <= h; l++) {
        let s = 0;
        for (let j = 0; j < tpl.length; j++) s += tpl[j]! * envAt(env, x + l + j);
        score[l + h]! += s;
      }
      for (let j = 0; j < tpl.length; j++) energy += envAt(env, x + j);
    }
    let best = 1;
    for (let j = 2; j < score.length - 1; j++) if (score[j]! > score[best]!) best = j;
    const frac = parabolicOffset(score[best - 1]!, score[best]!, score[best + 1]!);
    out.push({
      k: k0 + (runBeats - 1) / 2,
      offset: (best - h + frac) * step,
      strength: energy / runBeats,
      clear: foldCorrelation(env, step, grid, k0, runBeats, tpl, before, best - h) >= MIN_SHAPE_CORRELATION,
    });
  }
  return out;
}

/** Weighted least-squares line y = a + b x. */
function weightedLine(xs: number[], ys: number[], ws: number[]): { a: number; b: number } {
  let sw = 0,
    sx = 0,
    sy = 0;
  for (let i = 0; i < xs.length; i++) {
    sw += ws[i]!;
    sx += ws[i]! * xs[i]!;
    sy += ws[i]! * ys[i]!;
  }
  const mx = sx / sw;
  const my = sy / sw;
  let sxy = 0,
    sxx = 0;
  for (let i = 0; i < xs.length; i++) {
    sxy += ws[i]! * (xs[i]! - mx) * (ys[i]! - my);
    sxx += ws[i]! * (xs[i]! - mx) ** 2;
  }
  const b = sxx > 0 ? sxy / sxx : 0;
  return { a: my - b * mx, b };
}

/**
 * Line through (x, y) that ignores outliers: refitted without the points further than max(floor, 3 robust sigmas)
 * from it until none is dropped. Returns the line and which points it kept.
 */
function robustLine(
  xs: number[],
  ys: number[],
  ws: number[],
  floor: number,
): { a: number; b: number; kept: boolean[] } {
  let kept = xs.map(() => true);
  let line = weightedLine(xs, ys, ws);
  for (let pass = 0; pass < 10; pass++) {
    const res = xs.map((x, i) => Math.abs(ys[i]! - (line.a + line.b * x)));
    const sigma = 1.4826 * median(res.filter((_, i) => kept[i]));
    const limit = Math.max(floor, 3 * sigma);
    const next = res.map((r) => r <= limit);
    const n = next.filter(Boolean).length;
    if (n < 2 || next.every((v, i) => v === kept[i])) break;
    kept = next;
    const sel = (arr: number[]): number[] => arr.filter((_, i) => kept[i]);
    line = weightedLine(sel(xs), sel(ys), sel(ws));
  }
  return { ...line, kept };
}

/** Grid index range of the beats inside [start, end]. */
export function beatRange(grid: Grid, start: number, end: number): [number, number] {
  return [Math.ceil((start - grid.phase) / grid.period), Math.floor((end - grid.phase) / grid.period)];
}

/** Fold of the envelope over beats kFirst..kLast of a grid (one value per envelope step across a beat) and how peaked it is (max / mean). */
function foldSharpness(
  env: Float32Array,
  step: number,
  grid: Grid,
  kFirst: number,
  kLast: number,
  fold: Float64Array,
): { sharpness: number; peak: number } {
  const width = Math.floor(grid.period / step);
  fold.fill(0, 0, width);
  for (let k = kFirst; k <= kLast; k++) {
    const c = Math.round((grid.phase + k * grid.period) / step);
    if (c < 0 || c + width > env.length) continue;
    for (let j = 0; j < width; j++) fold[j]! += env[c + j]!;
  }
  let peak = 0;
  let sum = 0;
  for (let j = 0; j < width; j++) {
    sum += fold[j]!;
    if (fold[j]! > fold[peak]!) peak = j;
  }
  return { sharpness: sum > 0 ? (fold[peak]! * width) / sum : 0, peak };
}

/** Periods searched before the fit, within ±this of the first grid's: a tracker misled by a long breakdown is off by tenths of a percent. */
const COARSE_RANGE = 0.01;

/**
 * The period at which the whole track's envelope folds most sharply, within ±1 % of the first grid's, and its phase
 * on the fold's peak. The 8-beat passes find attacks only within a tenth of a second of the first grid, so a period
 * off by 0.2 % (which a tracker lost in a long breakdown gives) leaves the ends of a 2-minute track out of their
 * reach; the whole-track fold sees all of them at once. The first grid is kept unless a period folds more sharply.
 */
function coarseWholeTrackPeriod(env: Float32Array, step: number, first: Grid, start: number, end: number): Grid {
  const [kFirst, kLast] = beatRange(first, start, end);
  const beats = kLast - kFirst + 1;
  if (beats < 8) return first;
  // Steps small enough that the grid drifts by under 10 ms from the middle of the track to its ends.
  const rel = Math.min(1e-4, 0.02 / (beats * first.period));
  const steps = Math.min(400, Math.ceil(COARSE_RANGE / rel));
  const fold = new Float64Array(Math.ceil((first.period * (1 + COARSE_RANGE)) / step) + 1);
  // Beat indices counted from the middle of the track, so a change of period turns the grid about its middle.
  const mid = Math.round((kFirst + kLast) / 2);
  const centre = first.phase + mid * first.period;
  const at = (period: number): Grid => ({ period, phase: centre - mid * period });
  let best = { grid: first, ...foldSharpness(env, step, first, kFirst, kLast, fold) };
  const firstSharpness = best.sharpness;
  for (let s = -steps; s <= steps; s++) {
    if (s === 0) continue;
    const grid = at(first.period * (1 + s * (COARSE_RANGE / steps)));
    const f = foldSharpness(env, step, grid, kFirst, kLast, fold);
    if (f.sharpness > best.sharpness) best = { grid, ...f };
  }
  if (best.grid === first || best.sharpness < 1.1 * firstSharpness) return first;
  return { period: best.grid.period, phase: best.grid.phase + best.peak * step };
}

/** The 8-beat passes from one first grid: located attacks, a robust line through them, three times with a narrower reach. */
function fitFrom(env: Float32Array, step: number, first: Grid, start: number, end: number): WholeTrackFit {
  let grid = { ...first };
  let wander = Infinity;
  let windows = 0;
  let onGridShare = 0;
  for (const halfLag of [Math.min(0.2 * grid.period, 0.1), Math.min(0.1 * grid.period, 0.04), 0.02]) {
    const [kFirst, kLast] = beatRange(grid, start, end);
    const runs = alignRuns(env, step, grid, kFirst, kLast, WINDOW_BEATS, halfLag);
    const loud = [...runs.map((r) => r.strength)].sort((a, b) => a - b)[Math.floor(0.75 * runs.length)] ?? 0;
    const phases = runs.filter((r) => r.clear && r.strength >= 0.25 * loud);
    windows = phases.length;
    if (phases.length < 3) break;
    const line = robustLine(
      phases.map((w) => w.k),
      phases.map((w) => w.offset),
      phases.map((w) => w.strength),
      0.003,
    );
    grid = { period: grid.period + line.b, phase: grid.phase + line.a };
    const residuals = phases.map((w) => Math.abs(w.offset - (line.a + line.b * w.k)));
    onGridShare = residuals.filter((r) => r <= ON_GRID_SEC).length / residuals.length;
    const sorted = residuals.sort((a, b) => a - b);
    wander = 1000 * sorted[Math.min(sorted.length - 1, Math.floor(0.9 * sorted.length))]!;
  }
  return { ...grid, phaseWanderMs: wander, windows, onGridShare };
}

/**
 * One grid for the whole track. The attacks are located 8 beats at a time against a first grid, and a line through
 * those phases, outliers dropped, corrects its period and phase. Runs without clear attacks (a breakdown, an intro)
 * carry no weight, so the grid bridges them. It is fitted from two first grids, the tracker's and the sharpest
 * whole-track fold's, and the fit with more runs of attacks on its line is kept: the fold finds a period the tracker
 * missed by more than the passes can reach, but where the track's phase jumps (an edit, a dropped beat) it can settle
 * between the two parts, which the tracker's line, fitted to the longer part, does not.
 */
export function fitWholeTrackGrid(
  env: Float32Array,
  step: number,
  first: Grid,
  start: number,
  end: number,
): WholeTrackFit {
  const fromTracker = fitFrom(env, step, first, start, end);
  const coarse = coarseWholeTrackPeriod(env, step, first, start, end);
  if (coarse === first) return fromTracker;
  const fromFold = fitFrom(env, step, coarse, start, end);
  const onGrid = (f: WholeTrackFit): number => Math.round(f.windows * f.onGridShare);
  return onGrid(fromFold) > onGrid(fromTracker) ? fromFold : fromTracker;
}
