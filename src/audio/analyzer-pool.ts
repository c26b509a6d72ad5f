import { Worker } from 'node:worker_threads';
import type { AnalysisJob, AnalysisReply } from './analysis-protocol.ts';
import type { TrackAnalysis } from './analysis-types.ts';
import { AudioInputError } from './audio-input-error.ts';
import { ffmpegPath } from './ffmpeg-path.ts';
import type { AudioLimits } from './limits.ts';
import { audioLimitsFromEnv } from './limits.ts';

interface Pending {
  job: AnalysisJob;
  resolve: (a: TrackAnalysis) => void;
  reject: (e: Error) => void;
}

interface Slot {
  worker: Worker;
  current?: Pending;
  timer?: NodeJS.Timeout;
  jobsDone: number;
}

/** Recycling bounds whatever essentia.js's WASM heap keeps between tracks. */
const JOBS_PER_WORKER = 25;
/** Analysis itself (after decoding) may take this long for a 20-minute file before the worker is declared hung. */
const ANALYSIS_BUDGET_MS = 5 * 60_000;

/**
 * Runs analyses in worker threads: essentia.js must stay off the main thread (it blocks for seconds and installs
 * process-wide handlers). A worker that crashes or hangs is replaced and its job fails with a clear error.
 */
export class AnalyzerPool {
  private readonly slots: Slot[] = [];
  private readonly queue: Pending[] = [];
  private nextId = 1;
  private closed = false;
  private readonly limits: AudioLimits;
  private readonly size: number;
  private readonly ffmpeg: string;

  constructor(options: { size?: number; limits?: AudioLimits; ffmpeg?: string } = {}) {
    this.size = Math.max(1, options.size ?? 1);
    this.limits = options.limits ?? audioLimitsFromEnv();
    this.ffmpeg = options.ffmpeg ?? ffmpegPath();
  }

  analyze(file: string): Promise<TrackAnalysis> {
    if (this.closed) return Promise.reject(new Error('the analyzer pool is closed'));
    return new Promise((resolve, reject) => {
      this.queue.push({ job: { id: this.nextId++, file, limits: this.limits, ffmpeg: this.ffmpeg }, resolve, reject });
      this.pump();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const p of this.queue.splice(0)) p.reject(new Error('the analyzer pool was closed'));
    await Promise.all(this.slots.splice(0).map((s) => s.worker.terminate()));
  }

  private spawn(): Slot {
    const worker = new Worker(new URL('./analysis-worker.ts', import.meta.url));
    const slot: Slot = { worker, jobsDone: 0 };
    worker.on('message', (reply: AnalysisReply) => this.finish(slot, reply));
    worker.on('error', (err) => this.fail(slot, new AudioInputError('analysis-failed', `The analyzer crashed on this file (${err.message}).`)));
    worker.on('exit', (code) => {
      if (slot.current) this.fail(slot, new AudioInputError('analysis-failed', `The analyzer stopped unexpectedly (exit code ${code}).`));
    });
    return slot;
  }

  private pump(): void {
    while (this.queue.length > 0) {
      let slot = this.slots.find((s) => !s.current);
      if (!slot && this.slots.length < this.size) {
        slot = this.spawn();
        this.slots.push(slot);
      }
      if (!slot) return;
      const pending = this.queue.shift()!;
      slot.current = pending;
      slot.timer = setTimeout(() => {
        this.fail(slot, new AudioInputError('analysis-failed', `Analysis took longer than ${Math.round((this.limits.decodeTimeoutMs + ANALYSIS_BUDGET_MS) / 1000)} s and was stopped.`));
      }, this.limits.decodeTimeoutMs + ANALYSIS_BUDGET_MS);
      slot.worker.postMessage(pending.job);
    }
  }

  private finish(slot: Slot, reply: AnalysisReply): void {
    const pending = slot.current;
    if (!pending || pending.job.id !== reply.id) return;
    clearTimeout(slot.timer);
    slot.current = undefined;
    slot.jobsDone++;
    if (reply.ok) pending.resolve(reply.analysis);
    else pending.reject(new AudioInputError(reply.code, reply.message));
    if (slot.jobsDone >= JOBS_PER_WORKER) this.retire(slot);
    this.pump();
  }

  private fail(slot: Slot, error: Error): void {
    const pending = slot.current;
    clearTimeout(slot.timer);
    slot.current = undefined;
    this.retire(slot);
    pending?.reject(error);
    this.pump();
  }

  private retire(slot: Slot): void {
    const i = this.slots.indexOf(slot);
    if (i >= 0) this.slots.splice(i, 1);
    slot.worker.removeAllListeners('exit');
    void slot.worker.terminate();
  }
}
