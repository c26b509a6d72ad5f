import { beforeAll, describe, expect, it } from 'vitest';
import type { TrackAnalysis } from '../src/audio/analysis/analysis-types.ts';
import { renderChecked } from '../src/audio/transition/check-and-replan.ts';
import { minCheckBars } from '../src/audio/transition/beat-check.ts';
import { summarizePhase } from '../src/audio/transition/deck-phase.ts';
import { passes } from '../src/audio/transition/beat-check.ts';
import type { DeckCheck } from '../src/audio/transition/beat-check.ts';
import { planTransition } from '../src/audio/transition/transition-plan.ts';
import type { PlannedTrack } from '../src/audio/transition/transition-plan.ts';
import { renderTransition } from '../src/audio/transition/render-job.ts';
import { renderThroughJunction } from '../src/audio/transition/transition-ramp.ts';
import { placementPhase } from '../src/audio/transition/deck-placement.ts';
import type { RenderedTransition, TransitionJob } from '../src/audio/transition/render-job.ts';
import type { SynthSection } from '../src/synth/track-synth.ts';
import { analysedCrate } from './helpers/analysed-crate.ts';
import { jobOf } from './helpers/transition-job.ts';

// Long intro and outro: a 32-bar blend, long enough for a drift to show.
const EDIT: SynthSection[] = [
  { label: 'intro', bars: 32 },
  { label: 'build', bars: 8 },
  { label: 'drop', bars: 16 },
  { label: 'outro', bars: 32 },
];

let a: PlannedTrack;
let b: PlannedTrack;

beforeAll(async () => {
  // Synthesized and analysed once, kept with the other crates while the code that makes and hears them is unchanged.
  [a, b] = (await analysedCrate('beat-check', [
    { bpm: 124, key: 'A', scale: 'minor', seed: 31, sections: EDIT },
    { bpm: 126, key: 'E', scale: 'minor', seed: 32, sections: EDIT },
  ])) as [PlannedTrack, PlannedTrack];
}, 240_000);

/** B's analysis with its grid moved by `shiftSec` and its period scaled by `1 + drift` about its mix-in downbeat. */
function regridded(t: PlannedTrack, shiftSec: number, drift = 0): PlannedTrack {
  const x = t.analysis;
  const pivot = x.cues.mixIn;
  const move = (s: number) => pivot + (s - pivot) * (1 + drift) + shiftSec;
  const analysis: TrackAnalysis = {
    ...x,
    bpm: x.bpm / (1 + drift),
    beats: x.beats.map(move),
    downbeats: x.downbeats.map(move),
    phrases: x.phrases.map(move),
    cues: { ...x.cues, mixIn: move(x.cues.mixIn), mixOut: move(x.cues.mixOut) },
  };
  return { ...t, analysis };
}

