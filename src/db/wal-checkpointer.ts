import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import type { CheckpointWorkerData } from './wal-checkpoint-worker.ts';

/**
 * How often the thread checkpoints. The writer's first commit after a checkpoint starts the WAL over and syncs its
 * header, on the event loop: one fsync per round (in bench:stall's 65 s, 11 and 58 ms in all at 5 s; 61 and 273 ms
 * at 1 s), where the writer's own checkpoints made 93 rounds of two or three. 20 live sets write about 6 MB of WAL in
 * 5 s.
 */
const CHECKPOINT_EVERY_MS = 5000;
/** How long close waits for the thread to close its connection before it is stopped. */
const STOP_WAIT_MS = 2000;

/**
 * The worker inherits the process's flags, except under a script run with -e: a worker refuses --input-type, and a
 * list of flags given to it is checked (a V8 flag such as --max-semi-space-size in it throws) where inherited ones are
 * not, so it is given none (it needs none).
 */
function workerExecArgv(): { execArgv?: string[] } {
  return process.execArgv.some((a) => a.startsWith('--input-type')) ? { execArgv: [] } : {};
}

/**
 * A thread that checkpoints a SQLite file's WAL (wal-checkpoint-worker.ts). On the connection that writes, SQLite
 * checkpoints once the WAL passes 1,000 pages, in the commit that passes it: thousands of pages copied and two fsyncs,
 * all on the event loop (20 live sets saving their 0.27 MB records: 93 checkpoints in 65 s, up to 24 ms each in
 * fsync alone at load 4-5, bench:stall). Here they run beside it.
 */
export class WalCheckpointer {
  private readonly worker: Worker;
  private stopping = false;

  /** `onLost` runs if the thread stops on its own (the writer then checkpoints as before). */
  constructor(file: string, onLost: (error: Error) => void) {
    const data: CheckpointWorkerData = { file, everyMs: CHECKPOINT_EVERY_MS };
    this.worker = new Worker(new URL('./wal-checkpoint-worker.ts', import.meta.url), {
      workerData: data,
      ...workerExecArgv(),
    });
    // It never keeps the process alive: an exit without close leaves the WAL for the next open, as SQLite always has.
    this.worker.unref();
    const lost = (error: Error): void => {
      if (!this.stopping) onLost(error);
      this.stopping = true;
    };
    this.worker.on('error', lost);
    this.worker.on('exit', (code) => lost(new Error(`the WAL checkpoint thread stopped (exit ${code})`)));
  }

  /** Closes the thread's connection and ends the thread. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    const exited = once(this.worker, 'exit');
    // Held until it has closed, so the process waits for it.
    this.worker.ref();
    this.worker.postMessage('stop');
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise((resolve) => (timer = setTimeout(resolve, STOP_WAIT_MS)));
    const stopped = await Promise.race([exited.then(() => true), timeout]);
    clearTimeout(timer);
    if (stopped !== true) await this.worker.terminate();
  }
}
