import type { LibraryEntry } from '../ai/suggest.ts';
import { describeTrack } from '../ai/track-descriptor.ts';
import type { AnalysisStore, StoredAnalysis } from '../db/analysis-store.ts';
import { camelotRelationOfCodes } from '../audio/music/camelot-relation.ts';
import type { HarmonicRelation } from '../audio/music/camelot-relation.ts';
import { CANDIDATE_LIMIT, libraryTitle, tempoDistance } from '../db/library-index.ts';
import type { IndexedTrack } from '../db/library-index.ts';

export { libraryTitle };

/*
 * A server's library: the analysed tracks its members added, and the shared library; another server's uploads are
 * never in it. Every read goes to the library index (analyses.library), which answers without loading analyses;
 * only the tracks a reader needs are loaded.
 */

/** The analyses of these hashes that are still stored, in the same order. */
async function recordsOf(analyses: AnalysisStore, hashes: readonly string[]): Promise<StoredAnalysis[]> {
  return (await analyses.getMany(hashes)).filter((r): r is StoredAnalysis => r !== undefined);
}

/** Pages of the whole library (or the shared library alone), by hash: for the few readers that need all of it. */
export async function* libraryPages(analyses: AnalysisStore, guildId: string, options: { sharedOnly?: boolean; pageSize?: number } = {}): AsyncGenerator<StoredAnalysis[]> {
  const size = options.pageSize ?? 500;
  let after: string | undefined;
  for (;;) {
    const page = await analyses.library.page(guildId, after, size, options.sharedOnly ?? false);
    if (page.length === 0) return;
    yield await recordsOf(analyses, page.map((t) => t.hash));
    after = page.at(-1)!.hash;
  }
}

/** The stored track when this server may see it (its own library or the shared one). */
export async function libraryTrack(analyses: AnalysisStore, guildId: string, hash: string): Promise<StoredAnalysis | undefined> {
  if (!(await analyses.library.visible(guildId, [hash])).has(hash)) return undefined;
  return analyses.get(hash);
}

/**
 * A track by title (exact, case-insensitive), content-hash prefix (at least 6 hex digits), or a title fragment that
 * matches only one track. Undefined when nothing (or more than one track) matches.
 */
export async function findTrack(analyses: AnalysisStore, guildId: string, query: string): Promise<StoredAnalysis | undefined> {
  const found = await analyses.library.find(guildId, query);
  return found && analyses.get(found.hash);
}

/** Whether the server sees at least `n` tracks. */
export async function hasTracks(analyses: AnalysisStore, guildId: string, n: number): Promise<boolean> {
  return (await analyses.library.page(guildId, undefined, n)).length >= n;
}

/** How far a key move is, in the units of tempoDistance (a neighbouring key weighs as 1 % of stretch). */
const KEY_COST: Record<HarmonicRelation, number> = { same: 0, relative: 0.01, adjacent: 0.01, diagonal: 0.025, boost: 0.03, clash: 0.05 };

/** Tempo rows nearest `from` are read; the best of them by tempo and key are loaded and scored. */
const CANDIDATE_POOL = 4;

/**
 * The tracks worth scoring after `from`: read from the index, nearest in tempo (half and double time counted), then
 * the `limit` best by tempo and key together; only their analyses are loaded. Never those in `exclude`.
 */
export async function tempoCandidates(analyses: AnalysisStore, guildId: string, from: { bpm: number; camelot: string }, exclude: ReadonlySet<string> = new Set(), limit = CANDIDATE_LIMIT): Promise<StoredAnalysis[]> {
  const rows = await analyses.library.candidates(guildId, from.bpm, limit * CANDIDATE_POOL, exclude);
  const cost = (r: IndexedTrack) => tempoDistance(r.bpm, from.bpm) + (r.camelot && from.camelot ? KEY_COST[camelotRelationOfCodes(from.camelot, r.camelot)] : 0.05);
  const best = rows.map((r) => ({ r, c: cost(r) })).sort((a, b) => a.c - b.c || a.r.hash.localeCompare(b.r.hash)).slice(0, limit);
  return recordsOf(analyses, best.map(({ r }) => r.hash));
}

export function toLibraryEntry(record: StoredAnalysis): LibraryEntry {
  return { id: record.hash, title: libraryTitle(record), descriptor: describeTrack(record.analysis) };
}
