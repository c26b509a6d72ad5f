/** How long a statement waits in all for another process's lock before it fails with SQLITE_BUSY. */
const BUSY_TIMEOUT_MS = 10_000;
/**
 * How long SQLite's own busy handler waits, per try: node:sqlite runs statements on the event loop, so this is the
 * longest the loop stops for a lock; `retryWhileBusy` then tries again after a pause, the loop free meanwhile.
 */
export const BUSY_WAIT_MS = 50;

/** SQLITE_BUSY, as node:sqlite reports it (`errcode`, possibly an extended code such as SQLITE_BUSY_RECOVERY). */
function isBusy(error: unknown): boolean {
  const code = (error as { errcode?: unknown } | undefined)?.errcode;
  return typeof code === 'number' && (code & 0xff) === 5;
}

/**
 * Runs `run` until it gets past SQLITE_BUSY (another process's lock; or switching to WAL, which SQLite answers BUSY at
 * once while another process opens the file), pausing between tries, for BUSY_TIMEOUT_MS in all. `before` runs ahead
 * of each try (to wait for this process's own transaction again).
 */
export async function retryWhileBusy<T>(
  run: () => T,
  before: () => Promise<void> = () => Promise.resolve(),
): Promise<T> {
  const deadline = Date.now() + BUSY_TIMEOUT_MS;
  for (;;) {
    await before();
    try {
      return run();
    } catch (error) {
      if (!isBusy(error) || Date.now() > deadline) throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, 20 + Math.random() * 30));
  }
}
