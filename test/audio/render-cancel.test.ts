import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_TARGET_LUFS, transitionJob } from '../../src/audio/set/transition-job.ts';
import { planTransition } from '../../src/audio/transition/transition-plan.ts';
import type { PlannedTrack } from '../../src/audio/transition/transition-plan.ts';
import { renderTransition } from '../../src/audio/transition/render-job.ts';
import type { TransitionJob } from '../../src/audio/transition/render-job.ts';
import { RenderCancelled, TransitionRenderer } from '../../src/audio/transition/transition-renderer.ts';
import { descendants } from '../../src/voice/process-cpu.ts';
import { handsCrate } from '../helpers/hands-crate.ts';
import { until } from '../helpers/until.ts';

let job: TransitionJob;
/** A short blend of the same pair: the renders that must complete. */
let short: TransitionJob;

beforeAll(async () => {
  const { tracks } = await handsCrate();
  const [a, b] = tracks as [PlannedTrack, PlannedTrack];
  job = transitionJob(planTransition(a, b), a, b, DEFAULT_TARGET_LUFS);
  short = transitionJob(planTransition(a, b, { maxOverlapBars: 8 }), a, b, DEFAULT_TARGET_LUFS);
  // A blend, B stretched: the render's longest kind (its head through rubberband).
  expect(job.plan.style).toBe('blend');
  expect(job.plan.schedule.length).toBeGreaterThan(0);
}, 180_000);

/** ffmpeg processes under this one (through the decoders' spawner). */
const decoders = (): number[] =>
  descendants(process.pid).filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0]!.endsWith('ffmpeg');
    } catch {
      return false;
    }
  });

describe('a transition render given up by whoever asked', () => {
  it('rejects as soon as it is aborted and kills its decoders, rather than render what will not play', async () => {
    const cancel = new AbortController();
    const rendering = renderTransition(job, cancel.signal);
    await until(() => decoders().length > 0, 'the render to start its decoders');
    cancel.abort();
    await expect(rendering).rejects.toThrow();
    expect(cancel.signal.aborted).toBe(true);
    await until(() => decoders().length === 0, 'the decoders to be gone', 5000);
  });

  describe('on the renderer thread', () => {
    let renderer: TransitionRenderer;
    beforeAll(() => {
      renderer = new TransitionRenderer({ concurrency: 1 });
    });
    afterAll(() => renderer.close());

    it('a running render: rejects with RenderCancelled, and its turn goes to the next', async () => {
      const cancel = new AbortController();
      const first = renderer.render(job, cancel.signal);
      const second = renderer.render(short);
      setTimeout(() => cancel.abort(), 200);
      await expect(first).rejects.toBeInstanceOf(RenderCancelled);
      const rendered = await second;
      expect(rendered.frames).toBeGreaterThan(0);
      expect(rendered.pcm.length).toBe(rendered.frames * 2);
    });

    it('closing the renderer fails the renders it still has, rather than leave them unanswered', async () => {
      const closing = new TransitionRenderer({ concurrency: 1 });
      const running = closing.render(job);
      const waiting = closing.render(short);
      const answered = (p: Promise<unknown>) =>
        Promise.race([
          p.then(
            () => 'rendered',
            (e: Error) => e.message,
          ),
          new Promise((resolve) => setTimeout(resolve, 5000, 'unanswered')),
        ]);
      const answers = Promise.all([answered(running), answered(waiting)]);
      await closing.close();
      expect(await answers).toEqual(['the transition renderer is closed', 'the transition renderer is closed']);
    });

    it('a render waiting its turn: rejects at once, the one before it and the one after it still render', async () => {
      const cancel = new AbortController();
      const first = renderer.render(short);
      const waiting = renderer.render(job, cancel.signal);
      const after = renderer.render(short);
      cancel.abort();
      await expect(waiting).rejects.toBeInstanceOf(RenderCancelled);
      const [a, b] = await Promise.all([first, after]);
      expect(a.frames).toBe(b.frames);
      // An already-aborted signal is refused before any work.
      const gone = new AbortController();
      gone.abort();
      await expect(renderer.render(job, gone.signal)).rejects.toBeInstanceOf(RenderCancelled);
    });
  });
});
