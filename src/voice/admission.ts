import { availableParallelism, cpus } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { IntervalHistogram } from 'node:perf_hooks';
import { SETTINGS, setting } from '../util/config.ts';
import { treeCpu, treeCpuByNice } from './process-cpu.ts';

/**
 * What one live set costs before this process has measured its own (% of one core, the process and its decoders):
 * `bench:voice` measured 9–11 % per stream on a 2-core machine with Debian's ffmpeg 5.1, with a transition a minute
 * (2-minute tracks, 32-bar blends: ~4.5 % of it is the transitions' time-stretching).
 */
export const DEFAULT_STREAM_COST_PCT = SETTINGS.MINIDJ_STREAM_COST_PCT.default;
/** The share of all cores the live sets may take (%): the rest absorbs bursts (renders, the gateway, GC). */
export const DEFAULT_CPU_TARGET_PCT = SETTINGS.MINIDJ_CPU_TARGET_PCT.default;
/** An event loop this late (p99 over the last samples) already delays the 20 ms audio cycle: no new set. */
export const DEFAULT_MAX_LOOP_LAG_MS = SETTINGS.MINIDJ_MAX_LOOP_LAG_MS.default;
/**
 * A set's own rate: one transition every this many seconds (a track played from its mix-in to its mix-out cue). The
 * renders' cost per set is what one render costs, spread over this: a set starts with a render (its first transition,
 * minutes ahead), as it will every track, so the renders of a minute of starts are not its steady cost.
 */
export const DEFAULT_TRANSITION_EVERY_SEC = SETTINGS.MINIDJ_TRANSITION_EVERY_SEC.default;
/** What one render costs (CPU-s, its decoders included) until three are measured: bench/transition-cost.ts, 2.8–4.9. */
export const DEFAULT_RENDER_CPU_SEC = 4;
/** Renders measured over this many windows (10 minutes). */
const RENDER_WINDOWS = 120;

const SAMPLE_MS = 5000;
/** Set-seconds of measurement before the measured cost replaces the default. */
const MIN_MEASURED_SET_SEC = 60;
/** Measurement windows kept (5 s each): the cost is what the sets used over the last minute. */
const WINDOWS = 12;
const LOOP_RESOLUTION_MS = 10;

export interface AdmissionOptions {
  /**
   * At most this many live sets, whatever is measured (`MINIDJ_MAX_LIVE_SETS`). Default: the capacity measured (or
   * derived from the default cost).
   */
  maxSets?: number;
  /** `MINIDJ_STREAM_COST_PCT`: the cost of a set until one is measured (default 10 % of a core). */
  streamCostPct?: number;
  /** `MINIDJ_CPU_TARGET_PCT`: the share of all cores the sets may take (default 90 %). */
  cpuTargetPct?: number;
  /** `MINIDJ_MAX_LOOP_LAG_MS` (default 50). */
  maxLoopLagMs?: number;
  cores?: number;
  /** How often CPU and the event loop's delay are sampled (default 5 s; the cost is over the last 12 samples). */
  sampleMs?: number;
  /**
   * The sets' renders: how many have finished, and the niceness they run at (the renderer's thread and decoders).
   * Given, a set's cost is its streaming (the tree's CPU at niceness 0) plus one render every `transitionEverySec`
   * rather than all the tree used over the last minute.
   */
  renders?: { completed(): number; nice: number };
  /** `MINIDJ_TRANSITION_EVERY_SEC` (default 180). */
  transitionEverySec?: number;
}

export type AdmissionVerdict = { ok: true } | { ok: false; reason: 'capacity' | 'busy'; message: string };

export interface AdmissionFigures {
  live: number;
  capacity: number;
  /**
   * % of one core per live set: measured over the last minute (with `renders`: its streaming over the last minute and
   * a render every `transitionEverySec`), or the default.
   */
  streamCostPct: number;
  /** With `renders`: the renders' share of it (% of a core), and what one render costs (CPU-s, measured or default). */
  renderCostPct?: number;
  renderCpuSec?: number;
  measured: boolean;
  /** The event loop's delay (p99, ms) over the last samples. */
  loopLagMs: number;
  /** Cores other programs kept busy at the default priority over the last samples (not this process tree). */
  foreignCores: number;
  admitted: number;
  refused: number;
}

/** One sample's window: CPU of the whole tree and of its niceness-0 part (the streams), and set-seconds played. */
export interface CostWindow {
  cpuSec: number;
  streamSec: number;
  setSec: number;
  starved: boolean;
}

/** The CPU of the renders (at their niceness) in a window, and how many finished in it. */
export interface RenderWindow {
  cpuSec: number;
  renders: number;
}

/**
 * All the tree used per set-second over `fed` (the last minute's windows that were not starved), % of a core; the
 * default until a minute of set time is measured, and never below half of it: a quiet minute must not open the doors
 * to twice as many sets.
 */
