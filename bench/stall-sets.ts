// bench:stall's live sets: what LiveSet does on its main thread at each track change and between them, against the
// real store, with no audio: at a change the pick (the pending writes awaited, the state read, the pick), then the
// transition's and the track's writes; every 5 s the position save. The event loop's delay is measured meanwhile.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { constants, monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import type { PerformanceEntry } from 'node:perf_hooks';
import type { OrderMode } from '../src/audio/set/order-mode.ts';
import { sessionFor } from '../src/bot/live/live-set.ts';
import { liveTrackOf } from '../src/bot/playlist/next-track.ts';
import type { LiveTrack, NextTrackDeps } from '../src/bot/playlist/next-track.ts';
import type { GuildState, GuildStore } from '../src/db/guild-store.ts';
import type { StallWorld } from './stall-world.ts';

export type Pick = (
  state: GuildState,
  current: LiveTrack,
  order: OrderMode,
  deps: NextTrackDeps,
) => Promise<LiveTrack | undefined>;

/** The loop's delay beyond the monitor's own period (ms). */
const RESOLUTION_MS = 1;
/** Gaps between ticks longer than this are kept, with the CPU time in them. */
const LONG_GAP_MS = 10;

export interface StallRun {
  sets: number;
  changesPerSet: number;
  changes: number;
  positionSaves: number;
  wallSec: number;
  loopDelayMs: { p50: number; p99: number; max: number };
  /**
   * The main thread's own running time between two ticks of a 1 ms timer (schedstat), p99 and max (ms): the delay the
   * sets' work alone would cause, which a loaded machine stretches (its other programs take the core meanwhile).
   */
  ownWorkBetweenTicksMs: { p99: number; max: number };
  /**
   * The longest gaps between two ticks of the 1 ms timer (ms), split by the kernel's account of the main thread
   * (Linux schedstat): running, ready but waiting for a core (the machine's other programs), and neither beyond the
   * timer's own 1 ms: blocked in a system call (a statement's fsync) or on GC's helper threads (a scavenge waits for
   * them, and they for a core).
   */
  longestGaps: Gap[];
  /** Over all gaps longer than 10 ms: how many, and their time in each state (ms). */
  gapTotals: { count: number } & Omit<Gap, 'gapMs'>;
  gc: GcPauses;
  /** The pick's own time (state read + pick), ms; and the main thread's CPU time over the run, per change. */
  pickMs: { median: number; max: number };
  cpuMsPerChange: number;
}

/** V8's collections over a run, by perf_hooks: how many of each and the longest pause (ms, wall time). */
export interface GcPauses {
  scavenges: { count: number; maxMs: number };
  markCompacts: { count: number; maxMs: number };
}

export interface Gap {
  gapMs: number;
  runningMs: number;
  waitingForCoreMs: number;
  blockedMs: number;
  /**
   * Of the gap, V8's garbage-collection pauses (ms, wall time, as perf_hooks reports them): the main thread stopped
   * for a scavenge or a mark-compact's final pause (its running, or its waiting for a core or for GC's helper threads).
   */
  gcMs: number;
}

const SCHEDSTAT = `/proc/self/task/${process.pid}/schedstat`;

/**
 * The main thread's time running and waiting for a core so far (ms), as the kernel counts them; off Linux, its CPU time
 * as getrusage counts it, and no wait.
 */
function schedTimes(): [number, number] {
  try {
    const [run, wait] = readFileSync(SCHEDSTAT, 'utf8').split(' ').map(Number);
    return [run! / 1e6, wait! / 1e6];
  } catch {
    const c = process.threadCpuUsage();
    return [(c.user + c.system) / 1000, 0];
  }
}

/**
 * At each tick of the 1 ms timer: the main thread's running time since the last (schedstat's, to the nanosecond: the
 * thread CPU time getrusage gives moves in 4 ms scheduler ticks), and every gap over LONG_GAP_MS split by schedstat
 * (see StallRun.longestGaps).
 */
