import { suggestNext } from '../../ai/suggest.ts';
import { describeTrack } from '../../ai/track-descriptor.ts';
import type { MixScorer } from '../../ai/mix-scorer.ts';
import { orderTracks } from '../../ai/order-tracks.ts';
import type { PlannedTrack } from '../../audio/transition/transition-plan.ts';
import type { AnalysisStore, StoredAnalysis } from '../../db/analysis-store.ts';
import type { GuildState, PlaylistEntry } from '../../db/guild-store.ts';
import type { TrackFiles } from '../../db/track-files.ts';
import { libraryPages, libraryTitle, tempoCandidates, toLibraryEntry } from '../../library/server-library.ts';
import type { ServerTrack } from '../../library/server-library.ts';
import type { OrderMode } from '../../audio/set/order-mode.ts';

/** A track the live set can play: its audio, analysis and, when it came from the playlist, the entry. */
export interface LiveTrack extends PlannedTrack {
  /** Content hash (also `id`). */
  hash: string;
  entry?: PlaylistEntry;
  /** From the file's tags, when it has them. */
  artist?: string;
}

/** A waiting entry is played next, whatever mixes best, once this many later-queued tracks have played before it. */
export const MAX_PASSED_OVER = 8;
/**
 * The smart pick orders the first this many playable waiting tracks (in queue order), not the whole playlist, so its
 * cost does not grow with the playlist: only the first MAX_PASSED_OVER + 1 may take the next slot, and four times
 * that is as far as the order beyond them still changes which does (bench:stall compares the picks with the
 * whole-playlist order's).
 */
export const SMART_WINDOW = 4 * (MAX_PASSED_OVER + 1);
/** Library picks avoid this many of the most recently played tracks (fewer in a small library). */
const RECENT_AVOID = 20;

/**
 * A track the set can play: `record` under this server's title for it (its playlist entry's, or its library row's;
 * without one, its record's own).
 */
export async function liveTrackOf(
  record: StoredAnalysis & { title?: string },
  files: TrackFiles,
  entry?: PlaylistEntry,
): Promise<LiveTrack | undefined> {
  if (!(await files.has(record.hash, record.sourceName))) return undefined;
  return {
    id: record.hash,
    hash: record.hash,
    file: files.pathFor(record.hash, record.sourceName),
    title: entry?.title ?? record.title ?? libraryTitle(record),
    analysis: record.analysis,
    ...(entry ? { entry } : {}),
    ...(record.tags?.artist ? { artist: record.tags.artist } : {}),
  };
}

/**
 * The waiting entries that tracks queued after them have passed over MAX_PASSED_OVER times or more, in playlist
 * order. A history entry passed `entry` over when it was both queued and played after `entry` was queued, that is
 * when the earlier of the two times is later: counted by binary search, not history × playlist.
 */
function overdueEntries(entries: readonly PlaylistEntry[], history: GuildState['history']): PlaylistEntry[] {
  const passers = history
    .flatMap((h) => (h.addedAt === undefined ? [] : [h.playedAt < h.addedAt ? h.playedAt : h.addedAt]))
    .sort();
  return entries.filter((entry) => passers.length - firstAfter(passers, entry.addedAt) >= MAX_PASSED_OVER);
}

