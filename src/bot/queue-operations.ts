import { randomUUID } from 'node:crypto';
import type { GuildState, GuildStore, PlaylistEntry } from '../db/guild-store.ts';
import { canControlSet, canRemoveEntry } from './permissions.ts';
import type { MemberInfo } from './permissions.ts';

/** A refused operation: the message says why and what to do, and the stored state is unchanged. */
export interface Refusal {
  ok: false;
  message: string;
}

/** `previous`: the entry queued just before this one, if any. */
export type AddResult = { ok: true; message: string; position: number; entry: PlaylistEntry; previous?: PlaylistEntry } | Refusal;
export type ListResult = { ok: true; message: string; page: number; pages: number; total: number } | Refusal;
export type RemoveResult = { ok: true; message: string; entry: PlaylistEntry } | Refusal;
export type MoveResult = { ok: true; message: string; entry: PlaylistEntry; position: number } | Refusal;
export type ClearResult = { ok: true; message: string; removed: number } | Refusal;

const RATE_WINDOW_MS = 60_000;

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
async function decide<R>(store: GuildStore, guildId: string, fn: (state: GuildState) => { state?: GuildState; result: R }): Promise<R> {
  let decision: { state?: GuildState; result: R } | undefined;
  await store.update(guildId, (state) => {
    decision = fn(state);
    return decision.state ?? state;
  });
  if (!decision) throw new Error('guild update finished without a decision');
  return decision.result;
}

export function addToQueue(store: GuildStore, guildId: string, member: MemberInfo, track: { hash: string; title: string }, now: Date): Promise<AddResult> {
  return decide<AddResult>(store, guildId, (state) => {
    const { maxQueuePerMember, maxAddsPerMinute } = state.settings;
    const waitingAt = state.playlist.findIndex((e) => e.hash === track.hash);
    const waiting = state.playlist[waitingAt];
    if (waiting) return refuse(`"${waiting.title}" is already in the playlist (position ${waitingAt + 1}).`);

    const own = state.playlist.filter((e) => e.requesterId === member.id).length;
    if (own >= maxQueuePerMember) {
      const pronoun = maxQueuePerMember === 1 ? 'it' : 'one';
      return refuse(`You already have ${songs(own)} waiting; remove ${pronoun} or wait until ${pronoun} plays.`);
    }

    const nowMs = now.getTime();
    const recent = state.recentAdds.filter((a) => nowMs - Date.parse(a.at) < RATE_WINDOW_MS);
    const mine = recent.filter((a) => a.requesterId === member.id).map((a) => Date.parse(a.at)).sort((a, b) => a - b);
    if (mine.length >= maxAddsPerMinute) {
      // Allowed again once enough of the member's adds have left the window to drop below the limit.
      const freedAt = (mine[mine.length - maxAddsPerMinute] ?? nowMs) + RATE_WINDOW_MS;
      const seconds = Math.max(1, Math.ceil((freedAt - nowMs) / 1000));
      return refuse(`Slow down: at most ${songs(maxAddsPerMinute)} per minute. Try again in ${seconds} s.`);
    }

    const entry: PlaylistEntry = { id: randomUUID(), hash: track.hash, title: track.title, requesterId: member.id, addedAt: now.toISOString() };
    const position = state.playlist.length + 1;
    return {
      state: { ...state, playlist: [...state.playlist, entry], recentAdds: [...recent, { requesterId: member.id, at: entry.addedAt }] },
      result: { ok: true, message: `Added "${entry.title}" at position ${position}.`, position, entry, ...(state.playlist.length > 0 ? { previous: state.playlist.at(-1)! } : {}) },
    };
  });
}

export async function listQueue(store: GuildStore, guildId: string, page: number, pageSize = 10): Promise<ListResult> {
  const { playlist } = await store.get(guildId);
  if (playlist.length === 0) {
    return { ok: true, message: 'The playlist is empty. Add a song with /queue add.', page: 1, pages: 0, total: 0 };
  }
  const pages = Math.ceil(playlist.length / pageSize);
  if (!Number.isInteger(page) || page < 1 || page > pages) {
    const which = pages === 1 ? 'only page 1' : `pages 1–${pages}`;
    return { ok: false, message: `There is no page ${page}; the playlist has ${which}.` };
  }
  const start = (page - 1) * pageSize;
  const lines = playlist.slice(start, start + pageSize).map((e, i) => `${start + i + 1}. ${e.title} — <@${e.requesterId}>`);
  const message = [`Playlist (${songs(playlist.length)}):`, ...lines, `Page ${page}/${pages}`].join('\n');
  return { ok: true, message, page, pages, total: playlist.length };
}

export function removeFromQueue(store: GuildStore, guildId: string, member: MemberInfo, position: number): Promise<RemoveResult> {
  return decide<RemoveResult>(store, guildId, (state) => {
    const entry = entryAt(state.playlist, position);
    if (typeof entry === 'string') return refuse(entry);
    if (!canRemoveEntry(member, entry, state)) {
      return refuse("You can only remove your own songs; removing others' needs the DJ role or Manage Server.");
    }
    return {
      state: { ...state, playlist: state.playlist.filter((e) => e.id !== entry.id) },
      result: { ok: true, message: `Removed "${entry.title}" (position ${position}).`, entry },
    };
  });
}

export function moveInQueue(store: GuildStore, guildId: string, member: MemberInfo, from: number, to: number): Promise<MoveResult> {
  return decide<MoveResult>(store, guildId, (state) => {
    const entry = entryAt(state.playlist, from);
    if (typeof entry === 'string') return refuse(entry);
    const target = entryAt(state.playlist, to);
    if (typeof target === 'string') return refuse(target);
    if (entry.requesterId !== member.id && !canControlSet(member, state)) {
      return refuse("You can only move your own songs; moving others' needs the DJ role or Manage Server.");
    }
    if (from === to) return { result: { ok: true, message: `"${entry.title}" is already at position ${to}.`, entry, position: to } };
    const playlist = state.playlist.filter((e) => e.id !== entry.id);
    playlist.splice(to - 1, 0, entry);
    return {
      state: { ...state, playlist },
      result: { ok: true, message: `Moved "${entry.title}" from position ${from} to position ${to}.`, entry, position: to },
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
