import { ApplicationIntegrationType, ChannelType, InteractionContextType, SlashCommandBuilder } from 'discord.js';
import type { SlashCommandIntegerOption } from 'discord.js';
import { SERVER_SETTINGS } from '../../../util/add-policy.ts';
import type { SettingBounds } from '../../../util/add-policy.ts';

/** A per-server setting's integer option, named and bounded as the add policy says. */
const bounded =
  (bounds: SettingBounds, description: string) =>
  (o: SlashCommandIntegerOption): SlashCommandIntegerOption =>
    o.setName(bounds.option).setDescription(description).setMinValue(bounds.min).setMaxValue(bounds.max);

/** `/djset` — the never-ending auto-mixed set in a voice channel. */
export const djsetCommand = new SlashCommandBuilder()
  .setName('djset')
  .setDescription('Start, steer or stop the auto-mixed DJ set in a voice channel.')
  .setContexts(InteractionContextType.Guild)
  .setIntegrationTypes(ApplicationIntegrationType.GuildInstall)
  .addSubcommand((sub) =>
    sub
      .setName('start')
      .setDescription('Join a voice channel and start mixing the playlist.')
      .addChannelOption((o) =>
        o
          .setName('channel')
          .setDescription('Voice channel (default: yours)')
          .addChannelTypes(ChannelType.GuildVoice, ChannelType.GuildStageVoice),
      )
      .addStringOption((o) =>
        o
          .setName('order')
          .setDescription('smart: best mixes along an energy arc; queue: playlist order')
          .addChoices({ name: 'smart', value: 'smart' }, { name: 'queue', value: 'queue' }),
      ),
  )
  .addSubcommand((sub) => sub.setName('stop').setDescription('Fade out on the next downbeat and leave.'))
  .addSubcommand((sub) =>
    sub.setName('skip').setDescription('Mix out of the current song at its next phrase (listeners: vote to skip).'),
  )
  .addSubcommand((sub) =>
    sub.setName('pause').setDescription('Fade out on the next downbeat and hold the place in the song.'),
  )
  .addSubcommand((sub) =>
    sub.setName('resume').setDescription('Carry on from where the set was paused, fading in on a downbeat.'),
  )
  .addSubcommand((sub) =>
    sub.setName('status').setDescription('Now playing, next up, and when the next transition comes.'),
  )
  .addSubcommand((sub) =>
    sub
      .setName('settings')
      .setDescription(
        'Show or change the DJ role, order, limits, mix style and when an idle set leaves (Manage Server).',
      )
      .addRoleOption((o) => o.setName('dj_role').setDescription('Members with this role may skip, stop and clear'))
      .addStringOption((o) =>
        o
          .setName('order')
          .setDescription('Default order for /djset start')
          .addChoices({ name: 'smart', value: 'smart' }, { name: 'queue', value: 'queue' }),
      )
      .addIntegerOption(bounded(SERVER_SETTINGS.maxQueuePerMember, 'Songs one member may have waiting'))
      .addIntegerOption(bounded(SERVER_SETTINGS.maxAddsPerMinute, 'Songs one member may add per minute'))
      .addIntegerOption(
        bounded(SERVER_SETTINGS.stayMinutes, 'Minutes to stay in an empty channel, paused, before leaving (0: 24/7)'),
      )
      .addIntegerOption(
        bounded(SERVER_SETTINGS.pauseMinutes, 'Minutes a paused set waits to be resumed before it leaves'),
      )
      .addStringOption((o) =>
        o
          .setName('songs')
          .setDescription('whole: each song from its first beat to its end, mixed over intros and outros; dj: DJ cuts')
          .addChoices({ name: 'whole songs', value: 'whole' }, { name: 'DJ cuts', value: 'dj' }),
      )
      .addIntegerOption((o) =>
        o
          .setName('transition_bars')
          .setDescription('How long a transition is, in bars (the planner may choose per pair)')
          .addChoices(
            { name: "the planner's choice", value: 0 },
            ...[4, 8, 16, 32].map((n) => ({ name: `${n} bars`, value: n })),
          ),
      )
      .addBooleanOption((o) =>
        o
          .setName('clear_dj_role')
          .setDescription("True: no DJ role any more (Manage Server and the set's starter steer it)"),
      )
      .addStringOption((o) =>
        o
          .setName('announce')
          .setDescription("Where transitions are announced: in the set's panel only, a line each, or a thread")
          .addChoices(
            { name: 'panel only', value: 'panel' },
            { name: 'a line each', value: 'line' },
            { name: 'a thread', value: 'thread' },
          ),
      ),
  );