/** Index of the first of the sorted `values` after `t`. */
function firstAfter(values: readonly string[], t: string): number {
  let lo = 0;
  let hi = values.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (values[mid]! > t) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

export interface NextTrackDeps {
  analyses: AnalysisStore;
  files: TrackFiles;
  scorer: () => Promise<MixScorer>;
}

export interface NextPick {
  track?: LiveTrack;
  /** Playlist entries that cannot be played (analysis or audio gone), for the caller to remove and report. */
  unplayable: PlaylistEntry[];
}

/**
 * Playlist entries made playable tracks a few at a time, each looked up once: only as many entries are looked at and
 * analyses loaded as the pick needs, however long the playlist. Entries whose analysis or audio is gone are collected
 * as unplayable.
 */
class WaitingTracks {
  readonly unplayable: PlaylistEntry[] = [];
  private readonly resolved = new Map<string, LiveTrack | undefined>();
  private readonly guildId: string;
  private readonly deps: NextTrackDeps;
  private readonly current: LiveTrack | undefined;

  constructor(guildId: string, deps: NextTrackDeps, current: LiveTrack | undefined) {
    this.guildId = guildId;
    this.deps = deps;
    this.current = current;
  }

  /** The first `count` playable tracks of `entries`, in order (fewer when there are no more): one per track, never the one playing. */
  async first(entries: readonly PlaylistEntry[], count: number): Promise<LiveTrack[]> {
    const tracks: LiveTrack[] = [];
    const taken = new Set<string>();
    for (let at = 0; at < entries.length && tracks.length < count;) {
      const chunk: PlaylistEntry[] = [];
      for (; at < entries.length && chunk.length < count - tracks.length; at++) {
        const entry = entries[at]!;
        // Never the same song twice in a row (also guards an entry whose start is still being saved).
        if (this.current && (entry.id === this.current.entry?.id || entry.hash === this.current.hash)) continue;
        if (taken.has(entry.hash)) continue;
        taken.add(entry.hash);
        chunk.push(entry);
      }
      await this.resolve(chunk.filter((e) => !this.resolved.has(e.id)));
      for (const entry of chunk) {
        const track = this.resolved.get(entry.id);
        if (track) tracks.push(track);
      }
    }
    return tracks;
  }

  private async resolve(entries: readonly PlaylistEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const hashes = entries.map((e) => e.hash);
    const visible = await this.deps.analyses.library.visible(this.guildId, hashes);
    const records = await this.deps.analyses.getMany(hashes);
    const tracks = await Promise.all(
      entries.map((entry, i) => {
        const record = visible.has(entry.hash) ? records[i] : undefined;
        return record ? liveTrackOf(record, this.deps.files, entry) : undefined;
      }),
    );
    entries.forEach((entry, i) => {
      this.resolved.set(entry.id, tracks[i]);
      if (!tracks[i]) this.unplayable.push(entry);
    });
  }
}

/**
 * What plays after `current`: the playlist first — its head in queue order; in smart order the best mix under the
 * set-order fairness rules among the first SMART_WINDOW waiting tracks, and never a track passed over
 * MAX_PASSED_OVER times — then, when the playlist is empty, the library track that mixes best and was not played
 * recently, so the set never runs dry. Reads only. `unplayable` lists the entries found unplayable on the way (the
 * ones looked at: a broken entry deeper in the playlist is found when the pick reaches it).
 */
export async function pickNextTrack(
  state: GuildState,
  current: LiveTrack | undefined,
  order: OrderMode,
  deps: NextTrackDeps,
): Promise<NextPick> {
  const guildId = state.guildId;
  const index = deps.analyses.library;
  const waiting = new WaitingTracks(guildId, deps, current);
  const unplayable = waiting.unplayable;
  const [overdue] = await waiting.first(overdueEntries(state.playlist, state.history), 1);
  if (overdue) return { track: overdue, unplayable };
  const window = await waiting.first(state.playlist, order === 'queue' ? 1 : SMART_WINDOW);
  if (window.length > 0)
    return { track: await pickFromWindow(window, state.playlist.length, current, order, deps), unplayable };

  // The library, queried: only the tracks nearest in tempo are loaded and scored.
  const small = await index.page(guildId, undefined, RECENT_AVOID + 2);
  const avoid = Math.min(RECENT_AVOID, Math.max(0, small.length - 2));
  const recent = new Set(avoid > 0 ? state.history.slice(-avoid).map((h) => h.hash) : []);
  if (current) recent.add(current.hash);
  if (!current) {
    for await (const page of libraryPages(deps.analyses, guildId)) {
      const track = await firstPlayable(
        page.filter((r) => !recent.has(r.hash)),
        deps.files,
      );
      if (track) return { track, unplayable };
    }
    return { unplayable };
  }
  const candidates = await tempoCandidates(deps.analyses, guildId, current.analysis, recent);
  if (candidates.length === 0) return { unplayable };
  const candidateByHash = new Map(candidates.map((r) => [r.hash, r]));
  const from = { id: current.hash, title: current.title, descriptor: describeTrack(current.analysis) };
  const ranked = await suggestNext(await deps.scorer(), from, candidates.map(toLibraryEntry), candidates.length);
  const ordered = ranked.map((s) => candidateByHash.get(s.id)!);
  return { track: await firstPlayable(ordered, deps.files), unplayable };
}

async function firstPlayable(records: ServerTrack[], files: TrackFiles): Promise<LiveTrack | undefined> {
  for (const record of records) {
    const track = await liveTrackOf(record, files);
    if (track) return track;
  }
  return undefined;
}

/** The window's best next track: the smart order of the window as the first slots of the whole waiting list. */
async function pickFromWindow(
  window: LiveTrack[],
  waitingCount: number,
  current: LiveTrack | undefined,
  order: OrderMode,
  deps: NextTrackDeps,
): Promise<LiveTrack> {
  if (order === 'queue' || window.length === 1) return window[0]!;
  const ordered = await orderTracks(window, await deps.scorer(), 'smart', {
    requesters: window.map((t) => t.entry!.requesterId),
    setLength: Math.max(window.length, waitingCount),
    ...(current ? { current } : {}),
  });
  return ordered.tracks[0]!;
}
