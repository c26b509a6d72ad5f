import { describe, expect, it } from 'vitest';
import type { BeatGrid } from '../src/audio/analysis/beat-grid.ts';
import { onBeatPhase } from '../src/audio/analysis/beat-phase.ts';
import { firstSoundSec } from '../src/audio/analysis/first-sound.ts';
import { computeSpectralFrames } from '../src/audio/analysis/spectral-frames.ts';

const SR = 44100;
const BPM = 120;
const BEAT = 60 / BPM;
const SECONDS = 24;
const FIRST = 0.5;

/** Deterministic noise. */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32) * 2 - 1;
}

/**
 * A rock bar: kick on 1 and 3, snare on 2 and 4, hi-hat on every eighth (as loud on the ands as on the beats), and a
 * chord held for two beats, changing on 1 and 3.
 */
function rockPattern(): Float32Array {
  const out = new Float32Array(SECONDS * SR);
  const noise = lcg(3);
  const add = (t: number, len: number, decay: number, render: (i: number) => number): void => {
    const start = Math.round(t * SR);
    for (let i = 0; i < len * SR && start + i < out.length; i++)
      out[start + i]! += render(i) * Math.exp(-i / (decay * SR));
  };
  const chords = [
    [220, 277.2, 329.6],
    [196, 246.9, 293.7],
    [174.6, 220, 261.6],
    [164.8, 207.7, 246.9],
  ];
  for (let k = 0; FIRST + k * BEAT < SECONDS; k++) {
    const t = FIRST + k * BEAT;
    add(t, 0.25, 0.08, (i) => 0.8 * Math.sin(2 * Math.PI * (50 + 60 * Math.exp(-i / (0.02 * SR))) * (i / SR)));
    if (k % 2 === 1) add(t, 0.15, 0.05, () => 0.4 * noise());
    for (const h of [t, t + BEAT / 2]) add(h, 0.04, 0.01, () => 0.15 * noise());
    if (k % 2 === 0) {
      const chord = chords[(k / 2) % chords.length]!;
      add(t, 2 * BEAT, 10, (i) => chord.reduce((s, f) => s + 0.08 * Math.sin((2 * Math.PI * f * i) / SR), 0));
    }
  }
  return out;
}

/**
 * Every eighth alike (kick, snare and a held chord under them: a metal song's double kick and blast beat), so no cue
 * tells the beats from the ands; the song starts at FIRST, on a beat, after a quiet pickup an eighth before it.
 */
function evenEighths(): Float32Array {
  const out = new Float32Array(SECONDS * SR);
  const noise = lcg(5);
  for (let k = 0; FIRST + (k * BEAT) / 2 < SECONDS; k++) {
    const start = Math.round((FIRST + (k * BEAT) / 2) * SR);
    for (let i = 0; i < 0.15 * SR && start + i < out.length; i++)
      out[start + i]! += (0.6 * Math.sin((2 * Math.PI * 60 * i) / SR) + 0.3 * noise()) * Math.exp(-i / (0.04 * SR));
  }
  for (let i = 0; i < out.length; i++)
    out[i]! += 0.05 * Math.sin((2 * Math.PI * 110 * i) / SR) * (i / SR > FIRST ? 1 : 0);
  const pickup = Math.round((FIRST - BEAT / 2) * SR);
  for (let i = 0; i < 0.05 * SR; i++) out[pickup + i]! += 0.01 * Math.sin((2 * Math.PI * 440 * i) / SR);
  return out;
}

function gridFrom(first: number): BeatGrid {
  const beats: number[] = [];
  for (let t = first; t < SECONDS - BEAT; t += BEAT) beats.push(Number(t.toFixed(4)));
  return { bpm: BPM, confidence: 0.9, beats, steady: true, jitterMs: 1 };
}

describe('onBeatPhase', () => {
  const frames = computeSpectralFrames(rockPattern(), SR);

  it('moves a grid on the off-beats onto the kick, the chord changes and the backbeat', () => {
    const moved = onBeatPhase(gridFrom(FIRST + BEAT / 2), frames, 0, SECONDS, FIRST);
    const offsets = moved.beats.map((t) => ((t - FIRST) / BEAT) % 1);
    expect(Math.max(...offsets.map((o) => Math.min(o, 1 - o)))).toBeLessThan(0.01);
    expect(moved.bpm).toBe(BPM);
  });

  it('leaves a grid on the beats where it is', () => {
    const grid = gridFrom(FIRST);
    expect(onBeatPhase(grid, frames, 0, SECONDS, FIRST)).toBe(grid);
    // The first sound alone does not move a grid the cues place.
    expect(onBeatPhase(grid, frames, 0, SECONDS, FIRST + BEAT / 2)).toBe(grid);
  });

  describe('when no cue tells the beats from the ands', () => {
    const mono = evenEighths();
    const even = computeSpectralFrames(mono, SR);
    const first = firstSoundSec(mono, SR);

    it('finds the first sound past a quiet pickup', () => {
      expect(Math.abs(first - FIRST)).toBeLessThan(0.006);
    });

    it('moves a grid whose beats fall half-way from the first sound onto it', () => {
      const moved = onBeatPhase(gridFrom(FIRST + BEAT / 2), even, 0, SECONDS, first);
      const offsets = moved.beats.map((t) => ((t - FIRST) / BEAT) % 1);
      expect(Math.max(...offsets.map((o) => Math.min(o, 1 - o)))).toBeLessThan(0.01);
    });

    it('leaves a grid on the first sound where it is', () => {
      const grid = gridFrom(FIRST);
      expect(onBeatPhase(grid, even, 0, SECONDS, first)).toBe(grid);
    });
  });
});