export function minuteCost(fed: CostWindow[], defaultPct: number): number {
  const setSec = fed.reduce((s, w) => s + w.setSec, 0);
  return setSec >= MIN_MEASURED_SET_SEC
    ? Math.max(defaultPct / 2, (100 * fed.reduce((s, w) => s + w.cpuSec, 0)) / setSec)
    : defaultPct;
}

/**
 * A set at its own rate (% of a core): its streaming per set-second over `fed` (until a minute of set time is measured,
 * the default less a default render's share; never below a tenth of the default: streaming is steady, unlike renders), plus one render every
 * `transitionEverySec` at what a render cost over `renders` (the last 10 minutes; the default until three finished).
 */
export function steadyCost(
  fed: CostWindow[],
  renders: RenderWindow[],
  defaultPct: number,
  transitionEverySec: number,
): { pct: number; renderPct: number; renderCpuSec: number } {
  const done = renders.reduce((s, w) => s + w.renders, 0);
  const renderCpuSec = done >= 3 ? renders.reduce((s, w) => s + w.cpuSec, 0) / done : DEFAULT_RENDER_CPU_SEC;
  const renderPct = (100 * renderCpuSec) / transitionEverySec;
  const setSec = fed.reduce((s, w) => s + w.setSec, 0);
  const stream =
    setSec >= MIN_MEASURED_SET_SEC
      ? Math.max(defaultPct / 10, (100 * fed.reduce((s, w) => s + w.streamSec, 0)) / setSec)
      : Math.max(defaultPct / 10, defaultPct - (100 * DEFAULT_RENDER_CPU_SEC) / DEFAULT_TRANSITION_EVERY_SEC);
  return { pct: stream + renderPct, renderPct, renderCpuSec };
}

/** The options from the environment (unset: the defaults). */
export function admissionOptionsFromEnv(): AdmissionOptions {
  const max = setting('MINIDJ_MAX_LIVE_SETS');
  return {
    ...(max !== undefined ? { maxSets: max } : {}),
    streamCostPct: setting('MINIDJ_STREAM_COST_PCT'),
    cpuTargetPct: setting('MINIDJ_CPU_TARGET_PCT'),
    maxLoopLagMs: setting('MINIDJ_MAX_LOOP_LAG_MS'),
    transitionEverySec: setting('MINIDJ_TRANSITION_EVERY_SEC'),
  };
}

export function capacityRefusal(live: number, capacity: number): string {
  return `Mini-DJ is already streaming ${live} live set${live === 1 ? '' : 's'}, as many as this machine carries without stutter (${capacity}). A new one would make every set stutter, so none was started: try /djset start again when one ends.`;
}

export function busyRefusal(lagMs: number): string {
  return `This machine is too busy right now to start another live set without stutter (its audio clock runs ${Math.round(lagMs)} ms late). Nothing was started: try /djset start again in a few minutes.`;
}

/**
 * Admission control for live sets: a new set starts only while the machine has room for it, so the sets playing never
 * lose packets. Room is measured at run time: the CPU this process and its decoders use per live set (over the last
 * minute, leaving out samples where the event loop ran late: a starved process uses less than its sets need; a default
 * until a minute of set time is measured, and never under half of it) gives the capacity — or, told of the renders,
 * a set at its own rate: its streaming over the last minute plus one render per `transitionEverySec` (`steadyCost`),
 * since every set's first render comes at its start and a minute of starts would otherwise read as their cost — `(cores × target − cores
 * other programs keep busy) / cost` (other programs' niced work is left out: it yields), and an event loop already
 * running late (a machine saturated by anything) refuses too.
 */
export class Admission {
  private readonly opts: Required<Omit<AdmissionOptions, 'maxSets' | 'renders'>> &
    Pick<AdmissionOptions, 'maxSets' | 'renders'>;
  private readonly live: () => number;
  private timer?: NodeJS.Timeout;
  private histogram?: IntervalHistogram;
  private last?: { at: number; cpuSec: number; live: number; streamSec: number; renderSec: number; renders: number };
  private readonly windows: CostWindow[] = [];
  private readonly renderWindows: RenderWindow[] = [];
  private lags: number[] = [];
  /** Cores busy with other programs' work at the default priority (the machine's busy time less this process tree's). */
  private foreign: number[] = [];
  private lastMachine?: number;
  private admittedCount = 0;
  private refusedCount = 0;

  /** `live`: how many sets play now. */
  constructor(live: () => number, opts: AdmissionOptions = {}) {
    this.live = live;
    this.opts = {
      streamCostPct: opts.streamCostPct ?? DEFAULT_STREAM_COST_PCT,
      cpuTargetPct: opts.cpuTargetPct ?? DEFAULT_CPU_TARGET_PCT,
      maxLoopLagMs: opts.maxLoopLagMs ?? DEFAULT_MAX_LOOP_LAG_MS,
      cores: opts.cores ?? availableParallelism(),
      sampleMs: opts.sampleMs ?? SAMPLE_MS,
      transitionEverySec: opts.transitionEverySec ?? DEFAULT_TRANSITION_EVERY_SEC,
      ...(opts.maxSets !== undefined ? { maxSets: opts.maxSets } : {}),
      ...(opts.renders ? { renders: opts.renders } : {}),
    };
  }

