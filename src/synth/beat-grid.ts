/** Where beats and bars fall, in seconds and in samples. */

export const BEATS_PER_BAR = 4;

export interface BeatGrid {
  sampleRate: number;
  bpm: number;
  beatSec: number;
  barSec: number;
  firstDownbeatSec: number;
  totalBars: number;
}

export function makeBeatGrid(bpm: number, sampleRate: number, firstDownbeatSec: number, totalBars: number): BeatGrid {
  const beatSec = 60 / bpm;
  return { sampleRate, bpm, beatSec, barSec: beatSec * BEATS_PER_BAR, firstDownbeatSec, totalBars };
}

/** Time of a (possibly fractional) beat counted from the first downbeat. */
export function beatTime(grid: BeatGrid, beat: number): number {
  return grid.firstDownbeatSec + beat * grid.beatSec;
}

/** Sample index nearest to a (possibly fractional) beat. */
export function beatSample(grid: BeatGrid, beat: number): number {
  return Math.round(beatTime(grid, beat) * grid.sampleRate);
}

export function barSample(grid: BeatGrid, bar: number): number {
  return beatSample(grid, bar * BEATS_PER_BAR);
}