describe('the beat check before a transition plays', () => {
  it('passes a correctly aligned blend and reports its figure', async () => {
    const job = jobOf(a, b);
    expect(job.plan.style).toBe('blend');
    expect(job.plan.overlapBars).toBe(32);
    const t0 = performance.now();
    const checked = await renderChecked(renderTransition, job, a, b);
    console.log(
      `aligned: ${checked.check?.summary} (render + check ${((performance.now() - t0) / 1000).toFixed(2)} s, the check ${checked.rendered.check?.costMs.toFixed(0)} ms)`,
    );
    expect(checked.plan).toBe(job.plan);
    expect(checked.check?.verdict).toBe('passed');
    // Most of the 32 bars carry kicks on both decks (the synth's intro and outro keep the four-on-the-floor).
    expect(checked.check!.barsCompared).toBeGreaterThan(15);
    expect(checked.check!.beatsCompared).toBeGreaterThan(60);
    expect(checked.check!.medianAbsMs).toBeLessThan(1);
    expect(checked.check!.maxAbsMs).toBeLessThan(5);
    expect(checked.check!.summary).toMatch(/^checked: bars within \d+(\.\d)? ms \(median \d+\.\d ms over \d+ bars\)$/);
    expect(checked.rendered.check?.errors.length).toBe(checked.check!.barsCompared);
  }, 120_000);

  it('catches a blend whose incoming grid is 30 ms off and re-plans it as an echo-out', async () => {
    // B's analysis puts every beat 30 ms after its real kick: the plan lays B's kicks 30 ms before A's.
    const shifted = regridded(b, 0.03);
    const job = jobOf(a, shifted);
    expect(job.plan.style).toBe('blend');
    const checked = await renderChecked(renderTransition, job, a, shifted);
    console.log(`shifted 30 ms: ${checked.check?.summary}`);
    expect(checked.check?.verdict).toBe('replanned');
    // Bar by bar, B's kick fold against A's reads the shift itself: B's kicks 30 ms early.
    expect(checked.check!.offsetMs).toBeGreaterThan(-32);
    expect(checked.check!.offsetMs).toBeLessThan(-28);
    expect(checked.check!.maxAbsMs).toBeGreaterThan(20);
    expect(checked.check!.replannedFrom).toEqual({ style: 'blend', overlapBars: 32 });
    expect(checked.plan.style).toBe('echo-out');
    expect(checked.plan.exitSec).toBe(job.plan.exitSec);
    expect(checked.plan.explanation).toContain('beat check');
    expect(checked.check!.summary).toMatch(/^re-planned as an echo-out: the decks were (29|30|31) ms apart$/);
    // The echo-out was rendered (not beat-matched: nothing left to check).
    expect(checked.rendered.check).toBeUndefined();
  }, 120_000);

  it('moves B by a steady offset of a few ms and checks it again', async () => {
    // B's grid 8 ms after its kicks (as two kicks whose clicks and bodies the grids place differently): steady, so
    // the check moves B by what it read rather than giving up the blend.
    const shifted = regridded(b, 0.008);
    const job = jobOf(a, shifted);
    const checked = await renderChecked(renderTransition, job, a, shifted);
    console.log(`shifted 8 ms: ${checked.check?.summary}; re-check ${JSON.stringify(checked.check?.recheck)}`);
    expect(checked.check?.verdict).toBe('nudged');
    expect(checked.check!.offsetMs).toBeGreaterThan(-9);
    expect(checked.check!.offsetMs).toBeLessThan(-7);
    expect(checked.plan.style).toBe('blend');
    expect(checked.plan.overlapBars).toBe(32);
    expect(checked.check!.recheck!.medianAbsMs).toBeLessThan(1);
    expect(checked.rendered.check?.passed).toBe(true);
  }, 120_000);

  it('shortens a blend whose decks drift apart to the phrase where they are still together', async () => {
    // B's tempo read 0.05 % slow: stretched by that much too little, its kicks drift ~31 ms over 32 bars.
    const drifting = regridded(b, 0, 0.0005);
    const job = jobOf(a, drifting);
    expect(job.plan.overlapBars).toBe(32);
    const checked = await renderChecked(renderTransition, job, a, drifting);
    console.log(`drifting: ${checked.check?.summary}; re-check ${JSON.stringify(checked.check?.recheck)}`);
    expect(checked.check?.verdict).toBe('replanned');
    expect(checked.plan.style).toBe('blend');
    expect(checked.plan.overlapBars).toBe(8);
    expect(checked.check!.recheck!.maxAbsMs).toBeLessThanOrEqual(20);
    expect(checked.check!.summary).toMatch(/^re-planned as an 8-bar blend: the decks drifted \d+ ms apart by bar 32$/);
  }, 180_000);
});

