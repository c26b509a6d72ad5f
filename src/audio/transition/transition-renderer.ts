import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { setting } from '../../util/config.ts';
import { niceFromEnv } from '../../util/live-priorities.ts';
import { ffmpegPath } from '../io/ffmpeg-path.ts';
import type { RenderedTransition, TransitionJob } from './transition-render.ts';

export interface TransitionRendererOptions {
  /**
   * How much nicer than the bot the render thread and its decoders run (0–19; Linux). Default `MINIDJ_RENDER_NICE`,
   * else 0 (offline renders); the bot passes its own (src/util/live-priorities.ts).
   */
  nice?: number;
  /** Renders at once; more wait their turn in the order asked. Default `MINIDJ_RENDER_CONCURRENCY`, else the cores. */
  concurrency?: number;
}

type Reply = { id: number; ok: true; rendered: RenderedTransition } | { id: number; ok: false; message: string };
export type RenderRequest = { id: number; job: TransitionJob } | { cancel: number };

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
  private worker: Worker | undefined;
  private readonly pending = new Map<number, { resolve: (r: RenderedTransition) => void; reject: (e: Error) => void }>();
  private nextId = 1;
  private closed = false;
  private done = 0;
  /** The niceness its thread and decoders run at. */
  readonly nice: number;
  private readonly concurrency: number;

  constructor(opts: TransitionRendererOptions = {}) {
    this.nice = opts.nice ?? niceFromEnv('MINIDJ_RENDER_NICE', 0);
    this.concurrency = Math.max(1, Math.round(opts.concurrency ?? setting('MINIDJ_RENDER_CONCURRENCY') ?? availableParallelism()));
  }

  private spawn(): Worker {
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
    worker.on('message', (reply: Reply) => {
      const p = this.pending.get(reply.id);
      if (!p) return;
      this.pending.delete(reply.id);
      if (reply.ok) {
        this.done++;
        p.resolve(reply.rendered);
      }
      else p.reject(new Error(reply.message));
    });
    const lost = (err: Error): void => {
      if (this.worker === worker) this.worker = undefined;
      this.failAll(err);
    };
    worker.on('error', lost);
    worker.on('exit', (code) => lost(new Error(`the transition renderer stopped (exit ${code})`)));
    return worker;
  }

  private failAll(err: Error): void {
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
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
    this.worker ??= this.spawn();
    const worker = this.worker;
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const cancel = (): void => {
        if (!this.pending.delete(id)) return;
        worker.postMessage({ cancel: id } satisfies RenderRequest);
        reject(new RenderCancelled());
      };
      const settle = <A>(then: (arg: A) => void) => (arg: A): void => {
        signal?.removeEventListener('abort', cancel);
        then(arg);
      };
      this.pending.set(id, { resolve: settle(resolve), reject: settle(reject) });
      signal?.addEventListener('abort', cancel, { once: true });
      worker.postMessage({ id, job } satisfies RenderRequest);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    const worker = this.worker;
    this.worker = undefined;
    if (!worker) return;
    worker.removeAllListeners('exit');
    await worker.terminate();
  }
}