function tickRecorder(): { tick(): void; stop(): void; runningBetween: number[]; gaps: Gap[]; gc: GcPauses } {
  const gaps: Gap[] = [];
  const runningBetween: number[] = [];
  // GC entries arrive after the pause they report: each gap's share is summed when the recorder stops.
  const pauses: { start: number; end: number; kind: number }[] = [];
  const spans: { start: number; end: number }[] = [];
  const gc = new PerformanceObserver((list) => {
    for (const e of list.getEntries())
      pauses.push({
        start: e.startTime,
        end: e.startTime + e.duration,
        kind: (e as PerformanceEntry & { detail: { kind: number } }).detail.kind,
      });
  });
  gc.observe({ entryTypes: ['gc'] });
  let last = performance.now();
  let [lastRun, lastWait] = schedTimes();
  const round = (x: number) => Number(x.toFixed(1));
  return {
    gaps,
    runningBetween,
    gc: { scavenges: { count: 0, maxMs: 0 }, markCompacts: { count: 0, maxMs: 0 } },
    stop() {
      gc.disconnect();
      gaps.forEach((g, i) => {
        const { start, end } = spans[i]!;
        g.gcMs = round(pauses.reduce((a, p) => a + Math.max(0, Math.min(end, p.end) - Math.max(start, p.start)), 0));
      });
      for (const [key, kind] of [
        ['scavenges', constants.NODE_PERFORMANCE_GC_MINOR],
        ['markCompacts', constants.NODE_PERFORMANCE_GC_MAJOR],
      ] as const) {
        const ms = pauses.filter((p) => p.kind === kind).map((p) => p.end - p.start);
        this.gc[key] = { count: ms.length, maxMs: round(Math.max(0, ...ms)) };
      }
    },
    tick() {
      const now = performance.now();
      const [run, wait] = schedTimes();
      const [runningMs, waitingForCoreMs] = [run - lastRun, wait - lastWait];
      runningBetween.push(runningMs);
      if (now - last > LONG_GAP_MS) {
        gaps.push({
          gapMs: round(now - last),
          runningMs: round(runningMs),
          waitingForCoreMs: round(waitingForCoreMs),
          blockedMs: round(Math.max(0, now - last - RESOLUTION_MS - runningMs - waitingForCoreMs)),
          gcMs: 0,
        });
        spans.push({ start: last, end: now });
      }
      [last, lastRun, lastWait] = [now, run, wait];
    },
  };
}

function gapTotals(gaps: readonly Gap[]): StallRun['gapTotals'] {
  const sum = (key: keyof Gap) => Number(gaps.reduce((a, g) => a + g[key], 0).toFixed(1));
  return {
    count: gaps.length,
    runningMs: sum('runningMs'),
    waitingForCoreMs: sum('waitingForCoreMs'),
    blockedMs: sum('blockedMs'),
    gcMs: sum('gcMs'),
  };
}

class BenchSet {
  private writes: Promise<void> = Promise.resolve();
  readonly guildId: string;
  private current: LiveTrack;
  private readonly store: GuildStore;
  private readonly session = { voiceChannelId: '1', textChannelId: '2', order: 'smart' as const };
  private readonly startedAt = new Date().toISOString();
  private positionSec = 0;

  constructor(guildId: string, first: LiveTrack, store: GuildStore) {
    this.guildId = guildId;
    this.current = first;
    this.store = store;
  }

  private write(fn: (s: GuildState) => GuildState): void {
    this.writes = this.writes.then(async () => {
      await this.store.update(this.guildId, fn);
    });
  }

  /** LiveSet.pick, then its transition and track events' writes. Resolves with the pick's own time (ms). */
  async change(pick: Pick, deps: NextTrackDeps): Promise<number> {
    const t0 = performance.now();
    await this.writes;
    const state = await this.store.get(this.guildId);
    const next = await pick(state, this.current, 'smart', deps);
    const pickMs = performance.now() - t0;
    if (!next) throw new Error(`guild ${this.guildId}: nothing to pick`);
    const from = this.current;
    const at = new Date().toISOString();
    this.write((s) => ({
      ...s,
      transitions: [
        ...s.transitions,
        {
          id: randomUUID().slice(0, 8),
          fromHash: from.hash,
          toHash: next.hash,
          fromTitle: from.title,
          toTitle: next.title,
          at,
        },
      ],
    }));
    this.write((s) => ({
      ...s,
      playlist: next.entry ? s.playlist.filter((e) => e.id !== next.entry!.id) : s.playlist,
      history: [
        ...s.history,
        {
          hash: next.hash,
          playedAt: at,
          title: next.title,
          ...(next.entry ? { addedAt: next.entry.addedAt, requesterId: next.entry.requesterId } : {}),
        },
      ],
      session: sessionFor(this.session, next, 0, s.session?.startedAt ?? this.startedAt, at),
    }));
    this.current = next;
    this.positionSec = 0;
    return pickMs;
  }

