import type { GuildSettings, GuildStore } from '../db/guild-store.ts';
import type { CommandHandler } from './interaction-router.ts';
import { memberInfoOf } from './member-info.ts';
import { GUILD_ONLY } from './queue-handler.ts';
import { replyEphemeral, replyResult } from './reply-result.ts';

export const SETTINGS_NEED_MANAGE = 'Changing the settings needs Manage Server.';

export function describeSettings(s: GuildSettings): string {
  return [
    `DJ role: ${s.djRoleId ? `<@&${s.djRoleId}>` : 'none (Manage Server and the set\'s starter only)'}`,
    `Default order: ${s.order}`,
    `Per member: ${s.maxQueuePerMember} songs waiting, ${s.maxAddsPerMinute} adds a minute`,
  ].join('\n');
}

/** `/djset settings`: anyone may see them; changing them needs Manage Server. */
export function settingsHandler(store: GuildStore): CommandHandler {
  return async (interaction) => {
    const guildId = interaction.guildId;
    if (!guildId) return replyEphemeral(interaction, GUILD_ONLY);
    const role = interaction.options.getRole('dj_role');
    const order = interaction.options.getString('order') as GuildSettings['order'] | null;
    const maxQueued = interaction.options.getInteger('max_queued');
    const perMinute = interaction.options.getInteger('adds_per_minute');
    if (role === null && order === null && maxQueued === null && perMinute === null) {
      return replyEphemeral(interaction, describeSettings((await store.get(guildId)).settings));
    }
    if (!memberInfoOf(interaction).manageGuild) return replyEphemeral(interaction, SETTINGS_NEED_MANAGE);
    const next = await store.update(guildId, (s) => ({
      ...s,
      settings: {
        ...s.settings,
        ...(role ? { djRoleId: role.id } : {}),
        ...(order ? { order } : {}),
        ...(maxQueued !== null ? { maxQueuePerMember: maxQueued } : {}),
        ...(perMinute !== null ? { maxAddsPerMinute: perMinute } : {}),
      },
    }));
    await replyResult(interaction, { ok: true, message: `Settings saved.\n${describeSettings(next.settings)}` });
  };
}
