import { AttachmentBuilder, EmbedBuilder } from 'discord.js';
import type { ChatInputCommandInteraction, Guild, VoiceBasedChannel } from 'discord.js';
import type { FeedbackStore } from '../../../db/feedback-store.ts';
import type { GuildStore } from '../../../db/guild-store.ts';
import type { OptionReader, RouteHandler } from '../command-routes.ts';
import { FAILED } from '../../discord/reply-result.ts';
import type { LiveSet } from '../../live/live-set.ts';
import { StartFailed } from '../../live/live-sets.ts';
import type { LiveSets } from '../../live/live-sets.ts';
import { pickNextTrack } from '../../playlist/next-track.ts';
import type { NextTrackDeps } from '../../playlist/next-track.ts';
import { describeTransition } from '../../live/now-mixing-message.ts';
import { GUILD_ONLY } from '../queue/queue-handler.ts';
import { failDeferred, replyEphemeral } from '../../discord/reply-result.ts';
import { NO_SET } from './set-controls.ts';
import { transitionPicture } from './transition-picture.ts';
import { checkVoiceChannel } from '../../live/voice-checks.ts';
import type { OrderMode } from '../../../audio/set/order-mode.ts';
import { displayTitle } from '../../discord/track-title.ts';
import { planPitchCents } from '../../../audio/transition/tempo-schedule.ts';
import { formatClock } from '../../../util/format-clock.ts';

const NOT_READY = 'Mini-DJ has not finished joining this server yet. Try again in a minute.';
export const NOT_VOICE =
  'That is not a voice channel. Name a voice or stage channel, or join one and run /djset start.';
export const JOIN_FIRST = 'Join a voice channel first, or name one: /djset start channel:<voice channel>.';
export const NOTHING_TO_PLAY =
  'Nothing to play: the playlist and the server library are empty. Add songs with /queue add, then /djset start.';

export function alreadyPlaying(channelId: string): string {
  return `A set is already playing in <#${channelId}>. Use /djset status to see it, or /djset stop first.`;
}

const quiet = { allowedMentions: { parse: [] } } as const;

export { needsControl, NO_SET, NOTHING_TO_SKIP_TO, onlyListenersVote } from './set-controls.ts';

export interface DjsetDeps extends NextTrackDeps {
  store: GuildStore;
  sets: LiveSets;
  feedback: FeedbackStore;
}

function voiceChannelFor(
  interaction: ChatInputCommandInteraction,
  options: OptionReader<'channel'>,
  guild: Guild,
): VoiceBasedChannel | string {
  const named = options.getChannel('channel');
  if (named) {
    const channel = guild.channels.cache.get(named.id);
    return channel?.isVoiceBased() ? channel : NOT_VOICE;
  }
  return guild.voiceStates.cache.get(interaction.user.id)?.channel ?? JOIN_FIRST;
}

const trackLine = (t: { title: string; analysis: { bpm: number; camelot: string } }) =>
  `**${displayTitle(t.title)}** (${Math.round(t.analysis.bpm)} BPM, ${t.analysis.camelot})`;

