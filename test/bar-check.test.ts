import { beforeAll, describe, expect, it } from 'vitest';
import type { TrackAnalysis } from '../src/audio/analysis/analysis-types.ts';
import { renderChecked } from '../src/audio/transition/check-and-replan.ts';
import type { PlannedTrack } from '../src/audio/transition/transition-plan.ts';
import { renderTransition } from '../src/audio/transition/render-job.ts';
import { analysedCrate } from './helpers/analysed-crate.ts';
import { jobOf } from './helpers/transition-job.ts';

// A leaves in its drop, B enters on its drop: both decks carry chords that change every bar, and a crash on the one.
let a: PlannedTrack;
let b: PlannedTrack;

beforeAll(async () => {
  // Synthesized and analysed once, kept with the other crates while the code that makes and hears them is unchanged.
  [a, b] = (await analysedCrate('bar-check', [
    { bpm: 124, key: 'A', scale: 'minor', seed: 41, sections: [{ label: 'drop', bars: 16 }] },
    {
      bpm: 126,
      key: 'E',
      scale: 'minor',
      seed: 42,
      sections: [
        { label: 'drop', bars: 8 },
        { label: 'outro', bars: 8 },
      ],
    },
  ])) as [PlannedTrack, PlannedTrack];
}, 120_000);

/** B's bars as an analysis that misplaced them by `beats` (its downbeats, phrases and cues moved; its beats kept). */
function rebarred(t: PlannedTrack, beats: number): PlannedTrack {
  const x = t.analysis;
  const by = (beats * 60) / x.bpm;
  const move = (s: number) => Number((s + by).toFixed(4));
  const analysis: TrackAnalysis = {
    ...x,
    downbeats: x.downbeats.map(move),
    beatPositions: x.beatPositions.map((p) => ((p - 1 - beats + 4 * 8) % 4) + 1),
    phrases: x.phrases.map(move),
    segments: x.segments.map((s) => ({ ...s, start: move(s.start), end: move(s.end) })),
    cues: { mixIn: move(x.cues.mixIn), mixOut: move(x.cues.mixOut) },
  };
  return { ...t, analysis };
}

describe('the bar check after the beat check', () => {
  it("hears B's downbeats on A's in a blend planned on the right bars", async () => {
    const job = jobOf(a, b);
    expect(job.plan.style).toBe('blend');
    const checked = await renderChecked(renderTransition, job, a, b);
    console.log(
      `aligned: ${checked.check?.summary}; bars ${JSON.stringify(checked.check?.bars)} (the beat check ${checked.rendered.check?.costMs.toFixed(0)} ms, the bar check ${checked.rendered.barCheck?.costMs.toFixed(0)} ms)`,
    );
    expect(checked.plan).toBe(job.plan);
    expect(checked.check?.verdict).toBe('passed');
    expect(checked.check?.bars?.verdict).toBe('aligned');
    expect(checked.check?.bars?.offsetBeats).toBe(0);
  }, 60_000);

  it('catches a blend whose incoming bars are half a bar off and re-plans it as an echo-out', async () => {
    // B's analysis puts its bar lines on its beat 3: the plan lays B's three on A's one, its one on A's three. Every
    // beat still lands on a beat, so the beat check passes it.
    const shifted = rebarred(b, 2);
    const job = jobOf(a, shifted);
    expect(job.plan.style).toBe('blend');
    const checked = await renderChecked(renderTransition, job, a, shifted);
    console.log(`half a bar off: ${checked.check?.summary}; bars ${JSON.stringify(checked.check?.bars)}`);
    expect(checked.rendered.check).toBeUndefined();
    expect(checked.check?.verdict).toBe('replanned');
    expect(checked.check?.medianAbsMs).toBeLessThan(5);
    expect(checked.check?.bars).toMatchObject({ verdict: 'apart', offsetBeats: 2 });
    expect(checked.check?.replannedFrom).toEqual({ style: 'blend', overlapBars: job.plan.overlapBars });
    expect(checked.plan.style).toBe('echo-out');
    expect(checked.plan.exitSec).toBe(job.plan.exitSec);
    expect(checked.plan.explanation).toContain('bar check');
    expect(checked.check?.summary).toBe("re-planned as an echo-out: B's downbeats landed on A's beat three");
  }, 60_000);
});
