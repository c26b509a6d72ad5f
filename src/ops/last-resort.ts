import type { Logger } from './log.ts';

/** More uncaught errors than this within BURST_WINDOW_MS: something keeps failing, and carrying on only repeats it. */
export const BURST_LIMIT = 5;
export const BURST_WINDOW_MS = 60_000;

export type UncaughtKind = 'uncaughtException' | 'unhandledRejection';

/**
 * Why the process must not carry on after an uncaught error, or undefined when it may. Not while it starts or stops
 * (its state is half made), not in a burst, and not after Node's own internal assertion (Node itself is in a bad state).
 */
export function reasonToStop(error: unknown, inWindow: number, running: boolean): string | undefined {
  if (!running) return 'the process was starting or stopping';
  if ((error as { code?: unknown } | null)?.code === 'ERR_INTERNAL_ASSERTION') return "Node's own state is broken";
  if (inWindow > BURST_LIMIT) return `${inWindow} uncaught errors within ${BURST_WINDOW_MS / 1000} s`;
  return undefined;
}

export interface LastResortOptions {
  log: Logger;
  /** True while the process serves normally (started, not stopping). */
  running: () => boolean;
  /** Ends the process when carrying on is not safe (once; it should save what it can, then exit non-zero). */
  stop: (reason: string) => void;
  /** What carrying on keeps going, for the log ("the live sets play on"). */
  carriesOn: string;
}

/**
 * The last resort against an error nothing caught (an exception thrown from a callback, a rejected promise nobody
 * awaited): logged with its stack, and — where that is safe (see reasonToStop) — the process carries on, so one bad
 * input does not drop every live set of its shard. When it is not safe the process is stopped, which saves the sets;
 * under `npm start` the manager restarts it and they resume from where they were saved.
 */
export function installLastResort(opts: LastResortOptions): void {
  const recent: number[] = [];
  let stopped = false;
  const handle =
    (kind: UncaughtKind) =>
    (error: unknown): void => {
      const now = Date.now();
      recent.push(now);
      while (recent[0]! <= now - BURST_WINDOW_MS) recent.shift();
      const reason = reasonToStop(error, recent.length, opts.running() && !stopped);
      if (!reason) {
        opts.log.error({ err: error, kind }, `uncaught error (${kind}), logged: ${opts.carriesOn}`);
        return;
      }
      opts.log.fatal({ err: error, kind, reason }, `uncaught error (${kind}): ${reason}, so the process stops`);
      if (stopped) return;
      stopped = true;
      opts.stop(reason);
    };
  process.on('uncaughtException', handle('uncaughtException'));
  process.on('unhandledRejection', handle('unhandledRejection'));
}