  /** LiveSet.savePosition: the song's position, beside the guild record. */
  savePosition(): void {
    this.positionSec += 5;
    const position = { hash: this.current.hash, positionSec: this.positionSec };
    this.writes = this.writes.then(() =>
      this.store.savePosition(this.guildId, { ...position, savedAt: new Date().toISOString() }),
    );
  }

  settled(): Promise<unknown> {
    return this.writes;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function quantile(values: number[], q: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))] ?? 0;
}

/**
 * The control: the event loop's delay with nothing to do for `seconds`, in the same process on the same machine. What
 * it shows beyond the timer's period is the machine's doing (other programs holding the cores), not the sets'.
 */
export async function idleLoop(
  seconds: number,
): Promise<{ p99: number; max: number; gapTotals: StallRun['gapTotals'] }> {
  const loop = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  const gaps = tickRecorder();
  const ticks = setInterval(() => gaps.tick(), 1);
  loop.enable();
  await sleep(seconds * 1000);
  loop.disable();
  clearInterval(ticks);
  await sleep(10);
  gaps.stop();
  const delay = (ns: number) => Number(Math.max(0, ns / 1e6 - RESOLUTION_MS).toFixed(1));
  return { p99: delay(loop.percentile(99)), max: delay(loop.max), gapTotals: gapTotals(gaps.gaps) };
}

/**
 * `guildIds.length` sets, each making `changes` track changes `periodMs` apart (the sets' changes spread evenly over
 * the period) and saving its position every `saveEveryMs`, all in this process; the event loop's delay throughout.
 */
export async function runSets(
  world: StallWorld,
  guildIds: string[],
  pick: Pick,
  opts: { changes: number; periodMs: number; saveEveryMs: number },
): Promise<StallRun> {
  const sets: BenchSet[] = [];
  for (const [g, guildId] of guildIds.entries()) {
    // Each set starts on a track outside its playlist, as one resumed from the library would.
    const first = (await liveTrackOf((await world.analyses.get(world.tracks.at(-1 - g)!.hash))!, world.files))!;
    sets.push(new BenchSet(guildId, first, world.store));
  }
  const loop = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  const pickTimes: number[] = [];
  let saves = 0;
  loop.enable();
  const t0 = performance.now();
  const cpu0 = process.threadCpuUsage();
  const gaps = tickRecorder();
  const between = gaps.runningBetween;
  const ticks = setInterval(() => gaps.tick(), 1);
  const savers = sets.map((set, g) => {
    let timer: NodeJS.Timeout | undefined;
    const first = setTimeout(
      () => {
        timer = setInterval(() => {
          set.savePosition();
          saves++;
        }, opts.saveEveryMs);
      },
      (g * opts.saveEveryMs) / sets.length,
    );
    return () => {
      clearTimeout(first);
      clearInterval(timer);
    };
  });
  await Promise.all(
    sets.map(async (set, g) => {
      for (let k = 0; k < opts.changes; k++) {
        const due = t0 + (g / sets.length + k + 1) * opts.periodMs;
        await sleep(Math.max(0, due - performance.now()));
        pickTimes.push(await set.change(pick, world.deps));
      }
    }),
  );
  for (const stop of savers) stop();
  await Promise.all(sets.map((s) => s.settled()));
  const wallSec = (performance.now() - t0) / 1000;
  const cpu = process.threadCpuUsage(cpu0);
  clearInterval(ticks);
  loop.disable();
  await sleep(10);
  gaps.stop();
  const delay = (ns: number) => Number(Math.max(0, ns / 1e6 - RESOLUTION_MS).toFixed(1));
  return {
    sets: sets.length,
    changesPerSet: opts.changes,
    changes: pickTimes.length,
    positionSaves: saves,
    wallSec: Number(wallSec.toFixed(1)),
    loopDelayMs: { p50: delay(loop.percentile(50)), p99: delay(loop.percentile(99)), max: delay(loop.max) },
    ownWorkBetweenTicksMs: {
      p99: Number(quantile(between, 0.99).toFixed(1)),
      max: Number(Math.max(...between).toFixed(1)),
    },
    longestGaps: [...gaps.gaps].sort((a, b) => b.gapMs - a.gapMs).slice(0, 5),
    gapTotals: gapTotals(gaps.gaps),
    gc: gaps.gc,
    pickMs: { median: Number(quantile(pickTimes, 0.5).toFixed(1)), max: Number(Math.max(...pickTimes).toFixed(1)) },
    // Every set's work in the run (picks, writes, saves), shared out per change.
    cpuMsPerChange: Number(((cpu.user + cpu.system) / 1000 / pickTimes.length).toFixed(1)),
  };
}
