import type { BeatGrid } from './beat-grid.ts';
import { spanFeatures } from './beat-sync.ts';
import { halfTimeParity } from './downbeats.ts';
import type { SpectralFrames } from './spectral-frames.ts';
import { mean } from '../dsp/stats.ts';

/** Below this, half of the tracked tempo is not a plausible beat rate for the music we mix. */
const MIN_HALVED_BPM = 70;
/** Bass-onset strength of the strong pulses over the weak ones above which the weak ones are off-beats. */
const KICK_RATIO = 2.5;

/**
 * Trackers often lock to the eighth-note level of slow tracks with off-beat hi-hats (80 BPM heard as 160).
 * The beat level is where the kick lives: if every other tracked beat carries the bass onsets and the ones between
 * carry almost none, the tracked tempo is twice the real one. Which half is kept is the bars' choice (`halfTimeParity`):
 * the beats the bars start on, not those with the most low end. Four-on-the-floor tracks (a kick on every beat) are
 * left alone, and so is anything whose half tempo would be implausibly slow. Known risk: drum & bass with a sparse
 * kick can be halved (174 → 87), which DJs treat as the same tempo.
 */
export function resolveTempoOctave(grid: BeatGrid, frames: SpectralFrames): BeatGrid {
  const { beats } = grid;
  if (beats.length < 16 || grid.bpm / 2 < MIN_HALVED_BPM) return grid;
  const period = (beats.at(-1)! - beats[0]!) / (beats.length - 1);
  const f = spanFeatures(frames, [...beats, beats.at(-1)! + period]);
  const even = mean(f.attackLowFlux.filter((_, i) => i % 2 === 0));
  const odd = mean(f.attackLowFlux.filter((_, i) => i % 2 === 1));
  const ratio = Math.max(even, odd) / Math.max(1e-9, Math.min(even, odd));
  if (ratio < KICK_RATIO) return grid;
  const kept = halfTimeParity(beats, frames);
  return { ...grid, bpm: grid.bpm / 2, beats: beats.filter((_, i) => i % 2 === kept) };
}
