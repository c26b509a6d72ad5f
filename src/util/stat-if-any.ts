import type { Stats } from 'node:fs';
import { stat } from 'node:fs/promises';

/** The stats of `file`, or undefined when there are none to read (no such file, or no permission to see it). */
export function statIfAny(file: string): Promise<Stats | undefined> {
  // Missing and unreadable are one answer here: each caller refuses or skips the file, and says so where it matters.
  return stat(file).catch(() => undefined);
}
