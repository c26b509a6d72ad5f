import path from 'node:path';
import type { LibraryEntry } from '../ai/suggest.ts';
import { describeTrack } from '../ai/track-descriptor.ts';
import type { AnalysisStore, StoredAnalysis } from '../db/analysis-store.ts';
import type { GuildState } from '../db/guild-store.ts';

/** The title a stored track is shown under: the name it was first seen as, without the extension. */
export function libraryTitle(record: StoredAnalysis): string {
  const ext = path.extname(record.sourceName);
  return ext && ext !== record.sourceName ? record.sourceName.slice(0, -ext.length) : record.sourceName;
}

/**
 * The server's library, in a stable order: the analysed tracks its members added, and the shared library. Another
 * server's uploads are never in it.
 */
export async function loadLibrary(analyses: AnalysisStore, state: Pick<GuildState, 'library'>): Promise<StoredAnalysis[]> {
  const hashes = [...new Set([...state.library, ...(await analyses.sharedHashes())])];
  const records = (await analyses.getMany(hashes)).filter((r): r is StoredAnalysis => r !== undefined);
  return records.sort((a, b) => a.hash.localeCompare(b.hash));
}

/** The stored track when this server may see it (its own library or the shared one). */
export async function libraryTrack(analyses: AnalysisStore, state: Pick<GuildState, 'library'>, hash: string): Promise<StoredAnalysis | undefined> {
  if (!state.library.includes(hash) && !(await analyses.sharedHashes()).includes(hash)) return undefined;
  return analyses.get(hash);
}

export function toLibraryEntry(record: StoredAnalysis): LibraryEntry {
  return { id: record.hash, title: libraryTitle(record), descriptor: describeTrack(record.analysis) };
}

const MIN_HASH_PREFIX = 6;

/**
 * A track by title (exact, case-insensitive), content-hash prefix (at least 6 hex digits), or a title fragment that
 * matches only one track. Undefined when nothing (or more than one track) matches.
 */
export function findTrack(library: readonly StoredAnalysis[], query: string): StoredAnalysis | undefined {
  const q = query.trim().toLowerCase();
  if (q === '') return undefined;
  const exact = library.filter((r) => libraryTitle(r).toLowerCase() === q);
  if (exact.length >= 1) return exact[0];
  if (q.length >= MIN_HASH_PREFIX && /^[0-9a-f]+$/.test(q)) {
    const byHash = library.filter((r) => r.hash.startsWith(q));
    if (byHash.length === 1) return byHash[0];
  }
  const partial = library.filter((r) => libraryTitle(r).toLowerCase().includes(q));
  return partial.length === 1 ? partial[0] : undefined;
}
