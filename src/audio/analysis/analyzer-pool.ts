import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { AnalysisCalls, AnalysisJob } from './analysis-protocol.ts';
import type { TrackAnalysis } from './analysis-types.ts';
import type { Analyzer } from './analyzer.ts';
import { AUDIO_INPUT_ERRORS, AudioInputError } from '../io/audio-input-error.ts';
import { ffmpegPath } from '../io/ffmpeg-path.ts';
import type { AudioLimits } from '../io/limits.ts';
import { audioLimitsFromEnv } from '../io/limits.ts';
import { admitFairly } from '../../util/fair-share.ts';
import type { ShareDecision } from '../../util/fair-share.ts';
import type { VettedMedia } from '../io/vet-media.ts';
import { UserFacingError } from '../../util/user-facing-error.ts';
import { WorkerCalls } from '../../util/worker-calls.ts';

/** Where a job stands: waiting behind `ahead` others, or being analysed. */
export type JobStatus = { state: 'queued'; ahead: number } | { state: 'analysing' };

export interface AnalyzeOptions {
  /** Whose job it is (a server): owners are served in turn, so one cannot hold up the others. */
  owner?: string;
  /** Told where the job stands whenever that changes. */
  onStatus?: (status: JobStatus) => void;
  /** The file's content hash when the caller has it (the Redis queue names the job's file by it). */
  contentHash?: string;
  /** The file as ingest vetted it: its decode probes it no second time (a worker process elsewhere vets its own). */
  media?: VettedMedia;
}

export class AnalyzerBusyError extends UserFacingError<'busy'> {
  constructor(message: string) {
    super('busy', message, 'AnalyzerBusyError');
  }
}

interface Pending {
  job: AnalysisJob;
  owner: string;
  onStatus?: (status: JobStatus) => void;
  lastAhead?: number;
  /** When a worker took it (performance.now()). */
  startedAt?: number;
  resolve: (a: TrackAnalysis) => void;
  reject: (e: Error) => void;
}

interface Slot {
  calls: WorkerCalls<AnalysisCalls>;
  current?: Pending;
  timer?: NodeJS.Timeout;
  jobsDone: number;
}

/** Recycling bounds whatever essentia.js's WASM heap keeps between tracks. */
const JOBS_PER_WORKER = 25;
/** Analysis itself (after decoding) may take this long for a 20-minute file before the worker is declared hung. */
export const ANALYSIS_BUDGET_MS = 5 * 60_000;

/**
 * Jobs one owner may have waiting, and all owners together: past them a job is refused, not queued for ever. The
 * places are shared fairly (src/util/fair-share.ts): with many servers waiting, each holds at most its part of them.
 */
export const MAX_WAITING_PER_OWNER = 8;
export const MAX_WAITING = 64;
export const WAITING_LIMITS = { total: MAX_WAITING, perOwner: MAX_WAITING_PER_OWNER } as const;

/** Why a song was not queued: its server holds its share of the waiting places, or every place is taken. */
export function refusedByShare(decision: Extract<ShareDecision, { admit: false }>, mine: number): AnalyzerBusyError {
  if (decision.reason === 'full')
    return new AnalyzerBusyError("The analyser is busy with other servers' songs; try again in a few minutes.");
  const why =
    decision.share < MAX_WAITING_PER_OWNER
      ? ` (its share of the analyser while ${decision.owners} servers have songs waiting)`
      : '';
  return new AnalyzerBusyError(
    `${mine} ${mine === 1 ? 'song' : 'songs'} from this server ${mine === 1 ? 'is' : 'are'} already waiting to be analysed${why}; try again once they are in.`,
  );
}

/** The error of a waiting song let go for another server's (its server held more than its share; how many, when known). */
export function displacedByShare(decision?: ShareDecision): AnalyzerBusyError {
  const among = decision
    ? `the ${decision.owners} servers with songs waiting, and this server had more than its share (${decision.share})`
    : 'the servers with songs waiting, and this server had more than its share';
  return new AnalyzerBusyError(
    `The analyser is shared among ${among} waiting, so this song made room for another server's. Add it again in a few minutes.`,
  );
}

