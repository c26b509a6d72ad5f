import { workerData } from 'node:worker_threads';
import { prestartSpawner } from '../../util/spawner.ts';
import { niceThisThread } from '../../util/thread-nice.ts';
import { serve, transferring } from '../../util/worker-calls.ts';
import { setDeckNiceness } from '../io/deck-reader.ts';
import { RenderSlots } from './render-slots.ts';
import { renderTransition } from './render-job.ts';
import type { RenderCalls } from './transition-renderer.ts';

const { nice = 0, concurrency = Infinity } = (workerData ?? {}) as { nice?: number; concurrency?: number };

// Renders run ahead of when they play: this thread and its decoders take the CPU the live streams (the event loop's
// 20 ms audio cycle, the bodies' decoders, the Opus encoders) leave, `nice` below the bot's own priority.
const niceness = niceThisThread(nice);
if (niceness !== undefined) setDeckNiceness(niceness);

// This thread's decoders' spawner, up before the first render needs it.
prestartSpawner();

const slots = new RenderSlots(concurrency);

serve<RenderCalls>({
  render: async (job, cancel) => {
    // Offline renders (no due time) are due now, in the order asked.
    const due = performance.now() + (job.dueInSec ?? 0) * 1000;
    await slots.acquire(due);
    try {
      // Given up while it waited its turn: the next one goes (whoever asked has its answer already).
      cancel.throwIfAborted();
      // The time left once it starts (it may have waited its turn) decides how many decks it may spend on speed.
      const rendered = await renderTransition(
        job.dueInSec === undefined ? job : { ...job, dueInSec: (due - performance.now()) / 1000 },
        cancel,
      );
      return transferring(rendered, [rendered.pcm.buffer as ArrayBuffer]);
    } finally {
      slots.release();
    }
  },
});
