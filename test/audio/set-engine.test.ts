import { copyFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { MixScorer } from '../../src/ai/mix-scorer.ts';
import { orderTracks } from '../../src/ai/order-tracks.ts';
import { MIX_CHANNELS, MIX_RATE } from '../../src/audio/io/mix-format.ts';
import { concatSamples } from '../../src/audio/io/pcm.ts';
import { SetEngine } from '../../src/audio/set/set-engine.ts';
import type { SetEvent } from '../../src/audio/set/set-engine.ts';
import { setStartSec } from '../../src/audio/set/set-timeline.ts';
import type { PlannedTrack } from '../../src/audio/transition/transition-plan.ts';
import type { TransitionJob } from '../../src/audio/transition/render-job.ts';
import { TransitionRenderer } from '../../src/audio/transition/transition-renderer.ts';
import { crashDecoders } from '../helpers/crash-decoder.ts';
import { makeTempDir } from '../helpers/ffmpeg-fixtures.ts';
import { rmsDb } from '../helpers/pcm-level.ts';
import { handsCrate } from '../helpers/hands-crate.ts';
import type { MeasuredSet, MeasuredSetJob } from '../helpers/measured-set-worker.ts';

// Each test renders and measures minutes of audio: room for a machine that is busy with other work.
vi.setConfig({ testTimeout: 300_000 });

let tmp: ReturnType<typeof makeTempDir>;
let tracks: PlannedTrack[] = [];
/** The three tracks mixed to a file in queue order as `minidj mix` does, read back and measured, on a thread of its own. */
let wholeSet: Promise<MeasuredSet>;

beforeAll(async () => {
  tmp = makeTempDir();
  ({ tracks } = await handsCrate());
  const scorer = await MixScorer.load();
  const ordered = await orderTracks(tracks, scorer, 'queue');
  await scorer.close();
  wholeSet = measuredOnThread({ ordered, out: path.join(tmp.dir, 'set.wav'), targetLufs: -14 });
  // Its test awaits it; a failure must not go unhandled before then.
  wholeSet.catch(() => undefined);
}, 180_000);
afterAll(async () => {
  await wholeSet?.catch(() => undefined);
  tmp.cleanup();
});

function measuredOnThread(job: MeasuredSetJob): Promise<MeasuredSet> {
  const worker = new Worker(new URL('../helpers/measured-set-worker.ts', import.meta.url), { workerData: job });
  return new Promise((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`the set's thread stopped (exit ${code}) without a result`)));
  });
}

/** The set engine's output lags what it produces by the limiter's 5 ms look-ahead. */
const LIMITER_DELAY_FRAMES = Math.round(0.005 * MIX_RATE);

/**
 * How loud the set is where a deck stopped short (set frame `frame`, as produced): the peak over the 0.5 ms either
 * side of the seam, relative to the peak over the 50 ms before it. An abrupt stop leaves the seam at full level.
 */
function seamLevel(stereo: Float32Array, frame: number): number {
  const seam = frame + LIMITER_DELAY_FRAMES;
  const peak = (from: number, to: number): number => {
    let p = 0;
    for (let i = from * 2; i < to * 2; i++) p = Math.max(p, Math.abs(stereo[i]!));
    return p;
  };
  return peak(seam - 24, seam + 24) / peak(frame - 2400, frame);
}

