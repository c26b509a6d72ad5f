import { AttachmentBuilder, EmbedBuilder, PermissionFlagsBits } from 'discord.js';
import type { ChatInputCommandInteraction, Guild, VoiceBasedChannel } from 'discord.js';
import type { FeedbackStore } from '../db/feedback-store.ts';
import type { GuildStore } from '../db/guild-store.ts';
import { formatClock } from '../viz/set-picture.ts';
import type { CommandHandler, CommandHandlers } from './interaction-router.ts';
import { FAILED } from './interaction-router.ts';
import type { LiveSet } from './live-set.ts';
import type { LiveSets } from './live-sets.ts';
import { memberInfoOf } from './member-info.ts';
import { pickNextTrack } from './next-track.ts';
import type { NextTrackDeps } from './next-track.ts';
import { describeTransition } from './now-mixing-message.ts';
import { canControlSet } from './permissions.ts';
import { GUILD_ONLY } from './queue-handler.ts';
import { replyEphemeral, replyResult } from './reply-result.ts';
import { settingsHandler } from './settings-handler.ts';
import { transitionPicture } from './transition-picture.ts';

export const NO_SET = 'No set is playing. Start one with /djset start.';
export const NOT_READY = 'Mini-DJ has not finished joining this server yet. Try again in a minute.';
export const NOT_VOICE = 'That is not a voice channel. Name a voice or stage channel, or join one and run /djset start.';
export const JOIN_FIRST = 'Join a voice channel first, or name one: /djset start channel:<voice channel>.';
export const NOTHING_TO_PLAY = 'Nothing to play: the playlist and the server library are empty. Add songs with /queue add, then /djset start.';
export const NOTHING_TO_SKIP_TO = 'There is nothing to mix into yet: the playlist is empty and no other library track is ready. Add songs with /queue add.';

export function alreadyPlaying(channelId: string): string {
  return `A set is already playing in <#${channelId}>. Use /djset status to see it, or /djset stop first.`;
}

export function cannotJoin(channelId: string): string {
  return `Mini-DJ cannot play in <#${channelId}>: it needs the View Channel, Connect and Speak permissions there.`;
}

export function needsControl(action: string): string {
  return `${action} the set needs the DJ role, Manage Server, or being the one who started it.`;
}

const quiet = { allowedMentions: { parse: [] } } as const;

export interface DjsetDeps extends NextTrackDeps {
  store: GuildStore;
  sets: LiveSets;
  feedback: FeedbackStore;
}

function voiceChannelFor(interaction: ChatInputCommandInteraction, guild: Guild): VoiceBasedChannel | string {
  const named = interaction.options.getChannel('channel');
  if (named) {
    const channel = guild.channels.cache.get(named.id);
    return channel?.isVoiceBased() ? channel : NOT_VOICE;
  }
  return guild.voiceStates.cache.get(interaction.user.id)?.channel ?? JOIN_FIRST;
}

function canPlayIn(channel: VoiceBasedChannel, guild: Guild): boolean {
  const me = guild.members.me;
  if (!me) return false;
  return channel.permissionsFor(me).has([PermissionFlagsBits.ViewChannel, PermissionFlagsBits.Connect, PermissionFlagsBits.Speak]);
}

const trackLine = (t: { title: string; analysis: { bpm: number; camelot: string } }) => `**${t.title}** (${Math.round(t.analysis.bpm)} BPM, ${t.analysis.camelot})`;

function start(deps: DjsetDeps): CommandHandler {
  return async (interaction) => {
    if (!interaction.guildId) return replyEphemeral(interaction, GUILD_ONLY);
    // The cached server; missing until the gateway has sent it.
    const guild = interaction.guild;
    if (!guild) return replyEphemeral(interaction, NOT_READY);
    const playing = deps.sets.get(guild.id);
    if (playing) return replyEphemeral(interaction, alreadyPlaying(playing.voiceChannelId));
    const channel = voiceChannelFor(interaction, guild);
    if (typeof channel === 'string') return replyEphemeral(interaction, channel);
    if (!canPlayIn(channel, guild)) return replyEphemeral(interaction, cannotJoin(channel.id));

    await interaction.deferReply();
    try {
      const state = await deps.store.get(guild.id);
      const order = (interaction.options.getString('order') as 'smart' | 'queue' | null) ?? state.settings.order;
      const { track } = await pickNextTrack(state, undefined, order, deps);
      if (!track) return void (await interaction.editReply({ content: NOTHING_TO_PLAY, ...quiet }));
      const raced = deps.sets.get(guild.id);
      if (raced) return void (await interaction.editReply({ content: alreadyPlaying(raced.voiceChannelId), ...quiet }));
      await deps.sets.start({ guild, voiceChannelId: channel.id, textChannelId: interaction.channelId, order, starterId: interaction.user.id, first: track });
      const fromLibrary = track.entry ? '' : ' The playlist is empty, so the set plays from the server library until songs are queued.';
      await interaction.editReply({ content: `Mixing in <#${channel.id}> in ${order} order. Now playing ${trackLine(track)}.${fromLibrary}`, ...quiet });
    } catch (error) {
      await interaction.editReply({ content: FAILED, ...quiet });
      throw error;
    }
  };
}

