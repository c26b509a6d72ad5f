import { beforeAll, describe, expect, it, vi } from 'vitest';
import { DeckReader } from '../../src/audio/io/deck-reader.ts';
import { MIX_CHANNELS, MIX_RATE } from '../../src/audio/io/mix-format.ts';
import { toMono } from '../../src/audio/io/pcm.ts';
import { planTransition } from '../../src/audio/transition/transition-plan.ts';
import type { PlannedTrack, TransitionPlan } from '../../src/audio/transition/transition-plan.ts';
import { renderThroughJunction } from '../../src/audio/transition/transition-ramp.ts';
import { renderTransition } from '../../src/audio/transition/render-job.ts';
import type { TransitionJob } from '../../src/audio/transition/render-job.ts';
import { stretchedDeckWindows } from '../../src/eval/set-quality.ts';
import { handsCrate } from '../helpers/hands-crate.ts';

// Each test renders and measures minutes of audio: room for a machine that is busy with other work.
vi.setConfig({ testTimeout: 300_000 });

/** B alone through rubberband, overlap then ramp back to its own tempo, up to the junction with its body. */
interface StretchedStem {
  a: PlannedTrack;
  b: PlannedTrack;
  plan: TransitionPlan;
  job: TransitionJob;
  stem: Awaited<ReturnType<typeof renderThroughJunction>>;
  label: string;
}

const stems: StretchedStem[] = [];

beforeAll(async () => {
  const { tracks, laminarPartner } = await handsCrate();
  // ±1.6 % (rubberband's independent phase) and ±4.6 % (laminar), each way; each rendered once for the tests below.
  const pairs: [PlannedTrack, PlannedTrack][] = [
    [tracks[0]!, tracks[1]!],
    [tracks[1]!, tracks[0]!],
    [tracks[0]!, laminarPartner],
    [laminarPartner, tracks[0]!],
  ];
  // All four at once: each is mostly its own rubberband process.
  stems.push(
    ...(await Promise.all(
      pairs.map(async ([a, b]) => {
        const plan = planTransition(a, b);
        const job = {
          plan,
          from: { file: a.file, gain: 1, bpm: a.analysis.bpm },
          to: { file: b.file, gain: 1, bpm: b.analysis.bpm },
        };
        const stem = await renderThroughJunction(job, { solo: 'to' });
        return { a, b, plan, job, stem, label: `${a.analysis.bpm} → ${b.analysis.bpm}` };
      }),
    )),
  );
}, 300_000);

/** The lag (frames, within ±search) of `y` from frame `yFrom` that best matches `x` from `xFrom` over `n` frames, to the waveform. */
function bestLag(x: Float32Array, xFrom: number, y: Float32Array, yFrom: number, n: number, search: number): number {
  // A local copy: under vitest an imported binding is a module-namespace lookup, here 90 million of them (1.8 s a call).
  const ch = MIX_CHANNELS;
  let best = -Infinity;
  let lagAtBest = 0;
  for (let lag = -search; lag <= search; lag++) {
    let dot = 0;
    for (let i = 0; i < n; i += 2) dot += x[(xFrom + i) * ch]! * y[(yFrom + i + lag) * ch]!;
    if (dot > best) [best, lagAtBest] = [dot, lag];
  }
  return lagAtBest;
}

/**
 * Where B's rendered head (stretched, then ramped back to its own tempo) meets the body that follows, against where
 * the body resumes in B's source: the lag (ms) that best aligns the last 2 s before the junction with the source.
 */
async function junctionOffsetMs({ b, stem }: StretchedStem): Promise<number> {
  const n = 2 * MIX_RATE;
  const search = Math.round(0.02 * MIX_RATE);
  const deck = new DeckReader({ file: b.file, fromSec: stem.bodyFromSec - 2 - search / MIX_RATE });
  const source = await deck.read(n + 2 * search);
  deck.close();
  return (bestLag(stem.pcm, stem.junctionFrame - n, source, search, n, search) / MIX_RATE) * 1000;
}

describe('the stretched deck', () => {
  it('keeps its beats on the tempo schedule through the overlap, with no jump where the two halves of the head meet', async () => {
    // Before rubberband's start-up was allowed for and both halves started at the tempo they keep, the overlap sat
    // 1.6–3.5 ms off and the halves met 1.3–5.4 ms apart.
    for (const { b, plan, stem, label: pair } of stems) {
      const windows = await stretchedDeckWindows(toMono(stem.pcm, 2), plan, b, 1, stem.junctionFrame / MIX_RATE);
      const splitSec = Math.round(stem.renderedFrames / 2) / MIX_RATE;
      const label = `${pair}: ${windows.map((w) => `${w.atSec.toFixed(1)} s ${w.offsetMs.toFixed(2)}`).join(', ')}`;
      expect(plan.style, label).toBe('blend');
      const overlap = windows.filter((w) => w.endSec <= plan.overlapSec);
      expect(overlap.length, label).toBeGreaterThanOrEqual(4);
      expect(Math.max(...overlap.map((w) => Math.abs(w.offsetMs))), label).toBeLessThanOrEqual(0.5);
      const before = windows.filter((w) => w.endSec <= splitSec).at(-1)!;
      const after = windows.find((w) => w.atSec >= splitSec)!;
      expect(after.atSec - before.atSec, label).toBeLessThanOrEqual(9);
      expect(Math.abs(after.offsetMs - before.offsetMs), label).toBeLessThanOrEqual(0.5);
      // The ramp: within a beat envelope's 1.5 ms (the junction itself is matched to the waveform, below).
      expect(Math.max(...windows.map((w) => Math.abs(w.offsetMs))), label).toBeLessThanOrEqual(1.5);
    }
  });

  it('streams its ramp from where the render ahead stops, continuing it to the waveform', async () => {
    // The ramp back to B's own tempo is B alone: the set streams it with B's body instead of rendering it ahead.
    for (const { plan, job, stem: streamed, label } of stems) {
      const ahead = await renderTransition(job, undefined, { solo: 'to', rampAhead: true });
      expect(ahead.handoffFrame).toBe(ahead.junctionFrame);
      expect(streamed.junctionFrame).toBe(ahead.junctionFrame);
      expect(streamed.renderedFrames / MIX_RATE, label).toBeLessThan(plan.overlapSec + 4);
      expect((streamed.junctionFrame - streamed.handoffFrame) / MIX_RATE, label).toBeGreaterThan(10);
      // The streamed ramp against the same ramp rendered ahead, over its first second (the crossfade included):
      // measured 0.06–0.17 ms apart (two rubberband runs, started at different points of the schedule).
      const n = MIX_RATE;
      const search = Math.round(0.005 * MIX_RATE);
      const lag = bestLag(streamed.pcm, streamed.handoffFrame, ahead.pcm, streamed.handoffFrame, n, search);
      expect(Math.abs((lag / MIX_RATE) * 1000), label).toBeLessThanOrEqual(0.25);
    }
  });

  it('hands over to its body where the source resumes, to the waveform, after ramps in both phase modes', async () => {
    // Without allowing for rubberband taking up tempo changes ahead of their commands, this was 2.4–4.3 ms.
    for (const s of stems) {
      expect(s.plan.rampBars).toBeGreaterThanOrEqual(8);
      expect(Math.abs(await junctionOffsetMs(s)), s.label).toBeLessThanOrEqual(1);
    }
  });
});
