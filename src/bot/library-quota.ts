import type { AnalysisStore } from '../db/analysis-store.ts';
import { TrackStorageError } from '../db/track-files.ts';
import type { TrackFiles } from '../db/track-files.ts';
import { formatBytes } from '../util/format-bytes.ts';

export interface LibraryQuotaDeps {
  files: TrackFiles;
  analyses: AnalysisStore;
  /** Hashes some server still needs: in a playlist or playing. */
  held: () => Promise<Set<string>>;
  maxBytes: number;
  onEvicted?: (evicted: { hash: string; bytes: number }[]) => void;
}

/** `MINIDJ_MAX_LIBRARY_GB`: the disk the library's audio may use; undefined when unset (no quota). */
export function libraryQuotaBytes(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const raw = env.MINIDJ_MAX_LIBRARY_GB?.trim();
  if (!raw) return undefined;
  const gb = Number(raw);
  if (!Number.isFinite(gb) || gb <= 0) throw new Error(`MINIDJ_MAX_LIBRARY_GB must be a number of gigabytes above 0, got "${raw}".`);
  return gb * 1e9;
}

/**
 * Makes room for `incoming` bytes under the quota: removes the least recently played tracks that no playlist holds
 * (their audio and their analysis), oldest first, and returns how many went. Refuses when even that is not enough.
 */
export async function makeRoom(deps: LibraryQuotaDeps, incoming: { hash: string; bytes: number }): Promise<number> {
  const kept = await deps.files.list();
  if (kept.some((k) => k.hash === incoming.hash)) return 0;
  let used = kept.reduce((sum, k) => sum + k.bytes, 0);
  if (used + incoming.bytes <= deps.maxBytes) return 0;
  const held = await deps.held();
  const evictable = kept.filter((k) => !held.has(k.hash)).sort((a, b) => a.lastPlayedMs - b.lastPlayedMs);
  const chosen: typeof evictable = [];
  for (const k of evictable) {
    if (used + incoming.bytes <= deps.maxBytes) break;
    chosen.push(k);
    used -= k.bytes;
  }
  if (used + incoming.bytes > deps.maxBytes) {
    throw new TrackStorageError(
      'disk-full',
      `The bot's music library is full (its quota is ${formatBytes(deps.maxBytes)}) and every track in it is waiting in a playlist, so this song was not added. Try again once some have played.`,
    );
  }
  for (const k of chosen) {
    await deps.analyses.delete(k.hash);
    await deps.files.remove(k.file);
  }
  deps.onEvicted?.(chosen.map((k) => ({ hash: k.hash, bytes: k.bytes })));
  return chosen.length;
}