describe('set engine', () => {
  async function collect(engine: SetEngine, onFrames: (seconds: number) => void): Promise<number> {
    let frames = 0;
    for await (const chunk of engine.stream()) {
      frames += chunk.length / MIX_CHANNELS;
      onFrames(frames / MIX_RATE);
    }
    return frames / MIX_RATE;
  }

  it('skip mixes out at the next phrase of the playing track', async () => {
    const renderer = new TransitionRenderer();
    const engine = new SetEngine(tracks.slice(0, 2), { renderer });
    let asked = -1;
    await collect(engine, (s) => {
      if (asked < 0 && s > 20) {
        // Track time of the request: set time plus where the set started in the first track.
        s += setStartSec(tracks[0]!);
        asked = s;
        engine.skip();
      } else if (engine.report.length > 0) {
        // The transition is reported, final, as it starts: the rest of B is not needed.
        engine.stop();
      }
    });
    await renderer.close();
    const tr = engine.report[0]!;
    const a = tracks[0]!.analysis;
    const bar = (4 * 60) / a.bpm;
    const expected = a.phrases.find((p) => p >= asked + 2 * bar)!;
    expect(tr.plan.exitSec).toBeCloseTo(expected, 3);
    // Set time runs from the first track's first downbeat.
    expect(tr.startSec).toBeCloseTo(expected - setStartSec(tracks[0]!), 2);
    expect(tr.startSec).toBeLessThan(a.cues.mixOut);
  });

  it('stop fades out on the next downbeat and ends the stream', async () => {
    const renderer = new TransitionRenderer();
    const engine = new SetEngine(tracks.slice(0, 2), { renderer });
    let asked = -1;
    const total = await collect(engine, (s) => {
      if (asked < 0 && s > 15) {
        asked = s + setStartSec(tracks[0]!);
        engine.stop();
      }
    });
    await renderer.close();
    const a = tracks[0]!.analysis;
    const next = a.downbeats.find((d) => d > asked + 0.05)!;
    // Ends one beat after that downbeat (plus the limiter's 5 ms look-ahead).
    const end = total + setStartSec(tracks[0]!);
    expect(end).toBeGreaterThan(next);
    expect(end).toBeLessThan(next + 60 / a.bpm + 0.05);
    expect(engine.report).toHaveLength(0);
  });
});

describe('when a transition is not rendered in time', () => {
  for (const [name, render] of [
    ['a renderer that is too slow', () => new Promise<never>(() => undefined)],
    ['a renderer that crashed', () => Promise.reject(new Error('ffmpeg crashed (SIGSEGV)'))],
  ] as const) {
    it(`falls back to a cut on the downbeat, never to silence: ${name}`, async () => {
      const engine = new SetEngine(tracks.slice(0, 2), { renderer: { render }, renderDeadlineMs: 50 });
      const chunks: Float32Array[] = [];
      for await (const chunk of engine.stream()) chunks.push(chunk);
      const tr = engine.report[0]!;
      expect(tr.style).toBe('cut');
      expect(tr.explanation).toBe('the blend was not rendered in time, so a cut on the downbeat instead');
      // The set goes on with B from its entry downbeat, and there is sound on both sides of the cut.
      const stereo = concatSamples(chunks);
      expect(rmsDb(stereo, tr.startSec - 0.5, tr.startSec - 0.01)).toBeGreaterThan(-40);
      expect(rmsDb(stereo, tr.startSec + 0.01, tr.startSec + 0.5)).toBeGreaterThan(-40);
      expect(engine.positionSec).toBeGreaterThan(tr.startSec + 60);
    });
  }

  it('cancels the render of a transition that will not play: too late (a cut instead), skipped to an earlier phrase, or the set stopped', async () => {
    // A renderer that never answers and records whether whoever asked gave up.
    const asked: AbortSignal[] = [];
    const renderer = {
      render: (_job: TransitionJob, signal?: AbortSignal) => {
        if (signal) asked.push(signal);
        return new Promise<never>(() => undefined);
      },
    };
    // Too late: the cut replaces it.
    const late = new SetEngine(tracks.slice(0, 2), { renderer, renderDeadlineMs: 50 });
    for await (const chunk of late.stream()) void chunk;
    expect(late.report[0]!.style).toBe('cut');
    expect(asked).toHaveLength(1);
    expect(asked[0]!.aborted).toBe(true);

    // Skipped: the exit moves to the next phrase and is rendered again; the first render is given up, the second kept
    // until the set stops.
    asked.length = 0;
    const skipped = new SetEngine(tracks.slice(0, 2), { renderer, renderDeadlineMs: 50 });
    const stream = skipped.stream();
    await stream.next();
    skipped.skip();
    while (asked.length < 2) await stream.next();
    expect(asked[0]!.aborted).toBe(true);
    expect(asked[1]!.aborted).toBe(false);
    skipped.stop();
    for await (const chunk of stream) void chunk;
    expect(asked[1]!.aborted).toBe(true);

    // Closed from outside (the broadcast's consumer gone) mid-body.
    asked.length = 0;
    const closed = new SetEngine(tracks.slice(0, 2), { renderer, renderDeadlineMs: 50 });
    const open = closed.stream();
    await open.next();
    await open.return(undefined);
    expect(asked).toHaveLength(1);
    expect(asked[0]!.aborted).toBe(true);
  });

  it('tells the renderer when a live transition plays (set time from the body where it is planned); offline, nothing', async () => {
    const asked = async (renderDeadlineMs?: number): Promise<TransitionJob> => {
      let job: TransitionJob | undefined;
      const engine = new SetEngine(tracks.slice(0, 2), {
        renderer: { render: (j) => ((job = j), Promise.reject(new Error('not rendered'))) },
        renderDeadlineMs,
      });
      const stream = engine.stream();
      await stream.next();
      engine.stop();
      for await (const chunk of stream) void chunk;
      return job!;
    };
    const live = await asked(50);
    // Planned as the first body starts: due where the plan leaves it, from the body's start.
    expect(live.dueInSec).toBeCloseTo(live.plan.exitSec - setStartSec(tracks[0]!), 6);
    expect((await asked(undefined)).dueInSec).toBeUndefined();
  });

  it('keeps only the newest transitions in its report when told to, as a never-ending set does', async () => {
    let turn = 0;
    let transitions = 0;
    const engine = new SetEngine([tracks[0]!], {
      renderer: { render: () => Promise.reject(new Error('ffmpeg crashed (SIGSEGV)')) },
      renderDeadlineMs: 50,
      reportLimit: 2,
      nextTrack: async () => tracks[1 + (turn++ % 2)],
      onEvent: (e) => {
        if (e.type === 'transition' && ++transitions === 5) engine.stop();
      },
    });
    for await (const chunk of engine.stream()) void chunk;
    expect(transitions).toBe(5);
    expect(engine.report.map((t) => t.index)).toEqual([3, 4]);
  });
});

