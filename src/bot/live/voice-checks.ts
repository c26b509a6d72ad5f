import { ChannelType, PermissionFlagsBits } from 'discord.js';
import type { Guild, VoiceBasedChannel } from 'discord.js';

/** How the bot gets heard on a stage: un-suppressed by itself (Mute Members), or by asking a stage moderator. */
export type StageVoice = 'speaker' | 'request';

export type VoiceCheck = { ok: true; stage?: StageVoice } | { ok: false; message: string };

export function cannotJoin(channelId: string): string {
  return `Mini-DJ cannot play in <#${channelId}>: it needs the View Channel, Connect and Speak permissions there.`;
}

export function channelFull(channelId: string, limit: number): string {
  return `<#${channelId}> is full (${limit} of ${limit}). Mini-DJ needs a free place there, or the Move Members permission to join a full channel.`;
}

export function cannotSpeakOnStage(channelId: string): string {
  return `Mini-DJ cannot be heard on the stage <#${channelId}>: it needs Mute Members there (to become a speaker), or Request to Speak (so a stage moderator can invite it).`;
}

/**
 * Whether the bot can be heard in `channel`: the permissions to join and speak, a free place (or Move Members), and on
 * a stage a way to become a speaker. Checked before a set starts and when a saved one resumes.
 */
export function checkVoiceChannel(channel: VoiceBasedChannel, guild: Guild): VoiceCheck {
  const me = guild.members.me;
  if (!me) return { ok: false, message: cannotJoin(channel.id) };
  const allowed = channel.permissionsFor(me);
  if (!allowed.has([PermissionFlagsBits.ViewChannel, PermissionFlagsBits.Connect, PermissionFlagsBits.Speak]))
    return { ok: false, message: cannotJoin(channel.id) };
  const others = guild.voiceStates.cache.filter((v) => v.channelId === channel.id && v.id !== me.id).size;
  if (channel.userLimit > 0 && others >= channel.userLimit && !allowed.has(PermissionFlagsBits.MoveMembers)) {
    return { ok: false, message: channelFull(channel.id, channel.userLimit) };
  }
  if (channel.type !== ChannelType.GuildStageVoice) return { ok: true };
  if (allowed.has(PermissionFlagsBits.MuteMembers)) return { ok: true, stage: 'speaker' };
  if (allowed.has(PermissionFlagsBits.RequestToSpeak)) return { ok: true, stage: 'request' };
  return { ok: false, message: cannotSpeakOnStage(channel.id) };
}
