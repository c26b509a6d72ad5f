import { describe, expect, it, vi } from 'vitest';
import { MIX_CHANNELS, MIX_RATE } from '../../src/audio/io/mix-format.ts';
import { planTransition } from '../../src/audio/transition/transition-plan.ts';
import { RAMP_AHEAD_SEC, renderTransition, SLACK_SEC, stretchedDeck } from '../../src/audio/transition/render-job.ts';
import type { TransitionJob } from '../../src/audio/transition/render-job.ts';
import { handsCrate } from '../helpers/hands-crate.ts';

vi.setConfig({ testTimeout: 300_000 });

/** RMS of the difference between two buffers over frames [from, to), relative to the RMS of `ref`. */
function relativeDifference(x: Float32Array, ref: Float32Array, from: number, to: number): number {
  let diff = 0;
  let level = 0;
  for (let i = from * MIX_CHANNELS; i < to * MIX_CHANNELS; i++) {
    diff += (x[i]! - ref[i]!) ** 2;
    level += ref[i]! ** 2;
  }
  return Math.sqrt(diff / level);
}

describe("B's stretched deck in a render", () => {
  it('is one deck through the ramp when the render has time to spare; a split head and a streamed ramp when it is due soon; in between, one head and a streamed ramp', async () => {
    const { tracks } = await handsCrate();
    const [a, b] = [tracks[0]!, tracks[1]!];
    const plan = planTransition(a, b);
    const job: TransitionJob = {
      plan,
      from: { file: a.file, gain: 1, bpm: a.analysis.bpm },
      to: { file: b.file, gain: 1, bpm: b.analysis.bpm },
    };
    const bAlone = { solo: 'to' } as const;
    const later = await renderTransition({ ...job, dueInSec: RAMP_AHEAD_SEC + 10 }, undefined, bAlone);
    const soon = await renderTransition({ ...job, dueInSec: SLACK_SEC - 10 }, undefined, bAlone);
    expect(plan.rampBars).toBeGreaterThan(0);
    // Later: rendered to the junction. Soon: handed over to a streamed ramp before it.
    expect(later.handoffFrame).toBe(later.junctionFrame);
    expect(soon.handoffFrame).toBeLessThan(soon.junctionFrame);
    // One deck through rubberband from the start: what B is in a render in one piece.
    const deck = stretchedDeck(job, 0, later.frames);
    const whole = await deck.read(later.handoffFrame);
    deck.close();
    // Around the middle of the soon render's head, where its second half takes over with its own run-up; and in the
    // ramp, past the soon render's handoff.
    const mid = Math.round(soon.frames / 2);
    const one = relativeDifference(later.pcm, whole, mid - MIX_RATE, mid + MIX_RATE);
    const two = relativeDifference(soon.pcm, whole, mid - MIX_RATE, mid + MIX_RATE);
    expect(one).toBeLessThan(1e-3);
    expect(two).toBeGreaterThan(10 * one);
    expect(
      relativeDifference(later.pcm, whole, soon.handoffFrame + MIX_RATE, later.handoffFrame - MIX_RATE),
    ).toBeLessThan(1e-3);
    // In between: the head in one piece, the ramp streamed.
    const between = await renderTransition({ ...job, dueInSec: (SLACK_SEC + RAMP_AHEAD_SEC) / 2 }, undefined, bAlone);
    expect(between.handoffFrame).toBe(soon.handoffFrame);
    expect(relativeDifference(between.pcm, whole, mid - MIX_RATE, mid + MIX_RATE)).toBeLessThan(1e-3);
  });
});
