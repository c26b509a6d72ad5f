import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { setting } from '../../util/config.ts';
import { niceFromEnv } from '../../util/live-priorities.ts';
import { WorkerCalls } from '../../util/worker-calls.ts';
import { AUDIO_INPUT_ERRORS } from '../io/audio-input-error.ts';
import { ffmpegPath } from '../io/ffmpeg-path.ts';
import type { RenderedTransition, TransitionJob } from './render-job.ts';

export interface TransitionRendererOptions {
  /**
   * How much nicer than the bot the render thread and its decoders run (0–19; Linux). Default `MINIDJ_RENDER_NICE`,
   * else 0 (offline renders); the bot passes its own (src/util/live-priorities.ts).
   */
  nice?: number;
  /** Renders at once; more wait their turn in the order asked. Default `MINIDJ_RENDER_CONCURRENCY`, else the cores. */
  concurrency?: number;
}

/** What transition-worker.ts answers (src/util/worker-calls.ts). */
export type RenderCalls = {
  render: (job: TransitionJob) => RenderedTransition;
};

/** A render given up by whoever asked for it. */
export class RenderCancelled extends Error {
  constructor() {
    super('the transition render was cancelled');
    this.name = 'RenderCancelled';
  }
}

/**
 * Renders transitions ahead of time on a worker thread, so the stream of the current track never waits for one.
 * A worker that dies fails the renders it had (the set engine cuts instead) and is replaced on the next render, so a
 * long-running bot keeps its transitions.
 */
export class TransitionRenderer {
  private calls: WorkerCalls<RenderCalls> | undefined;
  private closed = false;
  private done = 0;
  /** The niceness its thread and decoders run at. */
  readonly nice: number;
  private readonly concurrency: number;

  constructor(opts: TransitionRendererOptions = {}) {
    this.nice = opts.nice ?? niceFromEnv('MINIDJ_RENDER_NICE', 0);
    this.concurrency = Math.max(
      1,
      Math.round(opts.concurrency ?? setting('MINIDJ_RENDER_CONCURRENCY') ?? availableParallelism()),
    );
  }

  private spawn(): WorkerCalls<RenderCalls> {
    // The ffmpeg this process found, so the worker does not look for it again (a synchronous probe of its own).
    let found: string | undefined;
    try {
      found = ffmpegPath();
    } catch {
      // None: the worker's decks say so, as they did.
    }
    const worker = new Worker(new URL('./transition-worker.ts', import.meta.url), {
      workerData: { nice: this.nice, concurrency: this.concurrency },
      env: found ? { ...process.env, FFMPEG_PATH: found } : process.env,
    });
    const calls: WorkerCalls<RenderCalls> = new WorkerCalls<RenderCalls>(worker, {
      exited: (code) => new Error(`the transition renderer stopped (exit ${code})`),
      onLost: () => {
        if (this.calls === calls) this.calls = undefined;
      },
      revive: AUDIO_INPUT_ERRORS,
      cancelled: () => new RenderCancelled(),
    });
    return calls;
  }

  /** Renders finished so far (what admission control divides the renders' CPU by). */
  get completed(): number {
    return this.done;
  }

  /**
   * Renders `job`. Aborting `signal` (the set stopped, skipped, or gave up waiting) rejects at once and frees what the
   * render holds: waiting, it gives up its turn; running, its decoders are killed.
   */
  render(job: TransitionJob, signal?: AbortSignal): Promise<RenderedTransition> {
    if (this.closed) return Promise.reject(new Error('the transition renderer is closed'));
    if (signal?.aborted) return Promise.reject(new RenderCancelled());
    this.calls ??= this.spawn();
    return this.calls.call('render', job, signal ? { signal } : {}).then((rendered) => {
      this.done++;
      return rendered;
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    const calls = this.calls;
    this.calls = undefined;
    await calls?.terminate(new Error('the transition renderer is closed'));
  }
}
