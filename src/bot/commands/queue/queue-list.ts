import { MessageFlags } from 'discord.js';
import type { RepliableInteraction } from 'discord.js';
import type { OrderMode } from '../../../audio/set/order-mode.ts';
import type { GuildState, GuildStore } from '../../../db/guild-store.ts';
import type { RouteHandler } from '../command-routes.ts';
import type { LiveSet } from '../../live/live-set.ts';
import type { LiveSets } from '../../live/live-sets.ts';
import type { NextTrackDeps } from '../../playlist/next-track.ts';
import { planPlayOrder } from '../../playlist/play-order.ts';
import type { LiveView, PlayOrder } from '../../playlist/play-order.ts';
import { GUILD_ONLY } from './queue-handler.ts';
import type { ListResult } from '../../playlist/queue-operations.ts';
import { replyEphemeral, settleDeferred } from '../../discord/reply-result.ts';
import { displayTitle } from '../../discord/track-title.ts';
import { formatClock } from '../../../util/format-clock.ts';

const QUEUE_PAGE_SIZE = 10;
export const EMPTY_PLAYLIST = 'The playlist is empty. Add a song with /queue add.';

export interface QueueListDeps extends NextTrackDeps {
  store: GuildStore;
  sets: LiveSets;
}

const songs = (n: number) => (n === 1 ? '1 song' : `${n} songs`);

/** What the set plays now and has planned, as the planner needs it. */
function liveViewOf(set: LiveSet): LiveView | undefined {
  const engine = set.engine.state;
  // Mixing into the next song: it is the one the next pick follows.
  if (engine.status === 'transition') return { current: engine.to, positionSec: engine.to.analysis.cues.mixIn };
  const now = set.nowPlaying();
  if (!now) return undefined;
  const next = set.upcoming();
  return {
    current: now.track,
    positionSec: now.positionSec,
    ...(next ? { upcoming: { to: next.to, inSec: next.inSec, plan: next.plan } } : {}),
  };
}

export interface PlayOrderPageInput {
  order: PlayOrder;
  state: GuildState;
  mode: OrderMode;
  /** A set is playing: the times are from now. */
  live: boolean;
  page: number;
  /** Who asked: their songs are marked. */
  viewerId: string;
  /** How many songs the whole order has (the plan may stop at the page asked). */
  total: number;
  pageSize?: number;
}

const titles = (entries: PlayOrder['unplayable']) => entries.map((e) => `"${displayTitle(e.title)}"`).join(', ');

function nothingPlayable(order: PlayOrder): string {
  return `Nothing in the playlist can be played: the audio of ${titles(order.unplayable)} is gone from the library. Add ${order.unplayable.length === 1 ? 'it' : 'them'} again with /queue add.`;
}

/** One page of the coming play order: when each comes in, who queued it (yours marked), its playlist position. */
export function playOrderPage(input: PlayOrderPageInput): ListResult {
  const { order, state, page, total } = input;
  const size = input.pageSize ?? QUEUE_PAGE_SIZE;
  if (total === 0)
    return {
      ok: true,
      message: order.unplayable.length > 0 ? nothingPlayable(order) : EMPTY_PLAYLIST,
      page: 1,
      pages: 0,
      total: 0,
    };
  const pages = Math.ceil(total / size);
  if (!Number.isInteger(page) || page < 1 || page > pages) {
    return {
      ok: false,
      message: `There is no page ${page}; the playlist has ${pages === 1 ? 'only page 1' : `pages 1–${pages}`}.`,
    };
  }
  const position = new Map(state.playlist.map((e, i) => [e.id, i + 1]));
  const start = (page - 1) * size;
  const lines = order.plays.slice(start, start + size).map(({ track, startsInSec }, i) => {
    const when = startsInSec !== undefined ? `in ~${formatClock(startsInSec)} · ` : '';
    const entry = track.entry;
    const who = entry
      ? `<@${entry.requesterId}>${entry.requesterId === input.viewerId ? ' (yours)' : ''}${position.has(entry.id) ? ` · #${position.get(entry.id)}` : ''}`
      : 'from the server library';
    return `${start + i + 1}. ${when}${displayTitle(track.title)} — ${who}`;
  });
  const how = input.mode === 'smart' ? 'smart order: the planned picks' : 'queue order';
  const head = input.live
    ? `Coming up (${how}; times are estimates; #: position for /queue remove and /queue move):`
    : `Playlist (${songs(total)}), as a set started now would play it (${how}; #: position for /queue remove and /queue move):`;
  const tail: string[] = [];
  if (page === pages && input.live) tail.push('Then the server library, picked as the set plays.');
  if (page === pages && order.unplayable.length > 0)
    tail.push(`Left out, their audio gone from the library: ${titles(order.unplayable)}.`);
  const more = page < pages ? ` — /queue list page:${page + 1} for more` : '';
  return {
    ok: true,
    message: [head, ...lines, ...tail, `Page ${page}/${pages}${more}`].join('\n').slice(0, 2000),
    page,
    pages,
    total,
  };
}

/** The page of the play order `viewerId` asked for, the set's own planner run up to it. */
async function playOrderFor(deps: QueueListDeps, guildId: string, page: number, viewerId: string): Promise<ListResult> {
  const state = await deps.store.get(guildId);
  const set = deps.sets.get(guildId);
  const live = set ? liveViewOf(set) : undefined;
  const mode = set?.order ?? state.settings.order;
  const order = await planPlayOrder(state, live, mode, deps, Math.max(1, page) * QUEUE_PAGE_SIZE);
  const waiting = state.playlist.filter((e) => e.id !== live?.current.entry?.id).length;
  const plannedFromLibrary = live?.upcoming && !live.upcoming.to.entry ? 1 : 0;
  const total = Math.max(order.plays.length, waiting + plannedFromLibrary - order.unplayable.length);
  return playOrderPage({ order, state, mode, live: live !== undefined, page, viewerId, total });
}

/** `/queue list [page]`, public; and the panel's Queue button, to the member alone. Acknowledged before planning. */
export async function showPlayOrder(
  deps: QueueListDeps,
  interaction: RepliableInteraction,
  page: number,
  publicly: boolean,
): Promise<void> {
  const guildId = interaction.guildId;
  if (!guildId) return replyEphemeral(interaction, GUILD_ONLY);
  await interaction.deferReply(publicly ? {} : { flags: MessageFlags.Ephemeral });
  await settleDeferred(interaction, await playOrderFor(deps, guildId, page, interaction.user.id), !publicly);
}

export function queueListHandler(deps: QueueListDeps): RouteHandler<'page'> {
  return (interaction, options) => showPlayOrder(deps, interaction, options.getInteger('page') ?? 1, true);
}
