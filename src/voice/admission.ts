import { availableParallelism, cpus } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { IntervalHistogram } from 'node:perf_hooks';
import { treeCpu } from './process-cpu.ts';

/**
 * What one live set costs before this process has measured its own (% of one core, the process and its decoders):
 * `bench:voice` measured 9–11 % per stream on a 2-core machine with Debian's ffmpeg 5.1, with a transition a minute
 * (2-minute tracks, 32-bar blends: ~4.5 % of it is the transitions' time-stretching).
 */
export const DEFAULT_STREAM_COST_PCT = 10;
/** The share of all cores the live sets may take (%): the rest absorbs bursts (renders, the gateway, GC). */
export const DEFAULT_CPU_TARGET_PCT = 90;
/** An event loop this late (p99 over the last samples) already delays the 20 ms audio cycle: no new set. */
export const DEFAULT_MAX_LOOP_LAG_MS = 50;

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
}

export type AdmissionVerdict = { ok: true } | { ok: false; reason: 'capacity' | 'busy'; message: string };

export interface AdmissionFigures {
  live: number;
  capacity: number;
  /** % of one core per live set: measured over the last minute, or the default. */
  streamCostPct: number;
  measured: boolean;
  /** The event loop's delay (p99, ms) over the last samples. */
  loopLagMs: number;
  /** Cores other programs kept busy at the default priority over the last samples (not this process tree). */
  foreignCores: number;
  admitted: number;
  refused: number;
}

const envNumber = (name: string): number | undefined => {
  const v = process.env[name];
  return v === undefined || v === '' || !Number.isFinite(Number(v)) ? undefined : Number(v);
};

/** The options from the environment (unset: the defaults). */
export function admissionOptionsFromEnv(): AdmissionOptions {
  const o: AdmissionOptions = {};
  const max = envNumber('MINIDJ_MAX_LIVE_SETS');
  if (max !== undefined) o.maxSets = max;
  const cost = envNumber('MINIDJ_STREAM_COST_PCT');
  if (cost !== undefined && cost > 0) o.streamCostPct = cost;
  const target = envNumber('MINIDJ_CPU_TARGET_PCT');
  if (target !== undefined && target > 0) o.cpuTargetPct = target;
  const lag = envNumber('MINIDJ_MAX_LOOP_LAG_MS');
  if (lag !== undefined && lag > 0) o.maxLoopLagMs = lag;
  return o;
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
 * until a minute of set time is measured, and never under half of it) gives the capacity, `(cores × target − cores
 * other programs keep busy) / cost` (other programs' niced work is left out: it yields), and an event loop already
 * running late (a machine saturated by anything) refuses too.
 */
export class Admission {
  private readonly opts: Required<Omit<AdmissionOptions, 'maxSets'>> & { maxSets?: number };
  private readonly live: () => number;
  private timer?: NodeJS.Timeout;
  private histogram?: IntervalHistogram;
  private last?: { at: number; cpuSec: number; live: number };
  private readonly windows: { cpuSec: number; setSec: number; starved: boolean }[] = [];
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
      ...(opts.maxSets !== undefined ? { maxSets: opts.maxSets } : {}),
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
      if (dt > 0) this.foreign = [...this.foreign, Math.max(0, (machine - this.lastMachine - (cpuSec - this.last.cpuSec)) / dt)].slice(-3);
    }
    this.lastMachine = machine;
    if (this.last) {
      const dt = (at - this.last.at) / 1000;
      const sets = (live + this.last.live) / 2;
      if (sets > 0 && dt > 0) {
        // A process starved of CPU uses less than its sets need: such a window says nothing of their cost.
        this.windows.push({ cpuSec: cpuSec - this.last.cpuSec, setSec: sets * dt, starved: lag > this.opts.maxLoopLagMs });
        if (this.windows.length > WINDOWS) this.windows.shift();
      }
    }
    this.last = { at, cpuSec, live };
  }

  figures(): AdmissionFigures {
    const fed = this.windows.filter((w) => !w.starved);
    const setSec = fed.reduce((s, w) => s + w.setSec, 0);
    const measured = setSec >= MIN_MEASURED_SET_SEC;
    // Never below half the default: a quiet minute must not open the doors to twice as many sets.
    const cost = measured ? Math.max(this.opts.streamCostPct / 2, (100 * fed.reduce((s, w) => s + w.cpuSec, 0)) / setSec) : this.opts.streamCostPct;
    const foreign = this.foreign.length > 0 ? this.foreign.reduce((a, b) => a + b, 0) / this.foreign.length : 0;
    const derived = Math.max(0, Math.floor((this.opts.cores * this.opts.cpuTargetPct - 100 * foreign) / cost));
    return {
      live: this.live(),
      capacity: this.opts.maxSets ?? derived,
      streamCostPct: cost,
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
    else if (f.loopLagMs > this.opts.maxLoopLagMs) verdict = { ok: false, reason: 'busy', message: busyRefusal(f.loopLagMs) };
    else verdict = { ok: true };
    if (verdict.ok) this.admittedCount++;
    else this.refusedCount++;
    return verdict;
  }
}
