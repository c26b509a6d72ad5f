// The baseline of bench:stall: the live set's pick from the playlist as it was before the smart window (kept here
// as it was, for the same-run comparison): every waiting track's analysis loaded, and in smart order every pair of
// them scored (orderTracks over the whole playlist), on the main thread.
import { orderTracks } from '../src/ai/order-tracks.ts';
import type { OrderMode } from '../src/audio/set/order-mode.ts';
import type { GuildState, PlaylistEntry } from '../src/db/guild-store.ts';
import { liveTrackOf, MAX_PASSED_OVER } from '../src/bot/playlist/next-track.ts';
import type { LiveTrack, NextTrackDeps } from '../src/bot/playlist/next-track.ts';

function passedOver(entry: PlaylistEntry, history: GuildState['history']): number {
  return history.filter((h) => h.playedAt > entry.addedAt && h.addedAt !== undefined && h.addedAt > entry.addedAt)
    .length;
}

/** The old pickNextTrack's playlist part (the bench's playlists never run dry). */
export async function oldPickFromPlaylist(
  state: GuildState,
  current: LiveTrack | undefined,
  order: OrderMode,
  deps: NextTrackDeps,
): Promise<LiveTrack | undefined> {
  const queued = [...new Set(state.playlist.map((e) => e.hash))];
  const visible = await deps.analyses.library.visible(state.guildId, queued);
  const records = await deps.analyses.getMany(queued);
  const byHash = new Map(queued.flatMap((h, i) => (visible.has(h) && records[i] ? [[h, records[i]] as const] : [])));
  const waiting: LiveTrack[] = [];
  for (const entry of state.playlist) {
    if (current && (entry.id === current.entry?.id || entry.hash === current.hash)) continue;
    if (waiting.some((t) => t.hash === entry.hash)) continue;
    const record = byHash.get(entry.hash);
    const track = record ? await liveTrackOf(record, deps.files, entry) : undefined;
    if (track) waiting.push(track);
  }
  if (waiting.length === 0) return undefined;
  const overdue = waiting.find((t) => passedOver(t.entry!, state.history) >= MAX_PASSED_OVER);
  if (order === 'queue' || waiting.length === 1 || overdue) return overdue ?? waiting[0]!;
  const ordered = await orderTracks(waiting, await deps.scorer(), 'smart', {
    requesters: waiting.map((t) => t.entry!.requesterId),
    ...(current ? { current } : {}),
  });
  return ordered.tracks[0]!;
}
