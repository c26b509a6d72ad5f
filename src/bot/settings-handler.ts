import { defaultGuildSettings } from '../db/guild-store.ts';
import type { AnnounceMode, GuildSettings, GuildStore } from '../db/guild-store.ts';
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
    `Empty channel: ${s.stayMinutes === undefined ? 'stays 24/7, paused until someone joins' : `pauses, and leaves after ${minutes(s.stayMinutes)}`}`,
    `Paused with /djset pause: leaves after ${minutes(s.pauseMinutes ?? defaultGuildSettings().pauseMinutes!)}`,
    `Transitions: ${ANNOUNCED[s.announce ?? 'panel']}`,
  ].join('\n');
}

const ANNOUNCED: Record<AnnounceMode, string> = {
  panel: "shown in the set's panel",
  line: "shown in the set's panel and a line each in the channel",
  thread: "shown in the set's panel and a line each in a thread of the set",
};

function minutes(n: number): string {
  return `${n} minute${n === 1 ? '' : 's'}`;
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
    // 0: 24/7 (stay in an empty channel, paused, until someone joins).
    const stay = interaction.options.getInteger('stay');
    const pauseMinutes = interaction.options.getInteger('pause_minutes');
    const announce = interaction.options.getString('announce') as AnnounceMode | null;
    if (role === null && order === null && maxQueued === null && perMinute === null && stay === null && pauseMinutes === null && announce === null) {
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
        ...(pauseMinutes !== null ? { pauseMinutes } : {}),
        ...(announce !== null ? { announce } : {}),
      },
    }));
    if (stay !== null) await store.update(guildId, (s) => ({ ...s, settings: stayed(s.settings, stay) }));
    const saved = stay !== null ? (await store.get(guildId)).settings : next.settings;
    await replyResult(interaction, { ok: true, message: `Settings saved.\n${describeSettings(saved)}` });
  };
}

/** `stay` 0 is 24/7 (the field absent); otherwise minutes. */
function stayed(settings: GuildSettings, stay: number): GuildSettings {
  const { stayMinutes: _, ...rest } = settings;
  return stay === 0 ? rest : { ...rest, stayMinutes: stay };
}