  /** Starts measuring (the sets' CPU, the event loop's delay); `stop` ends it. Called by the first `check`. */
  start(): void {
    if (this.timer) return;
    this.histogram = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
    this.histogram.enable();
    this.sample();
    this.timer = setInterval(() => this.sample(), this.opts.sampleMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.histogram?.disable();
  }

  private sample(): void {
    const at = performance.now();
    const cpu = treeCpu();
    const live = this.live();
    let lag = 0;
    if (this.histogram) {
      // The histogram holds each timer's whole period: the delay is what exceeds the resolution.
      lag = Math.max(0, this.histogram.percentile(99) / 1e6 - LOOP_RESOLUTION_MS);
      this.lags = [...this.lags, lag].slice(-3);
      this.histogram.reset();
    }
    if (!cpu) return;
    const cpuSec = cpu.rootSec + cpu.childSec;
    // Niced work (the 'nice' column) is left out: it yields to the sets.
    const machine = cpus().reduce((s, c) => s + c.times.user + c.times.sys + c.times.irq, 0) / 1000;
    if (this.last && this.lastMachine !== undefined) {
      const dt = (at - this.last.at) / 1000;
      if (dt > 0)
        this.foreign = [
          ...this.foreign,
          Math.max(0, (machine - this.lastMachine - (cpuSec - this.last.cpuSec)) / dt),
        ].slice(-3);
    }
    this.lastMachine = machine;
    const split = this.split();
    if (this.last) {
      const dt = (at - this.last.at) / 1000;
      const sets = (live + this.last.live) / 2;
      if (sets > 0 && dt > 0) {
        // A process starved of CPU uses less than its sets need: such a window says nothing of their cost.
        this.windows.push({
          cpuSec: cpuSec - this.last.cpuSec,
          streamSec: split.streamSec - this.last.streamSec,
          setSec: sets * dt,
          starved: lag > this.opts.maxLoopLagMs,
        });
        if (this.windows.length > WINDOWS) this.windows.shift();
      }
      this.renderWindows.push({
        cpuSec: split.renderSec - this.last.renderSec,
        renders: split.renders - this.last.renders,
      });
      if (this.renderWindows.length > RENDER_WINDOWS) this.renderWindows.shift();
    }
    this.last = { at, cpuSec, live, ...split };
  }

  /** The tree's CPU at niceness 0 (the streams) and at the renders' niceness, and the renders finished. */
  private split(): { streamSec: number; renderSec: number; renders: number } {
    const renders = this.opts.renders;
    const byNice = renders ? treeCpuByNice() : undefined;
    if (!renders || !byNice) return { streamSec: 0, renderSec: 0, renders: 0 };
    return { streamSec: byNice.get(0) ?? 0, renderSec: byNice.get(renders.nice) ?? 0, renders: renders.completed() };
  }

  figures(): AdmissionFigures {
    const fed = this.windows.filter((w) => !w.starved);
    const measured = fed.reduce((s, w) => s + w.setSec, 0) >= MIN_MEASURED_SET_SEC;
    const cost: { pct: number; renderPct?: number; renderCpuSec?: number } = this.opts.renders
      ? steadyCost(fed, this.renderWindows, this.opts.streamCostPct, this.opts.transitionEverySec)
      : { pct: minuteCost(fed, this.opts.streamCostPct) };
    const foreign = this.foreign.length > 0 ? this.foreign.reduce((a, b) => a + b, 0) / this.foreign.length : 0;
    const derived = Math.max(0, Math.floor((this.opts.cores * this.opts.cpuTargetPct - 100 * foreign) / cost.pct));
    return {
      live: this.live(),
      capacity: this.opts.maxSets ?? derived,
      streamCostPct: cost.pct,
      ...(cost.renderPct !== undefined ? { renderCostPct: cost.renderPct, renderCpuSec: cost.renderCpuSec } : {}),
      measured,
      loopLagMs: Math.max(0, ...this.lags),
      foreignCores: foreign,
      admitted: this.admittedCount,
      refused: this.refusedCount,
    };
  }

  /** Whether one more set may start now; counts the answer. */
  check(): AdmissionVerdict {
    this.start();
    const f = this.figures();
    let verdict: AdmissionVerdict;
    if (f.live >= f.capacity) verdict = { ok: false, reason: 'capacity', message: capacityRefusal(f.live, f.capacity) };
    else if (f.loopLagMs > this.opts.maxLoopLagMs)
      verdict = { ok: false, reason: 'busy', message: busyRefusal(f.loopLagMs) };
    else verdict = { ok: true };
    if (verdict.ok) this.admittedCount++;
    else this.refusedCount++;
    return verdict;
  }
}
