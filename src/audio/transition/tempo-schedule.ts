/**
 * A piecewise-constant tempo factor over a track's own timeline (input seconds): from `atSec` on, play `tempo` times
 * as fast (1 = original). Rubberband takes these as commands; the mapping to output time is exact arithmetic.
 */
export interface TempoStep {
  atSec: number;
  tempo: number;
}

export type TempoSchedule = TempoStep[];

/** Output seconds that the input span [from, to) takes under the schedule. */
export function outputDuration(schedule: TempoSchedule, from: number, to: number): number {
  let total = 0;
  for (let i = 0; i < schedule.length; i++) {
    const start = Math.max(from, schedule[i]!.atSec);
    const end = Math.min(to, schedule[i + 1]?.atSec ?? Infinity);
    if (end > start) total += (end - start) / schedule[i]!.tempo;
  }
  const first = schedule[0]?.atSec ?? Infinity;
  if (from < first) total += Math.min(to, first) - from;
  return total;
}

/** Input time reached after `seconds` of output, starting at input time `from`. */
export function inputAfter(schedule: TempoSchedule, from: number, seconds: number): number {
  let t = from;
  let left = seconds;
  const steps = [{ atSec: -Infinity, tempo: 1 }, ...schedule];
  for (let i = 0; i < steps.length && left > 0; i++) {
    const end = steps[i + 1]?.atSec ?? Infinity;
    if (end <= t) continue;
    const tempo = steps[i]!.tempo;
    const span = Math.min(end - t, left * tempo);
    t += span;
    left -= span / tempo;
  }
  return t;
}

/** Beat-by-beat linear ramp of the tempo factor from `from` to `to` over `beats` beats starting at `startSec`. */
export function tempoRamp(startSec: number, beatSec: number, beats: number, from: number, to: number): TempoSchedule {
  return Array.from({ length: beats + 1 }, (_, j) => ({ atSec: startSec + j * beatSec, tempo: from + ((to - from) * Math.min(j + 1, beats)) / beats }));
}

export const isUnity = (schedule: TempoSchedule): boolean => schedule.every((s) => Math.abs(s.tempo - 1) < 1e-6);
