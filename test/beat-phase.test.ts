import { describe, expect, it } from 'vitest';
import type { BeatGrid } from '../src/audio/analysis/beat-grid.ts';
import { onBeatPhase } from '../src/audio/analysis/beat-phase.ts';
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

function gridFrom(first: number): BeatGrid {
  const beats: number[] = [];
  for (let t = first; t < SECONDS - BEAT; t += BEAT) beats.push(Number(t.toFixed(4)));
  return { bpm: BPM, confidence: 0.9, beats, steady: true, jitterMs: 1 };
}

describe('onBeatPhase', () => {
  const frames = computeSpectralFrames(rockPattern(), SR);

  it('moves a grid on the off-beats onto the kick, the chord changes and the backbeat', () => {
    const moved = onBeatPhase(gridFrom(FIRST + BEAT / 2), frames, 0, SECONDS);
    const offsets = moved.beats.map((t) => ((t - FIRST) / BEAT) % 1);
    expect(Math.max(...offsets.map((o) => Math.min(o, 1 - o)))).toBeLessThan(0.01);
    expect(moved.bpm).toBe(BPM);
  });

  it('leaves a grid on the beats where it is', () => {
    const grid = gridFrom(FIRST);
    expect(onBeatPhase(grid, frames, 0, SECONDS)).toBe(grid);
  });
});