/**
 * Runs analyses in worker threads (one per core by default): essentia.js must stay off the main thread (it blocks
 * for seconds and installs process-wide handlers). Waiting jobs are served round robin between owners. A worker that
 * crashes or hangs is replaced and its job fails with a clear error.
 */
export class AnalyzerPool implements Analyzer {
  private readonly slots: Slot[] = [];
  /** Each owner's waiting jobs. */
  private readonly lanes = new Map<string, Pending[]>();
  /** When each owner was last served (a counter), for the turns. */
  private readonly served = new Map<string, number>();
  private turn = 0;
  private closed = false;
  private readonly limits: AudioLimits;
  private readonly size: number;
  private readonly ffmpeg: string;
  private readonly nice: number;

  /** Told of each analysis a worker ran: its wall time (s) and whether it gave an analysis (metrics). */
  private readonly onFinished: ((seconds: number, ok: boolean) => void) | undefined;

  /** `nice`: how much nicer than this process the analyses (worker threads and their decoders) run, 0–19 (Linux). */
  constructor(
    options: {
      size?: number;
      limits?: AudioLimits;
      ffmpeg?: string;
      nice?: number;
      onFinished?: (seconds: number, ok: boolean) => void;
    } = {},
  ) {
    this.onFinished = options.onFinished;
    this.nice = options.nice ?? 0;
    this.size = Math.max(1, options.size ?? availableParallelism());
    this.limits = options.limits ?? audioLimitsFromEnv();
    this.ffmpeg = options.ffmpeg ?? ffmpegPath();
  }

  analyze(file: string, options: AnalyzeOptions = {}): Promise<TrackAnalysis> {
    if (this.closed) return Promise.reject(new Error('the analyzer pool is closed'));
    const owner = options.owner ?? '';
    const lane = this.lanes.get(owner) ?? [];
    const decision = admitFairly(new Map([...this.lanes].map(([o, l]) => [o, l.length])), owner, WAITING_LIMITS);
    if (!decision.admit) return Promise.reject(refusedByShare(decision, lane.length));
    if (decision.displace !== undefined) this.letGo(decision.displace, decision);
    return new Promise((resolve, reject) => {
      lane.push({
        job: { file, limits: this.limits, ffmpeg: this.ffmpeg, media: options.media },
        owner,
        ...(options.onStatus ? { onStatus: options.onStatus } : {}),
        resolve,
        reject,
      });
      this.lanes.set(owner, lane);
      this.pump();
    });
  }

  /** Jobs waiting for a worker. */
  waiting(): number {
    let n = 0;
    for (const lane of this.lanes.values()) n += lane.length;
    return n;
  }

  async close(): Promise<void> {
    this.closed = true;
    const closed = new Error('the analyzer pool was closed');
    for (const lane of this.lanes.values()) for (const p of lane) p.reject(closed);
    this.lanes.clear();
    await Promise.all(
      this.slots.splice(0).map((slot) => {
        clearTimeout(slot.timer);
        slot.current?.reject(closed);
        slot.current = undefined;
        return slot.calls.terminate(closed);
      }),
    );
  }

  /** Drops an owner's newest waiting job, to make room for another owner's under its share. */
  private letGo(owner: string, decision: ShareDecision): void {
    const lane = this.lanes.get(owner);
    const dropped = lane?.pop();
    if (lane?.length === 0) this.lanes.delete(owner);
    dropped?.reject(displacedByShare(decision));
  }

  /** The next job in turn: the oldest of the owner served least recently. */
  private take(): Pending | undefined {
    const owner = this.turnOrder()[0];
    if (owner === undefined) return undefined;
    const lane = this.lanes.get(owner)!;
    const next = lane.shift();
    if (lane.length === 0) this.lanes.delete(owner);
    this.served.set(owner, ++this.turn);
    if (this.served.size > 1000) for (const o of this.served.keys()) if (!this.lanes.has(o)) this.served.delete(o);
    return next;
  }

