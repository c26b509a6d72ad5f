import { randomUUID } from 'node:crypto';
import { MAX_GUILD_DOWNLOADS, MAX_MEMBER_DOWNLOADS, RATE_WINDOW_MS } from '../../util/add-policy.ts';
import { isLivePending } from '../../db/held-tracks.ts';
import type { GuildState, GuildStore, PendingAdd, PlaylistEntry } from '../../db/guild-store.ts';
import { canControlSet, canRemoveEntry, isDj } from './permissions.ts';
import type { MemberInfo } from './permissions.ts';
import { isLink, linkKey } from './stored-link.ts';
import { displayTitle } from '../discord/track-title.ts';
import { withTrack } from '../../library/server-library.ts';

/** A refused operation: the message says why and what to do, and the stored state is unchanged. */
export interface Refusal {
  ok: false;
  message: string;
}

/** `previous`: the entry queued just before this one, if any. */
export type AddResult =
  { ok: true; message: string; position: number; entry: PlaylistEntry; previous?: PlaylistEntry } | Refusal;
export type ListResult = { ok: true; message: string; page: number; pages: number; total: number } | Refusal;
export type RemoveResult = { ok: true; message: string; entry: PlaylistEntry } | Refusal;
export type MoveResult = { ok: true; message: string; entry: PlaylistEntry; position: number } | Refusal;
export type ClearResult = { ok: true; message: string; removed: number } | Refusal;

function songs(n: number): string {
  return n === 1 ? '1 song' : `${n} songs`;
}

function refuse(message: string): { result: Refusal } {
  return { result: { ok: false, message } };
}

/** The entry at a 1-based position, or why there is none. */
function entryAt(playlist: PlaylistEntry[], position: number): PlaylistEntry | string {
  const entry = Number.isInteger(position) && position >= 1 ? playlist[position - 1] : undefined;
  if (entry) return entry;
  return playlist.length === 0
    ? `There is no song at position ${position}; the playlist is empty.`
    : `There is no song at position ${position}; the playlist has ${playlist.length}.`;
}

/**
 * Decides inside the guild's serialized update, so the check and the write see the same state. A decision without
 * `state` writes nothing.
 */
async function decide<R>(
  store: GuildStore,
  guildId: string,
  fn: (state: GuildState) => { state?: GuildState; result: R },
): Promise<R> {
  let decision: { state?: GuildState; result: R } | undefined;
  await store.update(guildId, (state) => {
    decision = fn(state);
    return decision.state ?? state;
  });
  if (!decision) throw new Error('guild update finished without a decision');
  return decision.result;
}

export { RESERVATION_LAPSE_MS, RESERVATION_RENEW_MS } from '../../db/held-tracks.ts';

export type ReserveResult = { ok: true; pending: PendingAdd } | Refusal;

/** The adds still inside the rate-limit window. */
function recentAdds(state: GuildState, nowMs: number): GuildState['recentAdds'] {
  return state.recentAdds.filter((a) => nowMs - Date.parse(a.at) < RATE_WINDOW_MS);
}

function livePending(state: GuildState, nowMs: number): PendingAdd[] {
  return state.pendingAdds.filter((p) => isLivePending(p, nowMs));
}

/** Why the member may not add one more song now (their waiting songs and adds a minute, downloads counted), if so. */
function overLimits(state: GuildState, member: MemberInfo, pending: PendingAdd[], nowMs: number): string | undefined {
  const { maxQueuePerMember, maxAddsPerMinute } = state.settings;
  const myPending = pending.filter((p) => p.requesterId === member.id);
  const own = state.playlist.filter((e) => e.requesterId === member.id).length + myPending.length;
  if (own >= maxQueuePerMember) {
    const pronoun = maxQueuePerMember === 1 ? 'it' : 'one';
    return `You already have ${songs(own)} waiting; remove ${pronoun} or wait until ${pronoun} plays.`;
  }
  const recent = recentAdds(state, nowMs);
  const mine = [...recent.filter((a) => a.requesterId === member.id), ...myPending]
    .map((a) => Date.parse(a.at))
    .sort((a, b) => a - b);
  if (mine.length >= maxAddsPerMinute) {
    // Allowed again once enough of the member's adds have left the window to drop below the limit.
    const freedAt = (mine[mine.length - maxAddsPerMinute] ?? nowMs) + RATE_WINDOW_MS;
    const seconds = Math.max(1, Math.ceil((freedAt - nowMs) / 1000));
    return `Slow down: at most ${songs(maxAddsPerMinute)} per minute. Try again in ${seconds} s.`;
  }
  return undefined;
}

