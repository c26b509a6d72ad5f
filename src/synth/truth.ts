/** The ground truth a synthesized track was built from. */
import type { Scale } from '../audio/analysis/analysis-types.ts';
import { BEATS_PER_BAR, beatTime, type BeatGrid } from './beat-grid.ts';
import { PHRASE_BARS, type SectionLabel, type SynthSection } from './structure.ts';

export interface SynthTruth {
  bpm: number;
  key: string;
  scale: Scale;
  camelot: string;
  durationSec: number;
  /** Every beat time in seconds, from the first downbeat to the last beat of the last section. */
  beats: number[];
  /** Every bar start in seconds. */
  downbeats: number[];
  sections: { label: SectionLabel; start: number; end: number; startBar: number; endBar: number }[];
  /** Start of every 8th bar (bar 0, 8, 16, ...) in seconds. */
  phraseBoundaries: number[];
  /** Extras: when the music starts, the bar length in beats and the chord loop (one chord per bar). */
  firstDownbeatSec: number;
  beatsPerBar: number;
  progression: string[];
}

export interface TruthInput {
  grid: BeatGrid;
  sections: readonly SynthSection[];
  key: string;
  scale: Scale;
  camelot: string;
  durationSec: number;
  progression: string[];
}

export function buildTruth(input: TruthInput): SynthTruth {
  const { grid } = input;
  const beats: number[] = [];
  for (let b = 0; b < grid.totalBars * BEATS_PER_BAR; b++) beats.push(beatTime(grid, b));
  const downbeats: number[] = [];
  const phraseBoundaries: number[] = [];
  for (let bar = 0; bar < grid.totalBars; bar++) {
    downbeats.push(beatTime(grid, bar * BEATS_PER_BAR));
    if (bar % PHRASE_BARS === 0) phraseBoundaries.push(beatTime(grid, bar * BEATS_PER_BAR));
  }
  const sections: SynthTruth['sections'] = [];
  let bar = 0;
  for (const s of input.sections) {
    sections.push({
      label: s.label,
      start: beatTime(grid, bar * BEATS_PER_BAR),
      end: beatTime(grid, (bar + s.bars) * BEATS_PER_BAR),
      startBar: bar,
      endBar: bar + s.bars,
    });
    bar += s.bars;
  }
  return {
    bpm: grid.bpm,
    key: input.key,
    scale: input.scale,
    camelot: input.camelot,
    durationSec: input.durationSec,
    beats,
    downbeats,
    sections,
    phraseBoundaries,
    firstDownbeatSec: grid.firstDownbeatSec,
    beatsPerBar: BEATS_PER_BAR,
    progression: input.progression,
  };
}
