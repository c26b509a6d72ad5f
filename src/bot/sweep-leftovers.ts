import { mkdir, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { statIfAny } from '../util/stat-if-any.ts';

/**
 * Removes what a killed process can leave behind: per-request download dirs (`minidj-dl-*`) and half-copied library
 * files (`.*.partial`). The download dir is this process's own, so at start nothing in it is in use; the tracks dir
 * may be shared with other shard processes, whose copies in flight are younger than `partialsOlderThanMs`.
 */
export async function sweepLeftovers(downloadDir: string, tracksDir: string, partialsOlderThanMs = 0): Promise<number> {
  let removed = 0;
  await mkdir(downloadDir, { recursive: true });
  for (const name of await readdir(downloadDir)) {
    if (!name.startsWith('minidj-dl-')) continue;
    await rm(path.join(downloadDir, name), { recursive: true, force: true });
    removed += 1;
  }
  // No tracks folder yet: nothing was left in it.
  const tracks = await readdir(tracksDir).catch(() => [] as string[]);
  for (const name of tracks) {
    if (!(name.startsWith('.') && name.endsWith('.partial'))) continue;
    const file = path.join(tracksDir, name);
    if (partialsOlderThanMs > 0 && Date.now() - ((await statIfAny(file))?.mtimeMs ?? 0) < partialsOlderThanMs) continue;
    await rm(file, { force: true });
    removed += 1;
  }
  return removed;
}