describe('the beat check with too few bars to vouch either way', () => {
  /** A render that returns the given checks in turn (no audio): what renderChecked decides from them. */
  const fakeRender = (checks: (DeckCheck | undefined)[]) => {
    const jobs: TransitionJob[] = [];
    const render = (job: TransitionJob): Promise<RenderedTransition> => {
      jobs.push(job);
      return Promise.resolve({
        pcm: new Float32Array(0),
        frames: 0,
        handoffFrame: 0,
        junctionFrame: 0,
        bodyFromSec: 0,
        check: checks[jobs.length - 1],
      });
    };
    return { render, jobs };
  };
  const checkOf = (errorsMs: number[]): DeckCheck => {
    const errors = errorsMs.map((errorMs, i) => ({ atSec: 2 * i, errorMs, beats: 3 }));
    const s = summarizePhase(errors);
    return { ...s, passed: passes(s), errors, reading: errors.length >= 4 ? 'bars' : 'none', costMs: 1 };
  };

  it('keeps a transition whose check read fewer bars than it needs, and says so', async () => {
    const job = jobOf(a, b);
    expect(minCheckBars(job.plan.overlapBars)).toBe(4);
    // One bar at 5.5 ms (farm → bay on the real-music set): not evidence that the decks are apart.
    const one = fakeRender([checkOf([5.5])]);
    const kept = await renderChecked(one.render, job, a, b);
    expect(one.jobs).toHaveLength(1);
    expect(kept.plan).toBe(job.plan);
    expect(kept.check?.verdict).toBe('unchecked');
    expect(kept.check?.summary).toBe('too few kicks on both decks to check (1 bar, 4 needed): played as planned');
    // Three bars that disagree (no steady offset to nudge by): kept too, even with one of them far off.
    const three = fakeRender([checkOf([3, 12, 30])]);
    const kept3 = await renderChecked(three.render, job, a, b);
    expect(three.jobs).toHaveLength(1);
    expect(kept3.check?.verdict).toBe('unchecked');
    expect(kept3.check?.barsCompared).toBe(3);
  });

  it('nudges B from the bars there are when they agree, and re-plans when there are enough', async () => {
    const job = jobOf(a, b);
    // Two bars agreeing on 8.6 ms (bay → celtic): B moved by it, and the same transition rendered again.
    const two = fakeRender([checkOf([8.4, 8.8]), checkOf([0.3, 0.5])]);
    const nudged = await renderChecked(two.render, job, a, b);
    expect(two.jobs).toHaveLength(2);
    expect(nudged.check?.verdict).toBe('nudged');
    expect(nudged.check?.nudgedMs).toBeCloseTo(8.6, 5);
    expect(nudged.plan.style).toBe(job.plan.style);
    // Four bars 30 ms off: enough to re-plan (no shorter blend passes, so an echo-out).
    const four = fakeRender([checkOf([30, 31, 29, 30]), undefined]);
    const replanned = await renderChecked(four.render, job, a, b);
    expect(replanned.check?.verdict).toBe('replanned');
    expect(replanned.plan.style).toBe('echo-out');
  });
});

describe('the placement reading: each deck against its own track', () => {
  it('reads where a rendered deck lands against its source, and a deck misplaced by 12 ms as 12 ms', async () => {
    const job = { ...jobOf(a, b), plan: planTransition(a, b, { maxOverlapBars: 8 }) };
    const [deckA, deckB] = await Promise.all([
      renderThroughJunction(job, { solo: 'from' }),
      renderThroughJunction(job, { solo: 'to' }),
    ]);
    const read = (bDeck: Float32Array) =>
      placementPhase(job.plan, deckA.pcm, bDeck, job.from, job.to, a.analysis.beats, b.analysis.beats);
    const aligned = await read(deckB.pcm);
    expect(aligned).toBeDefined();
    // B is stretched (124 → 126 BPM): its deck against its unstretched source, A's against its own.
    expect(Math.abs(aligned!.errorMs)).toBeLessThan(1);
    expect(job.plan.overlapBars).toBe(8);
    expect(aligned!.beats).toBeGreaterThanOrEqual(28);
    const late = new Float32Array(deckB.pcm.length);
    const shift = Math.round(0.012 * 48_000) * 2;
    late.set(deckB.pcm.subarray(0, deckB.pcm.length - shift), shift);
    const misplaced = await read(late);
    expect(misplaced!.errorMs).toBeGreaterThan(11);
    expect(misplaced!.errorMs).toBeLessThan(13);
  });
});
