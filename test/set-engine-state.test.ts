import { execFileSync } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { MIX_CHANNELS, MIX_RATE } from '../src/audio/io/mix-format.ts';
import { SetEngine } from '../src/audio/set/set-engine.ts';
import { TransitionRenderer } from '../src/audio/transition/transition-renderer.ts';
import type { SetEngineState } from '../src/audio/set/set-engine.ts';
import type { PlannedTrack } from '../src/audio/transition/transition-plan.ts';
import { handsCrate } from './helpers/hands-crate.ts';
import { until } from './helpers/until.ts';

let tracks: PlannedTrack[] = [];
beforeAll(async () => {
  ({ tracks } = await handsCrate());
}, 180_000);

/** Each stateChange as `from>to` statuses, with the states themselves. */
function watch(engine: SetEngine): { steps: string[]; changes: [SetEngineState, SetEngineState][] } {
  const seen = { steps: [] as string[], changes: [] as [SetEngineState, SetEngineState][] };
  engine.on('stateChange', (from, to) => {
    seen.steps.push(`${from.status}>${to.status}`);
    seen.changes.push([from, to]);
    // Told after the change: what the engine says now is the new state.
    expect(engine.state).toBe(to);
  });
  return seen;
}

/** ffmpeg processes descended from this one (decoders run under the spawner's helper process). */
function decoders(): number {
  const rows = execFileSync('ps', ['-eo', 'pid=,ppid=,comm='], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .map((l) => l.trim().split(/\s+/));
  const ours = new Set([String(process.pid)]);
  for (let grew = true; grew;) {
    grew = false;
    for (const [pid, ppid] of rows) if (!ours.has(pid!) && ours.has(ppid!)) grew = Boolean(ours.add(pid!));
  }
  return rows.filter(([pid, , comm]) => ours.has(pid!) && comm === 'ffmpeg').length;
}

describe("the set engine's state", () => {
  it('is told as stateChange through a whole set: each body, its planned exit, the transition, the end', async () => {
    const [a, b] = tracks;
    const engine = new SetEngine([a!, b!], { renderer: { render: () => Promise.reject(new Error('no renderer')) } });
    const seen = watch(engine);
    for await (const chunk of engine.stream()) void chunk;
    expect(seen.steps).toEqual([
      'idle>body', // A's body starts
      'body>body', // its exit into B is planned
      'body>body', // A's body streamed out: nothing upcoming while its transition is got ready
      'body>transition',
      'transition>body', // B's body
      'body>ended', // nothing after B
    ]);
    const planned = seen.changes[1]![1];
    expect(planned).toMatchObject({ status: 'body', track: a, upcoming: { from: a, to: b, rendered: false } });
    expect(seen.changes[2]![1]).toEqual({ status: 'body', track: a });
    expect(seen.changes[3]![1]).toEqual({ status: 'transition', from: a, to: b });
    expect(engine.state).toEqual({ status: 'ended' });
  }, 60_000);

  it('lets go of what it owns when stopped mid-body: the render given up, the decoder closed, nothing told after the end', async () => {
    const before = decoders();
    const asked: AbortSignal[] = [];
    const engine = new SetEngine(tracks.slice(0, 2), {
      renderer: { render: (_job, signal) => (signal && asked.push(signal), new Promise<never>(() => undefined)) },
      renderDeadlineMs: 50,
    });
    const seen = watch(engine);
    const stream = engine.stream();
    await stream.next();
    await until(() => asked.length > 0, 'the render to be asked for');
    expect(decoders()).toBeGreaterThan(before);
    engine.stop();
    for await (const chunk of stream) void chunk;
    expect(seen.steps.at(-1)).toBe('body>ended');
    expect(asked.map((s) => s.aborted)).toEqual([true]);
    await until(() => decoders() === before, "the body's decoder to be gone", 5000);
    const told = seen.steps.length;
    engine.stop();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(seen.steps).toHaveLength(told);
  }, 60_000);

  it('fades out within a beat when stopped mid-transition, not after the overlap and the ramp', async () => {
    const [a, b] = tracks;
    const renderer = new TransitionRenderer();
    const engine = new SetEngine([a!, b!], { renderer });
    let stoppedAt: number | undefined;
    let frames = 0;
    let last: Float32Array = new Float32Array(0);
    try {
      for await (const chunk of engine.stream()) {
        frames += chunk.length / MIX_CHANNELS;
        if (chunk.length) last = chunk;
        if (stoppedAt === undefined && engine.state.status === 'transition') {
          stoppedAt = frames;
          engine.stop();
        }
      }
    } finally {
      await renderer.close();
    }
    expect(stoppedAt, 'the transition to start').toBeDefined();
    expect(engine.report[0]?.style).not.toBe('cut');
    const beat = (60 / a!.analysis.bpm) * MIX_RATE;
    // One chunk in flight, then a beat's fade (and the limiter's look-ahead).
    expect((frames - stoppedAt!) / beat).toBeLessThan(1.5);
    const tail = last.subarray(last.length - 2 * MIX_CHANNELS * 64);
    expect(Math.max(...tail.map(Math.abs))).toBeLessThan(0.01);
    expect(engine.state).toEqual({ status: 'ended' });
  }, 60_000);

  it('renders no transition for a pick that answers after the set was stopped', async () => {
    const [a, b] = tracks;
    let answer: (t: PlannedTrack) => void = () => undefined;
    let asked = false;
    const rendered: unknown[] = [];
    const engine = new SetEngine([a!], {
      renderer: { render: (job) => (rendered.push(job), new Promise<never>(() => undefined)) },
      nextTrack: () => ((asked = true), new Promise<PlannedTrack>((resolve) => (answer = resolve))),
    });
    const stream = engine.stream();
    await stream.next();
    await until(() => asked, 'the next song to be asked for');
    engine.stop();
    answer(b!);
    for await (const chunk of stream) void chunk;
    // Long enough for both files to be vetted and a render asked for, had the pick been planned.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(rendered).toEqual([]);
    expect(engine.state).toEqual({ status: 'ended' });
  }, 60_000);
});
