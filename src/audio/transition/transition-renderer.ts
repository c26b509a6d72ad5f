import { Worker } from 'node:worker_threads';
import type { RenderedTransition, TransitionJob } from './transition-render.ts';

type Reply = { id: number; ok: true; rendered: RenderedTransition } | { id: number; ok: false; message: string };

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

  private spawn(): Worker {
    const worker = new Worker(new URL('./transition-worker.ts', import.meta.url));
    worker.on('message', (reply: Reply) => {
      const p = this.pending.get(reply.id);
      if (!p) return;
      this.pending.delete(reply.id);
      if (reply.ok) p.resolve(reply.rendered);
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

  render(job: TransitionJob): Promise<RenderedTransition> {
    if (this.closed) return Promise.reject(new Error('the transition renderer is closed'));
    this.worker ??= this.spawn();
    const worker = this.worker;
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.postMessage({ id, job });
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
