/**
 * Bar lines from a song chart (../shared/band-music): one tempo, bars of 4 beats from the chart's start, and an offset
 * against the audio of its own that the chart does not give. The chart's beat grid is placed on the audio by the
 * analysed beats, which fixes the offset up to whole beats; which beat of that grid starts the chart's bars depends on
 * the offset's sign, so both readings are given: `late` (the audio later than the chart, 0 to one beat: a delay) and
 * `nearest` (the offset nearest 0, within half a beat either way).
 */
export type ChartOffset = 'late' | 'nearest';

/** The chart's first beat on the audio's clock (s): the circular mean of the beats' phase on the chart's beat period. */
export function chartOffset(beats: number[], beatSec: number, reading: ChartOffset): number {
  let x = 0;
  let y = 0;
  for (const t of beats) {
    x += Math.cos((2 * Math.PI * t) / beatSec);
    y += Math.sin((2 * Math.PI * t) / beatSec);
  }
  const nearest = (Math.atan2(y, x) / (2 * Math.PI)) * beatSec;
  return reading === 'late' && nearest < 0 ? nearest + beatSec : nearest;
}

/** How many of `times` fall on each beat of the chart's bars (index 0: on a bar line; the nearest chart beat). */
export function chartBarPositions(times: number[], offsetSec: number, beatSec: number, beatsPerBar = 4): number[] {
  const counts = new Array<number>(beatsPerBar).fill(0);
  for (const t of times) {
    const k = Math.round((t - offsetSec) / beatSec);
    counts[((k % beatsPerBar) + beatsPerBar) % beatsPerBar]!++;
  }
  return counts;
}
