import { Worker } from 'node:worker_threads';
import type { RenderedTransition, TransitionJob } from './transition-render.ts';

type Reply = { id: number; ok: true; rendered: RenderedTransition } | { id: number; ok: false; message: string };

/** Renders transitions ahead of time on a worker thread, so the stream of the current track never waits for one. */
export class TransitionRenderer {
  private readonly worker: Worker;
  private readonly pending = new Map<number, { resolve: (r: RenderedTransition) => void; reject: (e: Error) => void }>();
  private nextId = 1;

  constructor() {
    this.worker = new Worker(new URL('./transition-worker.ts', import.meta.url));
    this.worker.on('message', (reply: Reply) => {
      const p = this.pending.get(reply.id);
      if (!p) return;
      this.pending.delete(reply.id);
      if (reply.ok) p.resolve(reply.rendered);
      else p.reject(new Error(reply.message));
    });
    this.worker.on('error', (err) => this.failAll(err));
    this.worker.on('exit', (code) => this.failAll(new Error(`the transition renderer stopped (exit ${code})`)));
  }

  private failAll(err: Error): void {
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }

  render(job: TransitionJob): Promise<RenderedTransition> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, job });
    });
  }

  async close(): Promise<void> {
    this.worker.removeAllListeners('exit');
    await this.worker.terminate();
  }
}
