/** How long a SQLite connection waits for another's lock (its busy handler, and `retryWhileBusy`). */
export const BUSY_TIMEOUT_MS = 10_000;

/**
 * Switching a database to WAL needs it to itself for a moment; SQLite answers SQLITE_BUSY at once, without its busy
 * handler, while another connection (keyv's, another process's) is opening it, so the step is tried again.
 */
export async function retryWhileBusy<T>(run: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + BUSY_TIMEOUT_MS;
  for (;;) {
    try {
      return await run();
    } catch (error) {
      if ((error as { code?: string }).code !== 'SQLITE_BUSY' || Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 20 + Math.random() * 30));
    }
  }
}