describe('when a decoder dies mid-set', () => {
  async function play(
    set: PlannedTrack[],
    atSec: number,
    onCrashPoint: () => void,
  ): Promise<{ stereo: Float32Array; engine: SetEngine; events: SetEvent[]; crashedAtSec: number }> {
    const renderer = new TransitionRenderer();
    const events: SetEvent[] = [];
    const engine = new SetEngine(set, { renderer, onEvent: (e) => events.push(e) });
    const chunks: Float32Array[] = [];
    let crashedAtSec = NaN;
    try {
      for await (const chunk of engine.stream()) {
        chunks.push(chunk);
        if (Number.isNaN(crashedAtSec) && engine.positionSec >= atSec) {
          crashedAtSec = engine.positionSec;
          onCrashPoint();
          // Let the dead decoder's exit be seen before the next read, as it would be at real-time pace.
          await new Promise((resolve) => setTimeout(resolve, 200));
        }
      }
    } finally {
      await renderer.close();
    }
    return { stereo: concatSamples(chunks), engine, events, crashedAtSec };
  }

  it('reopens the deck where it stopped: the set goes on as if nothing happened', async () => {
    const set = tracks.slice(0, 2);
    const reference = await play(set, 30, () => undefined);
    let killed = 0;
    const crashed = await play(set, 30, () => (killed = crashDecoders(set[0]!.file, 10)));
    expect(killed).toBe(1);
    const errors = crashed.events.filter((e) => e.type === 'deck-error');
    expect(errors.map((e) => e.type === 'deck-error' && [e.track.id, e.recovered])).toEqual([[set[0]!.id, true]]);
    expect(crashed.engine.report.map((t) => t.style)).toEqual(reference.engine.report.map((t) => t.style));
    expect(crashed.stereo.length).toBe(reference.stereo.length);
    // The same audio on both sides of the reopening, to float rounding (the deck reopens on the same resampling grid).
    let worst = 0;
    for (let i = 0; i < reference.stereo.length; i++)
      worst = Math.max(worst, Math.abs(crashed.stereo[i]! - reference.stereo[i]!));
    expect(worst).toBeLessThan(1e-5);
  });

  it('cuts to the next track when the deck cannot be reopened (its file is gone)', async () => {
    const copy = path.join(tmp.dir, 'vanishing.wav');
    copyFileSync(tracks[0]!.file, copy);
    const set = [{ ...tracks[0]!, id: 'vanishing', file: copy }, tracks[1]!];
    const crashed = await play(set, 30, () => {
      rmSync(copy);
      crashDecoders(copy, 10);
    });
    const errors = crashed.events.flatMap((e) =>
      e.type === 'deck-error' && e.track.id === 'vanishing' ? [e.recovered] : [],
    );
    expect(errors).toEqual([true, true, false]);
    // The transition out of it may have been rendering when the file went: told as a failed render into the next track.
    const others = crashed.events.flatMap((e) => (e.type === 'deck-error' && e.track.id !== 'vanishing' ? [e] : []));
    expect(others.every((e) => e.recovered && e.track.id === tracks[1]!.id)).toBe(true);
    const tr = crashed.engine.report[0]!;
    expect(tr.style).toBe('cut');
    expect(tr.explanation).toMatch(/could not be played on/);
    // Cut where the deck was lost, not at the planned exit.
    expect(tr.startSec).toBeGreaterThanOrEqual(crashed.crashedAtSec);
    expect(tr.startSec).toBeLessThan(crashed.crashedAtSec + 1);
    expect(rmsDb(crashed.stereo, tr.startSec + 0.01, tr.startSec + 0.5)).toBeGreaterThan(-40);
    expect(crashed.engine.positionSec).toBeGreaterThan(tr.startSec + 60);
    // The lost track fades out over the 5 ms still in the limiter, and the next fades in: no click at the seam.
    expect(seamLevel(crashed.stereo, Math.round(tr.startSec * MIX_RATE))).toBeLessThan(0.2);
  });

  it("lets the next track's body take over, without a click, when its tempo ramp cannot be decoded", async () => {
    const copy = path.join(tmp.dir, 'vanishing-b.wav');
    copyFileSync(tracks[1]!.file, copy);
    const set = [tracks[0]!, { ...tracks[1]!, id: 'vanishing-b', file: copy }, tracks[2]!];
    const renderer = new TransitionRenderer();
    const failures: { recovered: boolean; frame: number }[] = [];
    const engine: SetEngine = new SetEngine(set, {
      renderer,
      onEvent: (e) => {
        // The transition into B is rendered; B's file goes before its streamed ramp opens.
        if (e.type === 'transition' && e.report.index === 0) rmSync(copy);
        if (e.type === 'deck-error' && e.track.id === 'vanishing-b')
          failures.push({ recovered: e.recovered, frame: Math.round(engine.positionSec * MIX_RATE) });
      },
    });
    const chunks: Float32Array[] = [];
    try {
      for await (const chunk of engine.stream()) chunks.push(chunk);
    } finally {
      await renderer.close();
    }
    const stereo = concatSamples(chunks);
    expect(engine.report[0]!.style).toBe('blend');
    expect(engine.report[0]!.rampBars).toBeGreaterThanOrEqual(8);
    // The ramp: two reopenings, then given up (B plays on); B's body: two reopenings, then lost (a cut to C).
    expect(failures.map((f) => f.recovered)).toEqual([true, true, true, true, true, false]);
    const rampLost = failures[2]!.frame;
    expect(rampLost).toBeGreaterThan(Math.round(engine.report[0]!.startSec * MIX_RATE));
    expect(seamLevel(stereo, rampLost)).toBeLessThan(0.2);
    expect(engine.report[1]!.explanation).toBe('t1 could not be played on, so a cut to t2');
    expect(seamLevel(stereo, Math.round(engine.report[1]!.startSec * MIX_RATE))).toBeLessThan(0.2);
  });

  it("ends the stream with the decoder's error when there is no next track to cut to", async () => {
    const copy = path.join(tmp.dir, 'vanishing-alone.wav');
    copyFileSync(tracks[0]!.file, copy);
    const played = play([{ ...tracks[0]!, id: 'alone', file: copy }], 30, () => {
      rmSync(copy);
      crashDecoders(copy, 10);
    });
    await expect(played).rejects.toMatchObject({ name: 'AudioInputError', code: 'decoder-crashed' });
  });

  it('ends rather than cut from one unplayable track to the next forever', async () => {
    const missing = { ...tracks[0]!, id: 'missing', file: path.join(tmp.dir, 'never-there.wav') };
    const events: SetEvent[] = [];
    const engine = new SetEngine([missing], {
      renderer: { render: () => Promise.reject(new Error('no audio')) },
      nextTrack: async () => missing,
      onEvent: (e) => events.push(e),
    });
    const drain = async () => {
      for await (const chunk of engine.stream()) void chunk;
    };
    await expect(drain()).rejects.toMatchObject({ code: 'decoder-crashed' });
    expect(events.filter((e) => e.type === 'deck-error' && !e.recovered)).toHaveLength(2);
  });
});

