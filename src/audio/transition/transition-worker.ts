import { parentPort } from 'node:worker_threads';
import { renderTransition } from './transition-render.ts';
import type { TransitionJob } from './transition-render.ts';

if (!parentPort) throw new Error('transition-worker.ts must run as a worker thread');
const port = parentPort;

port.on('message', async ({ id, job }: { id: number; job: TransitionJob }) => {
  try {
    const rendered = await renderTransition(job);
    port.postMessage({ id, ok: true, rendered }, [rendered.pcm.buffer as ArrayBuffer]);
  } catch (err) {
    port.postMessage({ id, ok: false, message: err instanceof Error ? err.message : String(err) });
  }
});
