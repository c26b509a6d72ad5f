import { setting } from '../../util/config.ts';

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
  return Array.from({ length: beats + 1 }, (_, j) => ({
    atSec: startSec + j * beatSec,
    tempo: from + ((to - from) * Math.min(j + 1, beats)) / beats,
  }));
}

export const isUnity = (schedule: TempoSchedule): boolean => schedule.every((s) => Math.abs(s.tempo - 1) < 1e-6);

/**
 * Vinyl mode: a schedule whose every tempo is within this of 1 is played by resampling (io/vinyl-deck.ts), the pitch
 * moving with the tempo as on a DJ's pitch fader without key lock, rather than time-stretched by rubberband: ±1 % is
 * ±17.2 cents, a sixth of a semitone, which moves no key to another (a detected key's tonic is the nearest semitone:
 * 50 cents away). `MINIDJ_VINYL_MAX_PCT` sets the bound (0: always rubberband). Returned as a stretch (0.01 = 1 %).
 */
function vinylMaxStretch(env: NodeJS.ProcessEnv = process.env): number {
  return setting('MINIDJ_VINYL_MAX_PCT', env) / 100;
}

/** Whether the schedule plays as vinyl: it changes the tempo, never by more than `maxStretch`. */
export function playsAsVinyl(schedule: TempoSchedule, maxStretch = vinylMaxStretch()): boolean {
  return !isUnity(schedule) && schedule.every((s) => Math.abs(s.tempo - 1) <= maxStretch + 1e-9);
}

/** The pitch change (cents) of a deck played `tempo` times as fast by resampling. */
export const pitchCents = (tempo: number): number => 1200 * Math.log2(tempo);

/** The pitch change (cents) a planned transition makes: its tempo's when it plays as vinyl, else 0 (key kept). */
export function planPitchCents(plan: { schedule: TempoSchedule; tempo: number }): number {
  return playsAsVinyl(plan.schedule) ? Number(pitchCents(plan.tempo).toFixed(2)) : 0;
}
