// Child process of the voice benchmark: streams N guilds' sets at once through SetBroadcast, driven by the real
// @discordjs/voice audio cycle, and reports late frames, cycle timing and transitions as JSON on stdout. It marks its
// progress on stderr (MARK), so that the parent measures its CPU and memory from outside, off this event loop.
// Usage: node bench/voice-one.ts '{"guilds":10,"staggerSec":20,"windowSec":60,"leadSec":1,"renderDeadlineMs":1000}'
// (optional: "scenario":"steady","exitSpreadSec":150)
import { readFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { AudioPlayerStatus } from '@discordjs/voice';
import { SetEngine } from '../src/audio/set/set-engine.ts';
import { setStartSec } from '../src/audio/set/set-timeline.ts';
import { planTransition } from '../src/audio/transition/transition-plan.ts';
import type { PlannedTrack } from '../src/audio/transition/transition-plan.ts';
import { TransitionRenderer } from '../src/audio/transition/transition-renderer.ts';
import { liveRenderNice } from '../src/util/live-priorities.ts';
import { prestartSpawner } from '../src/util/spawner.ts';
import { Admission } from '../src/voice/admission.ts';
import type { AdmissionFigures } from '../src/voice/admission.ts';
import { SetBroadcast } from '../src/voice/set-broadcast.ts';
import { crateFile } from './voice-crate.ts';
import type { VoiceScenario } from './voice-crate.ts';

export interface VoiceRunOptions {
  guilds: number;
  /** Guild starts are spread evenly over this many seconds. */
  staggerSec: number;
  /** The steady window measured after the last start. */
  windowSec: number;
  leadSec: number;
  renderDeadlineMs: number;
  /** Ask the bot's admission control before each guild's start (src/voice/admission.ts, its defaults). */
  admission?: boolean;
  /** The crate played (voice-crate.ts); default 'burst'. */
  scenario?: VoiceScenario;
  /** Each guild mixes out of its first track 25 s to 25 + this many seconds after its start (default 35). */
  exitSpreadSec?: number;
}

export interface LateFrame {
  guild: number;
  /** Run time (s) when the silence frame was prepared. */
  atSec: number;
  /** Set time (s) played so far by that guild. */
  setSec: number;
  /** 'transition' within 3 s of a transition (or a fallback cut), 'start' in a guild's first 3 s, else 'body'. */
  where: 'transition' | 'start' | 'body';
}

export interface VoiceChildResult {
  options: VoiceRunOptions;
  lateFrames: number;
  lateFramesInWindow: number;
  lateByWhere: Record<LateFrame['where'], number>;
  /** The first late frames (at most 40), for the report. */
  lateSample: LateFrame[];
  /** Guilds with at least one late frame. */
  guildsWithLateFrames: number;
  packetsInWindow: number;
  /** 50 a second for every guild started (all of them, or those admitted). */
  expectedPacketsInWindow: number;
  /** With admission control: how many starts it admitted and refused, why, and its figures at the last start. */
  admission?: { asked: number; admitted: number; refused: number; firstRefusal?: string; figures: AdmissionFigures };
  transitions: number;
  transitionsInWindow: number;
  fallbackCuts: number;
  /** Worst time from creating a guild's broadcast to its first audio packet (ms). */
  maxStartupMs: number;
  cycle: {
    cycles: number;
    meanIntervalMs: number;
    maxIntervalMs: number;
    p99IntervalMs: number;
    /** Cycle start vs the drift-free 20 ms schedule the audio cycle keeps (ms). */
    maxLatenessMs: number;
    p99LatenessMs: number;
    /** From a cycle's start to the last guild's packet being prepared in it (ms). */
    maxPrepareSpreadMs: number;
    /** The five latest cycles: run time (s) and lateness (ms). */
    worst: { atSec: number; latenessMs: number }[];
  };
  /** Timer delay beyond its period on the main thread over the window. */
  eventLoopDelayMs: { p99: number; max: number };
  /** process.memoryUsage() of the Node process over the window (MB, mean). */
  heap: { heapUsedMb: number; externalMb: number; arrayBuffersMb: number };
}

/** Progress markers on stderr, for the parent's /proc measurement. */
export const MARK = {
  idle: '@voice idle',
  windowStart: '@voice window-start',
  windowEnd: '@voice window-end',
  closed: '@voice closed',
} as const;
const mark = (m: string): void => void process.stderr.write(`${m}\n`);

const OPUS_SILENCE = Buffer.from([0xf8, 0xff, 0xfe]);
export const DEFAULT_EXIT_SPREAD_SEC = 35;
const LOOP_RESOLUTION_MS = 10;
/** How long after its 'closed' mark the child stays alive, so the parent can count what the closed sets left. */
export const CLOSED_LINGER_MS = 3000;
/** The admission's three samples of the event loop (5 s each) before the first start. */
const ADMISSION_WARMUP_MS = 15_500;

const percentile = (xs: number[], p: number): number => {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
};
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Guild i plays the crate rotated by i, starting far enough into its first track that it mixes out 25 s to
 * 25 + `spreadSec` later (spread evenly over the guilds).
 */
function guildSet(
  crate: PlannedTrack[],
  i: number,
  spreadSec: number,
): { tracks: PlannedTrack[]; firstFromSec: number } {
  const tracks = crate.map((_, k) => crate[(i + k) % crate.length]!);
  const [a, b] = [tracks[0]!, tracks[1]!];
  const exitIn = 25 + spreadSec * ((i * 0.618034) % 1);
  const target = planTransition(a, b).exitSec - exitIn;
  const firstFromSec = a.analysis.downbeats.findLast((d) => d <= target) ?? setStartSec(a);
  return { tracks, firstFromSec: Math.max(firstFromSec, setStartSec(a)) };
}

interface Guild {
  index: number;
  engine: SetEngine;
  broadcast: SetBroadcast;
  createdAt: number;
  firstPacketAt?: number;
  ended: boolean;
  late: LateFrame[];
  packetsInWindow: number;
}

export async function runVoice(opts: VoiceRunOptions): Promise<VoiceChildResult> {
  const crate = (JSON.parse(readFileSync(crateFile(opts.scenario ?? 'burst'), 'utf8')) as { tracks: PlannedTrack[] })
    .tracks;
  // The decoders' spawner is a fixed cost of the process (the bot starts it with its live sets), not a stream's.
  prestartSpawner();
  await sleep(500);
  mark(MARK.idle);
  await sleep(1000);
  // The bot's renderer, at createBot's niceness.
  const renderer = new TransitionRenderer({ nice: liveRenderNice() });
  // The bot's admission control, as /djset start asks it: a refused guild is not started. As in the bot, which
  // measures from its start, the first start already knows whether the event loop keeps time.
  let started = 0;
  const admission = opts.admission
    ? new Admission(() => started, { renders: { completed: () => renderer.completed, nice: renderer.nice } })
    : undefined;
  if (admission) {
    admission.start();
    await sleep(ADMISSION_WARMUP_MS);
  }
  const t0 = performance.now();
  const now = () => (performance.now() - t0) / 1000;
  const windowStart = opts.staggerSec;
  const windowEnd = opts.staggerSec + opts.windowSec;
  const inWindow = (t: number) => t >= windowStart && t < windowEnd;

  // The audio cycle: every player's dispatch runs synchronously at the start of a cycle, so the first dispatch in a
  // tick marks the cycle; each player's prepare then follows on its own setImmediate.
  const cycleStarts: number[] = [];
  let cycleOpen = false;
  let maxPrepareSpreadMs = 0;
  const markCycle = (): void => {
    if (cycleOpen) return;
    cycleOpen = true;
    cycleStarts.push(performance.now());
    queueMicrotask(() => (cycleOpen = false));
  };

  const guilds: Guild[] = [];
  const startGuild = (index: number): void => {
    const { tracks, firstFromSec } = guildSet(crate, index, opts.exitSpreadSec ?? DEFAULT_EXIT_SPREAD_SEC);
    const engine = new SetEngine(tracks, { renderer, renderDeadlineMs: opts.renderDeadlineMs, firstFromSec });
    const broadcast = new SetBroadcast(engine, { leadSec: opts.leadSec });
    const g: Guild = { index, engine, broadcast, createdAt: now(), ended: false, late: [], packetsInWindow: 0 };
    // An always-ready voice connection: the player prepares one packet for it per cycle (a real connection would
    // encrypt and queue it, then send it at the next cycle's dispatch).
    const fake = {
      state: { status: 'ready' },
      prepareAudioPacket(packet: Buffer): void {
        const at = now();
        const started = cycleStarts.at(-1);
        if (started !== undefined && inWindow(at))
          maxPrepareSpreadMs = Math.max(maxPrepareSpreadMs, performance.now() - started);
        if (inWindow(at)) g.packetsInWindow++;
        if (!packet.equals(OPUS_SILENCE)) {
          g.firstPacketAt ??= at;
          return;
        }
        // The player had no packet from the resource: it sent silence in its place. (After the set has ended, the
        // resource's own silence padding is not a late frame.)
        if (g.ended || at >= windowEnd) return;
        g.late.push({ guild: index, atSec: at, setSec: broadcast.playedSec, where: 'body' });
      },
      dispatchAudio: markCycle,
      setSpeaking(): void {},
    };
    // AudioPlayer#subscribe is what VoiceConnection#subscribe calls; it is not in the public types.
    (broadcast.player as unknown as { subscribe(c: unknown): unknown }).subscribe(fake);
    broadcast.player.on(AudioPlayerStatus.Idle, () => (g.ended = true));
    guilds.push(g);
  };

  let refused = 0;
  let firstRefusal: string | undefined;
  let figures: AdmissionFigures | undefined;
  for (let i = 0; i < opts.guilds; i++) {
    const wait = (opts.staggerSec * i) / opts.guilds - now();
    if (wait > 0) await sleep(wait * 1000);
    const verdict = admission?.check();
    figures = admission?.figures();
    if (verdict && !verdict.ok) {
      refused++;
      firstRefusal ??= verdict.message;
      continue;
    }
    startGuild(i);
    started++;
  }
  const waitWindow = windowStart - now();
  if (waitWindow > 0) await sleep(waitWindow * 1000);

  // The steady window: the parent measures CPU and memory from outside between the marks.
  mark(MARK.windowStart);
  const loop = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
  loop.enable();
  const cycleFrom = cycleStarts.length;
  const heap: NodeJS.MemoryUsage[] = [];
  while (now() < windowEnd) {
    await sleep(Math.min(2000, (windowEnd - now()) * 1000));
    heap.push(process.memoryUsage());
  }
  mark(MARK.windowEnd);
  loop.disable();
  const cycleTo = cycleStarts.length;
  // Still streaming while the parent takes its closing reading.
  await sleep(500);

  for (const g of guilds) g.broadcast.close();
  await sleep(500);
  mark(MARK.closed);
  await sleep(CLOSED_LINGER_MS);
  await renderer.close();
  admission?.stop();

  // Late frames: where in the set they fell.
  for (const g of guilds) {
    for (const l of g.late) {
      const nearTransition = g.engine.report.some(
        (t) => l.setSec >= t.startSec - 3 && l.setSec <= Math.max(t.endSec, t.startSec) + 3,
      );
      l.where = nearTransition ? 'transition' : l.atSec - g.createdAt < 3 ? 'start' : 'body';
    }
  }
  const late = guilds.flatMap((g) => g.late).sort((a, b) => a.atSec - b.atSec);
  const lateByWhere = { transition: 0, start: 0, body: 0 };
  for (const l of late) lateByWhere[l.where]++;

  // Cycle timing over the window. The cycle schedules itself on a fixed 20 ms grid from its first run (it never
  // re-bases), so the lateness of cycle k is its start minus (anchor + 20 k), the anchor being the earliest.
  const starts = cycleStarts.slice(cycleFrom, cycleTo);
  const intervals = starts.slice(1).map((t, k) => t - starts[k]!);
  const offsets = starts.map((t, k) => t - 20 * k);
  const anchor = Math.min(...offsets);
  const lateness = offsets.map((o) => o - anchor);
  const worst = lateness
    .map((l, k) => ({ k, l }))
    .sort((a, b) => b.l - a.l)
    .slice(0, 5)
    .map(({ k, l }) => ({ atSec: Number(((starts[k]! - t0) / 1000).toFixed(3)), latenessMs: Number(l.toFixed(1)) }));

  const transitions = guilds.flatMap((g) => g.engine.report.map((t) => ({ g, t })));
  const fallbackCuts = transitions.filter(
    ({ t }) => t.style === 'cut' && t.explanation.includes('not rendered in time'),
  ).length;
  const transitionsInWindow = transitions.filter(({ g, t }) => {
    // Set time → run time: the guild's first packet plus the set time (which only advances with real packets).
    const at =
      (g.firstPacketAt ?? g.createdAt) + t.startSec + g.late.filter((l) => l.setSec < t.startSec).length * 0.02;
    return inWindow(at);
  }).length;

  return {
    options: opts,
    lateFrames: late.length,
    lateFramesInWindow: late.filter((l) => inWindow(l.atSec)).length,
    lateByWhere,
    lateSample: late
      .slice(0, 40)
      .map((l) => ({ ...l, atSec: Number(l.atSec.toFixed(3)), setSec: Number(l.setSec.toFixed(2)) })),
    guildsWithLateFrames: guilds.filter((g) => g.late.length > 0).length,
    packetsInWindow: guilds.reduce((s, g) => s + g.packetsInWindow, 0),
    expectedPacketsInWindow: Math.round(guilds.length * opts.windowSec * 50),
    ...(admission && figures
      ? {
          admission: {
            asked: opts.guilds,
            admitted: guilds.length,
            refused,
            ...(firstRefusal ? { firstRefusal } : {}),
            figures,
          },
        }
      : {}),
    transitions: transitions.length,
    transitionsInWindow,
    fallbackCuts,
    maxStartupMs: Math.max(...guilds.map((g) => ((g.firstPacketAt ?? Infinity) - g.createdAt) * 1000)),
    cycle: {
      cycles: starts.length,
      meanIntervalMs: mean(intervals),
      maxIntervalMs: Math.max(0, ...intervals),
      p99IntervalMs: percentile(intervals, 0.99),
      maxLatenessMs: Math.max(0, ...lateness),
      p99LatenessMs: percentile(lateness, 0.99),
      maxPrepareSpreadMs,
      worst,
    },
    // The histogram holds each timer's whole period: the delay is what exceeds the resolution.
    eventLoopDelayMs: {
      p99: Math.max(0, loop.percentile(99) / 1e6 - LOOP_RESOLUTION_MS),
      max: Math.max(0, loop.max / 1e6 - LOOP_RESOLUTION_MS),
    },
    heap: {
      heapUsedMb: mean(heap.map((h) => h.heapUsed)) / 2 ** 20,
      externalMb: mean(heap.map((h) => h.external)) / 2 ** 20,
      arrayBuffersMb: mean(heap.map((h) => h.arrayBuffers)) / 2 ** 20,
    },
  };
}

if (import.meta.main) {
  const opts = JSON.parse(process.argv[2] ?? '{}') as VoiceRunOptions;
  const result = await runVoice(opts);
  process.stdout.write(JSON.stringify(result));
  // A closed broadcast leaves its pacer polling and its decoder open: they must not keep the benchmark waiting.
  process.exit(0);
}