/** Stop and skip: a set must be playing, and the member must be allowed to steer it. */
function control(deps: DjsetDeps, action: 'Stopping' | 'Skipping', run: (interaction: ChatInputCommandInteraction, set: LiveSet) => Promise<{ ok: boolean; message: string }>): CommandHandler {
  return async (interaction) => {
    const guildId = interaction.guildId;
    if (!guildId) return replyEphemeral(interaction, GUILD_ONLY);
    const set = deps.sets.get(guildId);
    if (!set) return replyEphemeral(interaction, NO_SET);
    if (!canControlSet(memberInfoOf(interaction, set.starterId), await deps.store.get(guildId))) return replyEphemeral(interaction, needsControl(action));
    await replyResult(interaction, await run(interaction, set));
  };
}

function stop(deps: DjsetDeps): CommandHandler {
  return control(deps, 'Stopping', async (_interaction, set) => {
    void set.stop('stopped');
    return { ok: true, message: 'Stopping: the set fades out on the next downbeat. The playlist stays as it is.' };
  });
}

function skip(deps: DjsetDeps): CommandHandler {
  return control(deps, 'Skipping', async (interaction, set) => {
    if (!set.canSkip) return { ok: false, message: NOTHING_TO_SKIP_TO };
    // A skip during a transition or just after it says that transition did not work: a labelled pair for training.
    const judged = set.recentTransition();
    if (judged) {
      const userId = interaction.user.id;
      await deps.feedback.add({ id: `skip:${judged.id}:${userId}`, guildId: set.guildId, fromHash: judged.fromHash, toHash: judged.toHash, liked: false, source: 'skip', userId, at: new Date().toISOString() });
    }
    const title = set.nowPlaying()?.track.title ?? 'this song';
    const next = set.upcoming();
    set.skip();
    return {
      ok: true,
      message: next
        ? `Skipping **${title}**: mixing into **${next.to.title}** at the next phrase.`
        : `Skipping **${title}**: it mixes out at its next phrase once this transition is over.`,
    };
  });
}

function status(deps: DjsetDeps): CommandHandler {
  return async (interaction) => {
    const guildId = interaction.guildId;
    if (!guildId) return replyEphemeral(interaction, GUILD_ONLY);
    const set = deps.sets.get(guildId);
    const now = set?.nowPlaying();
    if (!set || !now) return replyEphemeral(interaction, NO_SET);
    const { track, positionSec } = now;
    const embed = new EmbedBuilder()
      .setTitle(`Now playing: ${track.title}`.slice(0, 256))
      .setDescription(
        [
          `${Math.round(track.analysis.bpm)} BPM · ${track.analysis.key} ${track.analysis.scale} (${track.analysis.camelot}) · ${formatClock(positionSec)} / ${formatClock(track.analysis.durationSec)}`,
          `In <#${set.voiceChannelId}>, ${set.order} order, ${set.listeners()} listening${set.paused ? ' — paused until someone joins' : ''}.`,
          track.entry ? `Queued by <@${track.entry.requesterId}>.` : 'Picked from the server library.',
        ].join('\n'),
      );
    const next = set.upcoming();
    const files: AttachmentBuilder[] = [];
    if (next) {
      embed.addFields({
        name: `Next: ${next.to.title}`.slice(0, 256),
        value: [
          `${Math.round(next.to.analysis.bpm)} BPM · ${next.to.analysis.camelot} · transition in ${formatClock(next.inSec)}${next.rendered ? ' (rendered)' : ' (rendering)'}`,
          describeTransition({ style: next.plan.style, overlapBars: next.plan.overlapBars, stretchPct: next.plan.stretchPct, from: { bpm: next.from.analysis.bpm, camelot: next.from.analysis.camelot }, to: { bpm: next.to.analysis.bpm, camelot: next.to.analysis.camelot } }),
          next.plan.explanation,
        ].join('\n').slice(0, 1024),
      });
      files.push(new AttachmentBuilder(transitionPicture(next.from, next.to, next.plan), { name: 'next-transition.png' }));
      embed.setImage('attachment://next-transition.png');
    } else {
      embed.addFields({ name: 'Next', value: 'Nothing queued yet: add songs with /queue add.' });
    }
    await interaction.reply({ embeds: [embed], files, ...quiet });
  };
}

/** `/djset start|stop|skip|status|settings`. */
export function djsetHandlers(deps: DjsetDeps): CommandHandlers {
  return { 'djset start': start(deps), 'djset stop': stop(deps), 'djset skip': skip(deps), 'djset status': status(deps), 'djset settings': settingsHandler(deps.store) };
}