// Last: its set has been rendering and measuring on its own thread since beforeAll, while the tests above ran here.
describe('set engine', () => {
  it('renders a continuous set whose overlaps are beat-aligned, with a bass swap, no tempo jump, no gap and true peak ≤ -1 dBTP', async () => {
    const { result, stereo, quality: q } = await wholeSet;
    expect(result.report.transitions).toHaveLength(2);
    const frames = stereo.length / 2;
    console.log(
      `set: phase median ${q.phaseMedianMs.toFixed(2)} ms max ${q.phaseMaxMs.toFixed(2)} ms; TP ${q.truePeakDb.toFixed(2)}; vs decks ${q.worstVsDecksLu.toFixed(2)} LU; IBI ${q.maxIbiJumpPct.toFixed(2)} % over ${q.ibiChecked}; ${q.integratedLufs.toFixed(2)} LUFS, bodies ${q.bodyLufs.map((b) => b.lufs.toFixed(2)).join(' ')}`,
    );
    expect(q.overlaps.every((o) => o.beatsCompared >= 16)).toBe(true);
    expect(q.phaseMedianMs).toBeLessThanOrEqual(5);
    expect(q.phaseMaxMs).toBeLessThanOrEqual(20);
    expect(q.truePeakDb).toBeLessThanOrEqual(-1);
    expect(q.worstVsDecksLu).toBeLessThanOrEqual(2);
    expect(q.ibiChecked).toBeGreaterThan(100);
    expect(q.maxIbiJumpPct).toBeLessThanOrEqual(1.5);
    // Loudness matched to the target over the whole set (each track is gained by its own integrated loudness).
    expect(Math.abs(q.integratedLufs + 14)).toBeLessThanOrEqual(1);
    // Never two basslines at full level: above half level together for under half a beat (a one-beat equal-power
    // swap: a third), the swap on A's phrase boundary (its middle half a beat before, B's bass full on the downbeat).
    expect(q.bassSwaps.map((b) => b.index)).toEqual(
      result.transitions.filter((t) => t.style === 'blend').map((t) => t.index),
    );
    for (const b of q.bassSwaps) {
      const beatSec = 60 / result.tracks[b.index]!.analysis.bpm;
      expect(b.windows, `transition ${b.index}`).toBeGreaterThan(100);
      expect(b.bothInSec, `transition ${b.index}`).toBeLessThan(0.5 * beatSec);
      expect(b.crossoverBeats, `transition ${b.index}`).toBeCloseTo(-0.5, 0);
    }
    // No gap: every 20 ms block before the final fade carries sound.
    const block = MIX_RATE / 50;
    const silent: string[] = [];
    for (let b = 0; b < Math.floor(frames / block) - 150; b++) {
      let e = 0;
      for (let i = 2 * b * block; i < 2 * (b + 1) * block; i++) e += stereo[i]! * stereo[i]!;
      if (!(10 * Math.log10(e / (2 * block) + 1e-20) > -60)) silent.push(`block at ${(b / 50).toFixed(2)} s`);
    }
    expect(silent).toEqual([]);
  });
});