/** The playlist with `entry` appended and the add counted, the track in the server library. */
function appended(
  state: GuildState,
  entry: PlaylistEntry,
  pending: PendingAdd[],
  countedAt: string,
  nowMs: number,
): { state: GuildState; result: AddResult } {
  const position = state.playlist.length + 1;
  const recent = recentAdds(state, nowMs);
  return {
    state: {
      ...state,
      playlist: [...state.playlist, entry],
      recentAdds: [...recent, { requesterId: entry.requesterId, at: countedAt }],
      pendingAdds: pending,
      library: withTrack(state.library, entry.hash),
    },
    result: {
      ok: true,
      message: `Added "${displayTitle(entry.title)}" at position ${position}.`,
      position,
      entry,
      ...(state.playlist.length > 0 ? { previous: state.playlist.at(-1)! } : {}),
    },
  };
}

function alreadyWaiting(state: GuildState, hash: string): Refusal | undefined {
  const at = state.playlist.findIndex((e) => e.hash === hash);
  const waiting = state.playlist[at];
  return waiting
    ? { ok: false, message: `"${displayTitle(waiting.title)}" is already in the playlist (position ${at + 1}).` }
    : undefined;
}

/** Adds a track that needs no download (already in the library), under the same limits. */
export function addToQueue(
  store: GuildStore,
  guildId: string,
  member: MemberInfo,
  track: { hash: string; title: string },
  now: Date,
): Promise<AddResult> {
  return decide<AddResult>(store, guildId, (state) => {
    const duplicate = alreadyWaiting(state, track.hash);
    if (duplicate) return { result: duplicate };
    const nowMs = now.getTime();
    const pending = livePending(state, nowMs);
    const refusal = overLimits(state, member, pending, nowMs);
    if (refusal) return refuse(refusal);
    const entry: PlaylistEntry = {
      id: randomUUID(),
      hash: track.hash,
      title: track.title,
      requesterId: member.id,
      addedAt: now.toISOString(),
    };
    return appended(state, entry, pending, entry.addedAt, nowMs);
  });
}

/**
 * Holds the member's place for a song still to be downloaded: every limit, a link already queued or being fetched,
 * and the downloads in flight (the member's and the server's) are checked before a byte is fetched. A refusal writes
 * nothing.
 */
export function reserveAdd(
  store: GuildStore,
  guildId: string,
  member: MemberInfo,
  source: string,
  now: Date,
): Promise<ReserveResult> {
  return decide<ReserveResult>(store, guildId, (state) => {
    const nowMs = now.getTime();
    const pending = livePending(state, nowMs);
    const key = linkKey(source);
    const queued = state.playlist.findIndex((e) => isLink(e.source, source, key));
    if (queued >= 0) return refuse(`That song is already in the playlist (position ${queued + 1}).`);
    if (pending.some((p) => isLink(p.source, source, key))) return refuse('That song is already being added.');
    const refusal = overLimits(state, member, pending, nowMs);
    if (refusal) return refuse(refusal);
    const mine = pending.filter((p) => p.requesterId === member.id).length;
    if (mine >= MAX_MEMBER_DOWNLOADS)
      return refuse(`You already have ${songs(mine)} downloading; wait until one is added.`);
    if (pending.length >= MAX_GUILD_DOWNLOADS)
      return refuse(`${songs(pending.length)} are downloading for this server right now; try again in a minute.`);
    const held: PendingAdd = { id: randomUUID(), requesterId: member.id, source: key, at: now.toISOString() };
    return { state: { ...state, pendingAdds: [...pending, held] }, result: { ok: true, pending: held } };
  });
}

