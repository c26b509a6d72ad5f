import type { ChatInputCommandInteraction } from 'discord.js';
import type { GuildStore } from '../db/guild-store.ts';
import type { CommandHandler, CommandHandlers } from './interaction-router.ts';
import { memberInfoOf as memberOf } from './member-info.ts';
import { historyPage } from './queue-history.ts';
import { clearQueue, moveInQueue, removeFromQueue } from './queue-operations.ts';
import { replyEphemeral } from './reply-result.ts';
import { answerInTime } from './timely-answer.ts';

export const GUILD_ONLY = 'This command works only in a server.';

/** Runs `fn` with the guild id, or refuses outside a server; answered in time however slow the store is. */
function inGuild(fn: (interaction: ChatInputCommandInteraction, guildId: string) => Promise<{ ok: boolean; message: string }>): CommandHandler {
  return async (interaction) => {
    const guildId = interaction.guildId;
    if (!guildId) return replyEphemeral(interaction, GUILD_ONLY);
    await answerInTime(interaction, false, () => fn(interaction, guildId));
  };
}

/**
 * `/queue remove|move|clear|history`. `/queue add` downloads and analyses, so it lives in queue-add-handler.ts; `/queue
 * list` plans the play order (queue-list.ts).
 * `liveStarter`: who started the set playing in a guild, if one plays.
 */
export function queueHandlers(store: GuildStore, liveStarter: (guildId: string) => string | undefined = () => undefined): CommandHandlers {
  const memberInfoOf = (i: ChatInputCommandInteraction, guildId: string) => memberOf(i, liveStarter(guildId));
  return {
    'queue remove': inGuild((i, guildId) => removeFromQueue(store, guildId, memberInfoOf(i, guildId), i.options.getInteger('position', true))),
    'queue move': inGuild((i, guildId) => moveInQueue(store, guildId, memberInfoOf(i, guildId), i.options.getInteger('from', true), i.options.getInteger('to', true))),
    'queue clear': inGuild((i, guildId) => clearQueue(store, guildId, memberInfoOf(i, guildId))),
    'queue history': inGuild(async (i, guildId) => historyPage(await store.get(guildId), i.options.getInteger('page') ?? 1)),
  };
}