/** `/djset start [channel] [order]`. */
export function djsetStart(deps: DjsetDeps): RouteHandler<'channel' | 'order'> {
  return async (interaction, options) => {
    if (!interaction.guildId) return replyEphemeral(interaction, GUILD_ONLY);
    // The cached server; missing until the gateway has sent it.
    const guild = interaction.guild;
    if (!guild) return replyEphemeral(interaction, NOT_READY);
    const playing = deps.sets.get(guild.id);
    if (playing) return replyEphemeral(interaction, alreadyPlaying(playing.voiceChannelId));
    const channel = voiceChannelFor(interaction, options, guild);
    if (typeof channel === 'string') return replyEphemeral(interaction, channel);
    const check = checkVoiceChannel(channel, guild);
    if (!check.ok) return replyEphemeral(interaction, check.message);

    // Public, for the "Mixing in …" everyone should see; a refusal or failure goes to the member alone.
    await interaction.deferReply();
    try {
      const state = await deps.store.get(guild.id);
      const order = (options.getString('order') as OrderMode | null) ?? state.settings.order;
      const { track } = await pickNextTrack(state, undefined, order, deps);
      if (!track) return await failDeferred(interaction, NOTHING_TO_PLAY);
      const raced = deps.sets.get(guild.id);
      if (raced) return await failDeferred(interaction, alreadyPlaying(raced.voiceChannelId));
      // Resolves once the connection is Ready and the first audio went out: the reply never claims a silent set plays.
      const { set, note } = await deps.sets.start({
        guild,
        voiceChannelId: channel.id,
        textChannelId: interaction.channelId,
        order,
        starterId: interaction.user.id,
        first: track,
        ...(check.stage ? { stage: check.stage } : {}),
      });
      const fromLibrary = track.entry
        ? ''
        : ' The playlist is empty, so the set plays from the server library until songs are queued.';
      await interaction.editReply({
        content: `Mixing in <#${set.voiceChannelId}> in ${order} order. Now playing ${trackLine(track)}.${fromLibrary}${note}`,
        ...quiet,
      });
    } catch (error) {
      if (error instanceof StartFailed) return await failDeferred(interaction, error.message);
      await failDeferred(interaction, FAILED);
      throw error;
    }
  };
}

function pausedNote(set: LiveSet): string {
  const state = set.status;
  if (state.status !== 'paused') return '';
  return state.by === 'empty' ? ' — paused until someone joins' : ' — paused (/djset resume carries on)';
}

/** `/djset status`: now playing, and the next transition with its picture. */
export function djsetStatus(deps: DjsetDeps): RouteHandler<never> {
  return async (interaction) => {
    const guildId = interaction.guildId;
    if (!guildId) return replyEphemeral(interaction, GUILD_ONLY);
    const set = deps.sets.get(guildId);
    const now = set?.nowPlaying();
    if (!set || !now) return replyEphemeral(interaction, NO_SET);
    // The picture is drawn on this thread: acknowledged first.
    await interaction.deferReply();
    const { track, positionSec } = now;
    const embed = new EmbedBuilder()
      .setTitle(`Now playing: ${displayTitle(track.title)}`.slice(0, 256))
      .setDescription(
        [
          `${Math.round(track.analysis.bpm)} BPM · ${track.analysis.key} ${track.analysis.scale} (${track.analysis.camelot}) · ${formatClock(positionSec)} / ${formatClock(track.analysis.durationSec)}`,
          `In <#${set.voiceChannelId}>, ${set.order} order, ${set.listeners()} listening${pausedNote(set)}.`,
          track.entry ? `Queued by <@${track.entry.requesterId}>.` : 'Picked from the server library.',
        ].join('\n'),
      );
    const next = set.upcoming();
    const files: AttachmentBuilder[] = [];
    if (next) {
      embed.addFields({
        name: `Next: ${displayTitle(next.to.title)}`.slice(0, 256),
        value: [
          `${Math.round(next.to.analysis.bpm)} BPM · ${next.to.analysis.camelot} · transition in ${formatClock(next.inSec)}${next.rendered ? ' (rendered)' : ' (rendering)'}`,
          describeTransition({
            style: next.plan.style,
            overlapBars: next.plan.overlapBars,
            stretchPct: next.plan.stretchPct,
            pitchCents: planPitchCents(next.plan),
            from: { bpm: next.from.analysis.bpm, camelot: next.from.analysis.camelot },
            to: { bpm: next.to.analysis.bpm, camelot: next.to.analysis.camelot },
          }),
          next.plan.explanation,
          ...(next.check
            ? [`Beat check: ${next.check.summary}.`]
            : !next.rendered && ['blend', 'filter-fade'].includes(next.plan.style)
              ? ['Beat check: when it is rendered.']
              : []),
        ]
          .join('\n')
          .slice(0, 1024),
      });
      files.push(
        new AttachmentBuilder(transitionPicture(next.from, next.to, next.plan), { name: 'next-transition.png' }),
      );
      embed.setImage('attachment://next-transition.png');
    } else {
      embed.addFields({ name: 'Next', value: 'Nothing queued yet: add songs with /queue add.' });
    }
    await interaction.editReply({ embeds: [embed], files, ...quiet });
  };
}
