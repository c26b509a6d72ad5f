/**
 * Evaluation metrics for the analysis benchmark, following the MIR conventions
 * of mir_eval / MIREX. Pure functions; times are in seconds.
 */
import { pitchClass } from '../audio/music/camelot.ts';
import type { Scale } from '../audio/analysis/analysis-types.ts';
import { METRICAL_LEVELS } from '../audio/analysis/tempo-periodicity.ts';

/** Absorbs float noise at the tolerance edges (e.g. 1.07 - 1.0 = 0.0700000000000001). */
const EPS = 1e-9;

/** Accuracy1: the estimate lies within ±tol (relative) of the reference tempo. */
export function tempoAccuracy1(est: number, ref: number, tol = 0.04): boolean {
  if (!(est > 0) || !(ref > 0)) return false;
  return Math.abs(est - ref) <= tol * ref + EPS;
}

/** Accuracy2: like Accuracy1, but also accepts ×2, ×½, ×3 and ×⅓ of the reference. */
export function tempoAccuracy2(est: number, ref: number, tol = 0.04): boolean {
  return METRICAL_LEVELS.some((factor) => tempoAccuracy1(est, ref * factor, tol));
}

export interface EvalWindow {
  minTime?: number;
  maxTime?: number;
}

export interface BeatScore {
  f: number;
  precision: number;
  recall: number;
}

function sortedInWindow(times: readonly number[], window: EvalWindow): number[] {
  const min = window.minTime ?? -Infinity;
  const max = window.maxTime ?? Infinity;
  return times.filter((t) => t >= min && t <= max).sort((a, b) => a - b);
}

/**
 * Size of a maximum one-to-one matching between sorted estimates and references
 * within ±tol. All windows have the same width, so greedily giving each reference
 * (in time order) the earliest still-free estimate in its window is optimal; it
 * yields the same count as mir_eval's bipartite matching.
 */
function countMatches(est: readonly number[], ref: readonly number[], tol: number): number {
  let matches = 0;
  let next = 0;
  for (const r of ref) {
    while (next < est.length && est[next]! < r - tol - EPS) next++;
    if (next < est.length && est[next]! <= r + tol + EPS) {
      matches++;
      next++;
    }
  }
  return matches;
}

/**
 * Beat (or downbeat) F-measure with one-to-one matching within ±tol seconds.
 * `window` restricts both lists to [minTime, maxTime], e.g. to score against a
 * truncated annotation (see `truncatedAnnotationWindow`). Empty lists score 0,
 * as in mir_eval.
 */
export function beatFMeasure(
  est: readonly number[],
  ref: readonly number[],
  tol = 0.07,
  window: EvalWindow = {},
): BeatScore {
  const e = sortedInWindow(est, window);
  const r = sortedInWindow(ref, window);
  if (e.length === 0 || r.length === 0) return { f: 0, precision: 0, recall: 0 };
  const matches = countMatches(e, r, tol);
  const precision = matches / e.length;
  const recall = matches / r.length;
  const f = matches === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  return { f, precision, recall };
}

/** Window for an annotation that stops early: estimates after the last annotated beat (+ tol) are not judged. */
export function truncatedAnnotationWindow(ref: readonly number[], tol = 0.07): EvalWindow {
  if (ref.length === 0) return {};
  return { maxTime: Math.max(...ref) + tol };
}

/**
 * MIREX key score: 1 same key, 0.5 a perfect fifth apart in the same mode,
 * 0.3 relative major/minor, 0.2 parallel major/minor, else 0.
 * mir_eval's `weighted_score` credits only the estimate a fifth ABOVE the
 * reference unless `allow_descending_fifths=True`, which is what MIREX does;
 * we default to the MIREX rule and keep the ascending-only variant as an option.
 */
export function mirexKeyScore(
  estKey: string,
  estScale: Scale,
  refKey: string,
  refScale: Scale,
  options: { allowDescendingFifths?: boolean } = {},
): number {
  const allowDescending = options.allowDescendingFifths ?? true;
  const interval = (((pitchClass(estKey) - pitchClass(refKey)) % 12) + 12) % 12;
  if (estScale === refScale) {
    if (interval === 0) return 1;
    if (interval === 7 || (allowDescending && interval === 5)) return 0.5;
    return 0;
  }
  // Relative keys share a key signature: A minor is 9 semitones above C major.
  if (refScale === 'major' && interval === 9) return 0.3;
  if (refScale === 'minor' && interval === 3) return 0.3;
  if (interval === 0) return 0.2;
  return 0;
}

export interface PhaseErrorStats {
  /** Per reference beat: nearest estimate minus reference, in ms (signed; positive = estimate late). */
  offsetsMs: number[];
  /** NaN when either list is empty. */
  medianAbsMs: number;
  maxAbsMs: number;
}

function median(sorted: readonly number[]): number {
  if (sorted.length === 0) return Number.NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function nearest(sorted: readonly number[], t: number): number {
  let lo = 0;
  let hi = sorted.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]! < t) lo = mid + 1;
    else hi = mid;
  }
  const after = sorted[lo]!;
  const before = lo > 0 ? sorted[lo - 1]! : after;
  return Math.abs(before - t) <= Math.abs(after - t) ? before : after;
}

/** How far each reference beat is from the nearest estimated beat (beat alignment / phase). */
export function phaseErrorStats(est: readonly number[], ref: readonly number[]): PhaseErrorStats {
  if (est.length === 0 || ref.length === 0) return { offsetsMs: [], medianAbsMs: Number.NaN, maxAbsMs: Number.NaN };
  const sortedEst = [...est].sort((a, b) => a - b);
  const offsetsMs = ref.map((r) => (nearest(sortedEst, r) - r) * 1000);
  const abs = offsetsMs.map(Math.abs).sort((a, b) => a - b);
  return { offsetsMs, medianAbsMs: median(abs), maxAbsMs: abs[abs.length - 1]! };
}
