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

/** A stored track as one server sees it: under the title its row has there (never another server's name for it). */
export type ServerTrack = StoredAnalysis & { title: string };

/** The analyses of these rows that are still stored, in the same order, each with its row's title. */
async function recordsOf(
  analyses: AnalysisStore,
  rows: readonly Pick<IndexedTrack, 'hash' | 'title'>[],
): Promise<ServerTrack[]> {
  const records = await analyses.getMany(rows.map((r) => r.hash));
  return records.flatMap((r, i) => (r ? [{ ...r, title: rows[i]!.title }] : []));
}

/** Pages of the whole library (or the shared library alone), by hash: for the few readers that need all of it. */
export async function* libraryPages(
  analyses: AnalysisStore,
  guildId: string,
  options: { sharedOnly?: boolean; pageSize?: number } = {},
): AsyncGenerator<ServerTrack[]> {
  const size = options.pageSize ?? 500;
  let after: string | undefined;
  for (;;) {
    const page = await analyses.library.page(guildId, after, size, options.sharedOnly ?? false);
    if (page.length === 0) return;
    yield await recordsOf(analyses, page);
    after = page.at(-1)!.hash;
  }
}

/** The stored track when this server may see it (its own library or the shared one). */
export async function libraryTrack(
  analyses: AnalysisStore,
  guildId: string,
  hash: string,
): Promise<ServerTrack | undefined> {
  const title = (await analyses.library.titles(guildId, [hash])).get(hash);
  return title === undefined ? undefined : (await recordsOf(analyses, [{ hash, title }]))[0];
}

/**
 * A track by title (exact, case-insensitive), content-hash prefix (at least 6 hex digits), or a title fragment that
 * matches only one track. Undefined when nothing (or more than one track) matches.
 */
export async function findTrack(
  analyses: AnalysisStore,
  guildId: string,
  query: string,
): Promise<ServerTrack | undefined> {
  const found = await analyses.library.find(guildId, query);
  return found && (await recordsOf(analyses, [found]))[0];
}

/** Whether the server sees at least `n` tracks. */
export async function hasTracks(analyses: AnalysisStore, guildId: string, n: number): Promise<boolean> {
  return (await analyses.library.page(guildId, undefined, n)).length >= n;
}

/** How far a key move is, in the units of tempoDistance (a neighbouring key weighs as 1 % of stretch). */
const KEY_COST: Record<HarmonicRelation, number> = {
  same: 0,
  relative: 0.01,
  adjacent: 0.01,
  diagonal: 0.025,
  boost: 0.03,
  clash: 0.05,
};

/** Tempo rows nearest `from` are read; the best of them by tempo and key are loaded and scored. */
const CANDIDATE_POOL = 4;

/**
 * The tracks worth scoring after `from`: read from the index, nearest in tempo (half and double time counted), then
 * the `limit` best by tempo and key together; only their analyses are loaded. Never those in `exclude`.
 */
export async function tempoCandidates(
  analyses: AnalysisStore,
  guildId: string,
  from: { bpm: number; camelot: string },
  exclude: ReadonlySet<string> = new Set(),
  limit = CANDIDATE_LIMIT,
): Promise<ServerTrack[]> {
  const rows = await analyses.library.candidates(guildId, from.bpm, limit * CANDIDATE_POOL, exclude);
  const cost = (r: IndexedTrack) =>
    tempoDistance(r.bpm, from.bpm) +
    (r.camelot && from.camelot ? KEY_COST[camelotRelationOfCodes(from.camelot, r.camelot)] : 0.05);
  const best = rows
    .map((r) => ({ r, c: cost(r) }))
    .sort((a, b) => a.c - b.c || a.r.hash.localeCompare(b.r.hash))
    .slice(0, limit);
  return recordsOf(
    analyses,
    best.map(({ r }) => r),
  );
}

/** A server's library (the hashes of its guild state's `library`) with `hash` in it. */
export function withTrack(library: string[], hash: string): string[] {
  return library.includes(hash) ? library : [...library, hash];
}

/** A track as `suggestNext` takes it: under this server's title for it (without one, its record's own). */
export function toLibraryEntry(track: StoredAnalysis & { title?: string }): LibraryEntry {
  return { id: track.hash, title: track.title ?? libraryTitle(track), descriptor: describeTrack(track.analysis) };
}
