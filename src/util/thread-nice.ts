import { readlinkSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';

/**
 * Makes the calling thread `nice` nicer than the process (Linux sets a thread's niceness by its id; processes it
 * starts from now on inherit it). Returns the niceness it runs at, or undefined when it was not changed.
 */
export function niceThisThread(nice: number): number | undefined {
  const more = Math.round(nice);
  if (!(more > 0)) return undefined;
  const niceness = Math.min(19, getPriority() + more);
  try {
    setPriority(Number(readlinkSync('/proc/thread-self').split('/').pop()), niceness);
    return niceness;
  } catch {
    // Not Linux, or not allowed: the thread keeps the process's priority.
    return undefined;
  }
}
