import type { ChatInputCommandInteraction } from 'discord.js';
import type { GuildStore } from '../../../db/guild-store.ts';
import type { OptionReader, RouteHandler } from '../command-routes.ts';
import { memberInfoOf } from '../member-info.ts';
import { historyPage } from './queue-history.ts';
import { clearQueue, moveInQueue, removeFromQueue } from '../../playlist/queue-operations.ts';
import { replyEphemeral } from '../../discord/reply-result.ts';
import { answerInTime } from '../../discord/timely-answer.ts';

export const GUILD_ONLY = 'This command works only in a server.';

/** Runs `fn` with the guild id, or refuses outside a server; answered in time however slow the store is. */
function inGuild<N extends string>(
  fn: (
    interaction: ChatInputCommandInteraction,
    options: OptionReader<N>,
    guildId: string,
  ) => Promise<{ ok: boolean; message: string }>,
): RouteHandler<N> {
  return async (interaction, options) => {
    const guildId = interaction.guildId;
    if (!guildId) return replyEphemeral(interaction, GUILD_ONLY);
    await answerInTime(interaction, false, () => fn(interaction, options, guildId));
  };
}

/*
 * `/queue remove|move|clear|history`. `/queue add` downloads and analyses, so it lives in queue-add-handler.ts; `/queue
 * list` plans the play order (queue-list.ts). `liveStarter`: who started the set playing in a guild, if one plays.
 */
type LiveStarter = (guildId: string) => string | undefined;

export function queueRemove(store: GuildStore, liveStarter: LiveStarter): RouteHandler<'position'> {
  return inGuild((i, o, guildId) =>
    removeFromQueue(store, guildId, memberInfoOf(i, liveStarter(guildId)), o.getInteger('position', true)),
  );
}

export function queueMove(store: GuildStore, liveStarter: LiveStarter): RouteHandler<'from' | 'to'> {
  return inGuild((i, o, guildId) =>
    moveInQueue(
      store,
      guildId,
      memberInfoOf(i, liveStarter(guildId)),
      o.getInteger('from', true),
      o.getInteger('to', true),
    ),
  );
}

export function queueClear(store: GuildStore, liveStarter: LiveStarter): RouteHandler<never> {
  return inGuild((i, _o, guildId) => clearQueue(store, guildId, memberInfoOf(i, liveStarter(guildId))));
}

export function queueHistory(store: GuildStore): RouteHandler<'page'> {
  return inGuild(async (_i, o, guildId) => historyPage(await store.get(guildId), o.getInteger('page') ?? 1));
}
