import { describe, expect, it } from 'vitest';
import { beatKicks, judgeKicks, pairBeats, pooledPhase } from '../../src/audio/transition/deck-phase.ts';

const RATE = 48_000;
const BEAT = 0.5;

/** A deck of 8 bars at 120 BPM with a kick (a click into a decaying 55 Hz body) on every beat of the bars given. */
function deck(kickBars: (bar: number) => boolean, offsetSec: number, seed: number): Float32Array {
  const out = new Float32Array(Math.ceil((8 * 4 * BEAT + 1) * RATE));
  let s = seed;
  const noise = () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32) * 2 - 1;
  for (let i = 0; i < out.length; i++) out[i] = 0.01 * noise();
  for (let beat = 0; beat < 32; beat++) {
    if (!kickBars(Math.floor(beat / 4))) continue;
    const start = Math.round((0.25 + beat * BEAT + offsetSec) * RATE);
    for (let i = 0; i < 0.25 * RATE && start + i < out.length; i++) {
      const t = i / RATE;
      const click = i < 0.002 * RATE ? 0.5 * noise() : 0;
      out[start + i]! += 0.8 * Math.exp(-t / 0.08) * Math.sin(2 * Math.PI * 55 * t) + click;
    }
  }
  return out;
}

const beats = Array.from({ length: 32 }, (_, i) => 0.25 + i * BEAT);

function read(offsetMs: number) {
  // A's kicks in the first four bars only, B's in the last four: no bar has kicks on both decks.
  const a = deck((bar) => bar < 4, 0, 1);
  const b = deck((bar) => bar >= 4, offsetMs / 1000, 2);
  const pairs = pairBeats(beats, beats);
  const kicksA = beatKicks(a, RATE, beats);
  const kicksB = beatKicks(b, RATE, beats);
  return { bars: judgeKicks(pairs, kicksA, kicksB), pooled: pooledPhase(pairs, kicksA, kicksB) };
}

describe('the pooled reading of two decks whose kicks never sound together', () => {
  it('reads no bar, but reads the decks in phase from their kicks over the overlap', () => {
    const { bars, pooled } = read(0);
    expect(bars).toHaveLength(0);
    expect(pooled).toBeDefined();
    expect(Math.abs(pooled!.errorMs)).toBeLessThan(1);
    expect(pooled!.beats).toBe(16);
  });

  it('reads a steady offset of B to within a millisecond, early or late', () => {
    for (const offset of [12, -25]) {
      const { pooled } = read(offset);
      expect(pooled).toBeDefined();
      expect(Math.abs(pooled!.errorMs - offset)).toBeLessThan(1);
    }
  });

  it('reads nothing when one deck has too few kicks', () => {
    const a = deck((bar) => bar < 4, 0, 1);
    const b = deck(() => false, 0, 2);
    const pairs = pairBeats(beats, beats);
    expect(pooledPhase(pairs, beatKicks(a, RATE, beats), beatKicks(b, RATE, beats))).toBeUndefined();
  });
});
