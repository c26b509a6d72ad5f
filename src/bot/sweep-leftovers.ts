import { mkdir, readdir, rm } from 'node:fs/promises';
import path from 'node:path';

/**
 * Removes what a killed process can leave behind: per-request download dirs (`minidj-dl-*`) and half-copied library
 * files (`.*.partial`). Only this bot writes there, so at start nothing in them is in use.
 */
export async function sweepLeftovers(downloadDir: string, tracksDir: string): Promise<number> {
  let removed = 0;
  await mkdir(downloadDir, { recursive: true });
  for (const name of await readdir(downloadDir)) {
    if (!name.startsWith('minidj-dl-')) continue;
    await rm(path.join(downloadDir, name), { recursive: true, force: true });
    removed += 1;
  }
  const tracks = await readdir(tracksDir).catch(() => [] as string[]);
  for (const name of tracks) {
    if (!(name.startsWith('.') && name.endsWith('.partial'))) continue;
    await rm(path.join(tracksDir, name), { force: true });
    removed += 1;
  }
  return removed;
}
