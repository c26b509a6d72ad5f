import { isSongsMode, isTransitionBars } from '../../../audio/transition/mix-style.ts';
import { outOfBounds, SERVER_SETTINGS } from '../../../util/add-policy.ts';
import type { AnnounceMode, GuildSettings, GuildStore } from '../../../db/guild-store.ts';
import type { OptionReader, RouteHandler } from '../command-routes.ts';
import { memberInfoOf } from '../member-info.ts';
import { GUILD_ONLY } from '../queue/queue-handler.ts';
import { replyEphemeral, replyResult } from '../../discord/reply-result.ts';
import { describeMixStyle, mixStyleOf } from '../../live/server-mix-style.ts';

export const SETTINGS_NEED_MANAGE = 'Changing the settings needs Manage Server.';
const ROLE_OR_CLEAR = 'Give dj_role or clear_dj_role, not both.';

export function describeSettings(s: GuildSettings): string {
  return [
    `DJ role: ${s.djRoleId ? `<@&${s.djRoleId}>` : "none (Manage Server and the set's starter only)"}`,
    `Default order: ${s.order}`,
    `Per member: ${s.maxQueuePerMember} songs waiting, ${s.maxAddsPerMinute} adds a minute`,
    `Empty channel: ${s.stayMinutes === undefined ? 'stays 24/7, paused until someone joins' : `pauses, and leaves after ${minutes(s.stayMinutes)}`}`,
    `Paused with /djset pause: leaves after ${minutes(s.pauseMinutes ?? SERVER_SETTINGS.pauseMinutes.default)}`,
    ...describeMixStyle(mixStyleOf(s)),
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

/** The options of `/djset settings`. */
type SettingsOption =
  | 'dj_role'
  | 'order'
  | 'max_queued'
  | 'adds_per_minute'
  | 'stay'
  | 'pause_minutes'
  | 'songs'
  | 'transition_bars'
  | 'clear_dj_role'
  | 'announce';

/** The settings a `/djset settings` asked to change, as a patch (empty: it only asked to see them). */
function requestedChanges(options: OptionReader<SettingsOption>): {
  patch: Partial<GuildSettings>;
  clearRole: boolean;
  stay: number | null;
} {
  const role = options.getRole('dj_role');
  const order = options.getString('order') as GuildSettings['order'] | null;
  const maxQueued = options.getInteger('max_queued');
  const perMinute = options.getInteger('adds_per_minute');
  const pauseMinutes = options.getInteger('pause_minutes');
  const songs = options.getString('songs');
  const bars = options.getInteger('transition_bars');
  const announce = options.getString('announce') as AnnounceMode | null;
  const patch: Partial<GuildSettings> = {
    ...(role ? { djRoleId: role.id } : {}),
    ...(order ? { order } : {}),
    ...(maxQueued !== null ? { maxQueuePerMember: maxQueued } : {}),
    ...(perMinute !== null ? { maxAddsPerMinute: perMinute } : {}),
    ...(pauseMinutes !== null ? { pauseMinutes } : {}),
    ...(isSongsMode(songs) ? { songs } : {}),
    ...(announce !== null ? { announce } : {}),
  };
  // 0: the planner's choice (the field absent), as `stay` 0 is 24/7.
  if (bars !== null) patch.transitionBars = isTransitionBars(bars) ? bars : undefined;
  return { patch, clearRole: options.getBoolean('clear_dj_role') === true, stay: options.getInteger('stay') };
}

/** Why a number given is out of the add policy's bounds, if one is (Discord checks them first; a client may not). */
function refusedNumber(options: OptionReader<SettingsOption>): string | undefined {
  for (const bounds of Object.values(SERVER_SETTINGS)) {
    const value = options.getInteger(bounds.option);
    const why = value !== null ? outOfBounds(bounds, value) : undefined;
    if (why) return why;
  }
  return undefined;
}

/** The settings with `patch` applied; a field the patch sets to undefined (the DJ role cleared, the planner's length) is removed. */
function applied(settings: GuildSettings, patch: Partial<GuildSettings>, stay: number | null): GuildSettings {
  const next: GuildSettings = { ...settings, ...patch };
  // `stay` 0 is 24/7 (the field absent); otherwise minutes.
  if (stay !== null) next.stayMinutes = stay === 0 ? undefined : stay;
  for (const key of Object.keys(next) as (keyof GuildSettings)[]) if (next[key] === undefined) delete next[key];
  return next;
}

/**
 * `/djset settings`: anyone may see them; changing them needs Manage Server. `onSaved` hears the saved settings (the
 * live set takes up a new mix style from its next transition).
 */
export function settingsHandler(
  store: GuildStore,
  onSaved: (guildId: string, settings: GuildSettings) => void,
): RouteHandler<SettingsOption> {
  return async (interaction, options) => {
    const guildId = interaction.guildId;
    if (!guildId) return replyEphemeral(interaction, GUILD_ONLY);
    const refused = refusedNumber(options);
    if (refused) return replyEphemeral(interaction, refused);
    const { patch, clearRole, stay } = requestedChanges(options);
    if (clearRole && patch.djRoleId) return replyEphemeral(interaction, ROLE_OR_CLEAR);
    if (clearRole) patch.djRoleId = undefined;
    if (Object.keys(patch).length === 0 && stay === null) {
      return replyEphemeral(interaction, describeSettings((await store.get(guildId)).settings));
    }
    if (!memberInfoOf(interaction).manageGuild) return replyEphemeral(interaction, SETTINGS_NEED_MANAGE);
    const saved = (await store.update(guildId, (s) => ({ ...s, settings: applied(s.settings, patch, stay) }))).settings;
    onSaved(guildId, saved);
    await replyResult(interaction, { ok: true, message: `Settings saved.\n${describeSettings(saved)}` });
  };
}
