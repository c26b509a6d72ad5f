import { suggestNext } from '../ai/suggest.ts';
import { describeTrack } from '../ai/track-descriptor.ts';
import type { MixScorer } from '../ai/mix-scorer.ts';
import { orderTracks } from '../ai/order-tracks.ts';
import type { PlannedTrack } from '../audio/transition/transition-plan.ts';
import type { AnalysisStore, StoredAnalysis } from '../db/analysis-store.ts';
import type { GuildState, PlaylistEntry } from '../db/guild-store.ts';
import type { TrackFiles } from '../db/track-files.ts';
import { libraryPages, libraryTitle, tempoCandidates, toLibraryEntry } from './server-library.ts';
import type { OrderMode } from '../audio/set/order-mode.ts';

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
/** Library picks avoid this many of the most recently played tracks (fewer in a small library). */
const RECENT_AVOID = 20;

export async function liveTrackOf(record: StoredAnalysis, files: TrackFiles, entry?: PlaylistEntry): Promise<LiveTrack | undefined> {
  if (!(await files.has(record.hash, record.sourceName))) return undefined;
  return {
    id: record.hash,
    hash: record.hash,
    file: files.pathFor(record.hash, record.sourceName),
    title: entry?.title ?? libraryTitle(record),
    analysis: record.analysis,
    ...(entry ? { entry } : {}),
    ...(record.tags?.artist ? { artist: record.tags.artist } : {}),
  };
}

/** How many tracks queued after `entry` have already played before it. */
function passedOver(entry: PlaylistEntry, history: GuildState['history']): number {
  return history.filter((h) => h.playedAt > entry.addedAt && h.addedAt !== undefined && h.addedAt > entry.addedAt).length;
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
 * What plays after `current`: the playlist first — its head in queue order; in smart order the best mix under the
 * set-order fairness rules, and never a track passed over MAX_PASSED_OVER times — then, when the playlist is empty,
 * the library track that mixes best and was not played recently, so the set never runs dry. Reads only.
 */
export async function pickNextTrack(state: GuildState, current: LiveTrack | undefined, order: OrderMode, deps: NextTrackDeps): Promise<NextPick> {
  const guildId = state.guildId;
  const index = deps.analyses.library;
  const queued = [...new Set(state.playlist.map((e) => e.hash))];
  const visible = await index.visible(guildId, queued);
  const records = await deps.analyses.getMany(queued);
  const byHash = new Map(queued.flatMap((h, i) => (visible.has(h) && records[i] ? [[h, records[i]] as const] : [])));
  const unplayable: PlaylistEntry[] = [];
  const waiting: LiveTrack[] = [];
  for (const entry of state.playlist) {
    // Never the same song twice in a row (also guards an entry whose start is still being saved).
    if (current && (entry.id === current.entry?.id || entry.hash === current.hash)) continue;
    if (waiting.some((t) => t.hash === entry.hash)) continue;
    const record = byHash.get(entry.hash);
    const track = record ? await liveTrackOf(record, deps.files, entry) : undefined;
    if (track) waiting.push(track);
    else unplayable.push(entry);
  }
  if (waiting.length > 0) return { track: await pickFromPlaylist(waiting, state, current, order, deps), unplayable };

  // The library, queried: only the tracks nearest in tempo are loaded and scored.
  const small = await index.page(guildId, undefined, RECENT_AVOID + 2);
  const avoid = Math.min(RECENT_AVOID, Math.max(0, small.length - 2));
  const recent = new Set(avoid > 0 ? state.history.slice(-avoid).map((h) => h.hash) : []);
  if (current) recent.add(current.hash);
  if (!current) {
    for await (const page of libraryPages(deps.analyses, guildId)) {
      const track = await firstPlayable(page.filter((r) => !recent.has(r.hash)), deps.files);
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

async function firstPlayable(records: StoredAnalysis[], files: TrackFiles): Promise<LiveTrack | undefined> {
  for (const record of records) {
    const track = await liveTrackOf(record, files);
    if (track) return track;
  }
  return undefined;
}

async function pickFromPlaylist(waiting: LiveTrack[], state: GuildState, current: LiveTrack | undefined, order: OrderMode, deps: NextTrackDeps): Promise<LiveTrack> {
  const overdue = waiting.find((t) => passedOver(t.entry!, state.history) >= MAX_PASSED_OVER);
  if (order === 'queue' || waiting.length === 1 || overdue) return overdue ?? waiting[0]!;
  const ordered = await orderTracks(waiting, await deps.scorer(), 'smart', { requesters: waiting.map((t) => t.entry!.requesterId), ...(current ? { current } : {}) });
  return ordered.tracks[0]!;
}
