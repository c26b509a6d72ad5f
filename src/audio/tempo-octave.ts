import type { BeatGrid, OnsetSignal } from './beat-grid.ts';
import type { SpectralFrames } from './spectral-frames.ts';

/** Placeholder until measured: keeps the tracker's octave. */
export function resolveTempoOctave(grid: BeatGrid, _frames: SpectralFrames, _onset: OnsetSignal, _durationSec: number, _start: number, _end: number): BeatGrid {
  return grid;
}
