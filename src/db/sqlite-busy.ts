/** How long a SQLite connection waits for another process's lock (its busy handler, and `retryWhileBusy`). */
export const BUSY_TIMEOUT_MS = 10_000;

/** SQLITE_BUSY, as node:sqlite reports it (`errcode`, possibly an extended code such as SQLITE_BUSY_RECOVERY). */
export function isBusy(error: unknown): boolean {
  const code = (error as { errcode?: unknown } | undefined)?.errcode;
  return typeof code === 'number' && (code & 0xff) === 5;
}

/**
 * Switching a database to WAL needs it to itself for a moment; SQLite answers SQLITE_BUSY at once, without its busy
 * handler, while another process is opening it, so the step is tried again (the event loop free meanwhile).
 */
export async function retryWhileBusy<T>(run: () => T): Promise<T> {
  const deadline = Date.now() + BUSY_TIMEOUT_MS;
  for (;;) {
    try {
      return run();
    } catch (error) {
      if (!isBusy(error) || Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 20 + Math.random() * 30));
    }
  }
}