/** Turns a reservation into a playlist entry once its track is analysed (a reservation that expired is checked anew). */
export function completeAdd(
  store: GuildStore,
  guildId: string,
  member: MemberInfo,
  pendingId: string,
  track: { hash: string; title: string },
  now: Date,
): Promise<AddResult> {
  return decide<AddResult>(store, guildId, (state) => {
    const nowMs = now.getTime();
    const held = state.pendingAdds.find((p) => p.id === pendingId);
    const pending = livePending(state, nowMs).filter((p) => p.id !== pendingId);
    const library = withTrack(state.library, track.hash);
    const duplicate = alreadyWaiting(state, track.hash);
    if (duplicate) return { state: { ...state, pendingAdds: pending, library }, result: duplicate };
    if (!held) {
      const refusal = overLimits(state, member, pending, nowMs);
      if (refusal)
        return { state: { ...state, pendingAdds: pending, library }, result: { ok: false, message: refusal } };
    }
    const entry: PlaylistEntry = {
      id: randomUUID(),
      hash: track.hash,
      title: track.title,
      requesterId: member.id,
      addedAt: now.toISOString(),
      ...(held ? { source: held.source } : {}),
    };
    return appended(state, entry, pending, held?.at ?? entry.addedAt, nowMs);
  });
}

/** Says these reservations' jobs still run: they hold their places another RESERVATION_LAPSE_MS. */
export async function renewAdds(
  store: GuildStore,
  guildId: string,
  ids: ReadonlySet<string>,
  now: Date,
): Promise<void> {
  const renewedAt = now.toISOString();
  await store.update(guildId, (state) => ({
    ...state,
    pendingAdds: state.pendingAdds.map((p) => (ids.has(p.id) ? { ...p, renewedAt } : p)),
  }));
}

/** Gives a reservation's place back (its download or analysis failed). */
export async function releaseAdd(store: GuildStore, guildId: string, pendingId: string): Promise<void> {
  await store.update(guildId, (state) => ({
    ...state,
    pendingAdds: state.pendingAdds.filter((p) => p.id !== pendingId),
  }));
}

export function removeFromQueue(
  store: GuildStore,
  guildId: string,
  member: MemberInfo,
  position: number,
): Promise<RemoveResult> {
  return decide<RemoveResult>(store, guildId, (state) => {
    const entry = entryAt(state.playlist, position);
    if (typeof entry === 'string') return refuse(entry);
    if (!canRemoveEntry(member, entry, state)) {
      return refuse("You can only remove your own songs; removing others' needs the DJ role or Manage Server.");
    }
    return {
      state: { ...state, playlist: state.playlist.filter((e) => e.id !== entry.id) },
      result: { ok: true, message: `Removed "${displayTitle(entry.title)}" (position ${position}).`, entry },
    };
  });
}

export function moveInQueue(
  store: GuildStore,
  guildId: string,
  member: MemberInfo,
  from: number,
  to: number,
): Promise<MoveResult> {
  return decide<MoveResult>(store, guildId, (state) => {
    const entry = entryAt(state.playlist, from);
    if (typeof entry === 'string') return refuse(entry);
    const target = entryAt(state.playlist, to);
    if (typeof target === 'string') return refuse(target);
    if (entry.requesterId !== member.id && !canControlSet(member, state)) {
      return refuse("You can only move your own songs; moving others' needs the DJ role or Manage Server.");
    }
    const jumped = to < from ? state.playlist.slice(to - 1, from - 1) : [];
    if (jumped.some((e) => e.requesterId !== entry.requesterId) && !isDj(member, state)) {
      return refuse(
        "You can move a song ahead of your own songs only; moving it ahead of others' needs the DJ role or Manage Server.",
      );
    }
    if (from === to)
      return {
        result: {
          ok: true,
          message: `"${displayTitle(entry.title)}" is already at position ${to}.`,
          entry,
          position: to,
        },
      };
    const playlist = state.playlist.filter((e) => e.id !== entry.id);
    playlist.splice(to - 1, 0, entry);
    return {
      state: { ...state, playlist },
      result: {
        ok: true,
        message: `Moved "${displayTitle(entry.title)}" from position ${from} to position ${to}.`,
        entry,
        position: to,
      },
    };
  });
}

export function clearQueue(store: GuildStore, guildId: string, member: MemberInfo): Promise<ClearResult> {
  return decide<ClearResult>(store, guildId, (state) => {
    if (!canControlSet(member, state)) return refuse('Clearing the playlist needs the DJ role or Manage Server.');
    const removed = state.playlist.length;
    if (removed === 0) return refuse('The playlist is already empty.');
    return {
      state: { ...state, playlist: [] },
      result: { ok: true, message: `Cleared the playlist: removed ${songs(removed)}.`, removed },
    };
  });
}