  /** Owners with waiting jobs, least recently served first. */
  private turnOrder(): string[] {
    return [...this.lanes.keys()].sort((a, b) => (this.served.get(a) ?? 0) - (this.served.get(b) ?? 0));
  }

  /** Tells each waiting job how many will start before it, when that changed. */
  private tellPositions(): void {
    const lanes = this.turnOrder().map((owner) => [...this.lanes.get(owner)!]);
    let ahead = 0;
    while (lanes.some((lane) => lane.length > 0)) {
      for (const lane of lanes) {
        const p = lane.shift();
        if (!p) continue;
        if (p.lastAhead !== ahead) p.onStatus?.({ state: 'queued', ahead });
        p.lastAhead = ahead++;
      }
    }
  }

  private spawn(): Slot {
    const worker = new Worker(new URL('./analyzer-thread.ts', import.meta.url), { workerData: { nice: this.nice } });
    const slot: Slot = {
      calls: new WorkerCalls<AnalysisCalls>(worker, {
        crashed: (err) => new AudioInputError('analysis-failed', `The analyzer crashed on this file (${err.message}).`),
        exited: (code) =>
          new AudioInputError('analysis-failed', `The analyzer stopped unexpectedly (exit code ${code}).`),
        onLost: (error) => this.fail(slot, error),
        revive: AUDIO_INPUT_ERRORS,
      }),
      jobsDone: 0,
    };
    return slot;
  }

  private pump(): void {
    while (this.lanes.size > 0) {
      let slot = this.slots.find((s) => !s.current);
      if (!slot && this.slots.length < this.size) {
        slot = this.spawn();
        this.slots.push(slot);
      }
      if (!slot) break;
      const pending = this.take()!;
      pending.onStatus?.({ state: 'analysing' });
      pending.startedAt = performance.now();
      slot.current = pending;
      slot.timer = setTimeout(() => {
        this.fail(
          slot,
          new AudioInputError(
            'analysis-failed',
            `Analysis took longer than ${Math.round((this.limits.decodeTimeoutMs + ANALYSIS_BUDGET_MS) / 1000)} s and was stopped.`,
          ),
        );
      }, this.limits.decodeTimeoutMs + ANALYSIS_BUDGET_MS);
      slot.calls.call('analyze', pending.job).then(
        (analysis) => this.finish(slot, pending, analysis),
        (error: Error) => this.finish(slot, pending, error),
      );
    }
    this.tellPositions();
  }

  /** The worker's answer: the analysis, or the AudioInputError it threw. (A lost worker's job was failed already.) */
  private finish(slot: Slot, pending: Pending, answer: TrackAnalysis | Error): void {
    if (slot.current !== pending) return;
    clearTimeout(slot.timer);
    slot.current = undefined;
    slot.jobsDone++;
    const ok = !(answer instanceof Error);
    this.told(pending, ok);
    if (ok) pending.resolve(answer);
    else pending.reject(answer);
    if (slot.jobsDone >= JOBS_PER_WORKER) this.retire(slot);
    this.pump();
  }

  private fail(slot: Slot, error: Error): void {
    const pending = slot.current;
    clearTimeout(slot.timer);
    slot.current = undefined;
    this.retire(slot);
    if (pending) this.told(pending, false);
    pending?.reject(error);
    this.pump();
  }

  private told(pending: Pending, ok: boolean): void {
    if (pending.startedAt !== undefined) this.onFinished?.((performance.now() - pending.startedAt) / 1000, ok);
  }

  private retire(slot: Slot): void {
    const i = this.slots.indexOf(slot);
    if (i >= 0) this.slots.splice(i, 1);
    void slot.calls.terminate(new Error('the analyzer was retired'));
  }
}
