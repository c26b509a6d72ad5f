import { describe, expect, it, vi } from 'vitest';
import { MIX_CHANNELS, MIX_RATE } from '../../src/audio/io/deck-reader.ts';
import { planTransition } from '../../src/audio/transition/transition-plan.ts';
import { renderTransition, SPLIT_DUE_SEC, stretchedDeck } from '../../src/audio/transition/transition-render.ts';
import type { TransitionJob } from '../../src/audio/transition/transition-render.ts';
import { handsCrate } from '../helpers/hands-crate.ts';

vi.setConfig({ testTimeout: 300_000 });

/** RMS of the difference between two buffers over interleaved frames [from, to), relative to the RMS of `ref`. */
function relativeDifference(x: Float32Array, ref: Float32Array, from: number, to: number): number {
  let diff = 0;
  let level = 0;
  for (let i = from * MIX_CHANNELS; i < to * MIX_CHANNELS; i++) {
    diff += (x[i]! - ref[i]!) ** 2;
    level += ref[i]! ** 2;
  }
  return Math.sqrt(diff / level);
}

describe("B's stretched head", () => {
  it('is stretched in one piece when the render has time to spare, as two halves when it is due soon', async () => {
    const { tracks } = await handsCrate();
    const [a, b] = [tracks[0]!, tracks[1]!];
    const plan = planTransition(a, b);
    const job: TransitionJob = { plan, from: { file: a.file, gain: 1, bpm: a.analysis.bpm }, to: { file: b.file, gain: 1, bpm: b.analysis.bpm }, solo: 'to' };
    const later = await renderTransition({ ...job, dueInSec: SPLIT_DUE_SEC + 10 });
    const soon = await renderTransition({ ...job, dueInSec: SPLIT_DUE_SEC - 10 });
    // One deck through rubberband from the start: what an unsplit head is.
    const deck = stretchedDeck(job, 0, later.frames);
    const whole = await deck.read(later.handoffFrame);
    deck.close();
    // Around the middle, where a split head's second half takes over with its own run-up.
    const mid = Math.round(later.frames / 2);
    const [from, to] = [mid - MIX_RATE, mid + MIX_RATE];
    const one = relativeDifference(later.pcm, whole, from, to);
    const two = relativeDifference(soon.pcm, whole, from, to);
    expect(later.frames).toBe(soon.frames);
    expect(one).toBeLessThan(1e-3);
    expect(two).toBeGreaterThan(10 * one);
  });
});
