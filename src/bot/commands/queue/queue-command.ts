import { ApplicationIntegrationType, InteractionContextType, SlashCommandBuilder } from 'discord.js';
import type { SlashCommandSubcommandBuilder } from 'discord.js';
import { DISCORD_DEFAULT_UPLOAD, FILE_OPTIONS, uploadSize, URL_OPTION_CHARS } from '../../../util/add-policy.ts';

const FIRST_FILE = `An audio file (mp3, flac, wav, ogg, opus, m4a); Discord lets most members upload ${uploadSize(DISCORD_DEFAULT_UPLOAD)}`;

/** `/queue add`: the add policy's file options (the first before url and track, as members see them), a url, a track. */
function addSubcommand(sub: SlashCommandSubcommandBuilder): SlashCommandSubcommandBuilder {
  const [first, ...more] = FILE_OPTIONS;
  sub
    .setName('add')
    .setDescription('Add a song: upload a file, paste a direct audio link, or pick a track from the server library.')
    .addAttachmentOption((o) => o.setName(first).setDescription(FIRST_FILE))
    .addStringOption((o) =>
      o
        .setName('url')
        .setDescription('A direct http(s) link to an audio file (not YouTube, Spotify…: their pages)')
        .setMaxLength(URL_OPTION_CHARS),
    )
    .addStringOption((o) =>
      o.setName('track').setDescription('A track already in the server library').setAutocomplete(true),
    );
  more.forEach((name, i) =>
    sub.addAttachmentOption((o) =>
      o.setName(name).setDescription(i === 0 ? 'Another audio file, added after the first' : 'Another audio file'),
    ),
  );
  return sub;
}

/** `/queue` — the shared server playlist. */
export const queueCommand = new SlashCommandBuilder()
  .setName('queue')
  .setDescription('The server playlist: add songs, see what is coming, reorder it.')
  .setContexts(InteractionContextType.Guild)
  .setIntegrationTypes(ApplicationIntegrationType.GuildInstall)
  .addSubcommand(addSubcommand)
  .addSubcommand((sub) =>
    sub
      .setName('list')
      .setDescription('Show the playlist, a page at a time.')
      .addIntegerOption((o) => o.setName('page').setDescription('Page number').setMinValue(1)),
  )
  .addSubcommand((sub) =>
    sub
      .setName('remove')
      .setDescription('Remove a song from the playlist.')
      .addIntegerOption((o) =>
        o.setName('position').setDescription('Its position in /queue list').setMinValue(1).setRequired(true),
      ),
  )
  .addSubcommand((sub) =>
    sub
      .setName('move')
      .setDescription('Move a song to another position.')
      .addIntegerOption((o) => o.setName('from').setDescription('Its position now').setMinValue(1).setRequired(true))
      .addIntegerOption((o) =>
        o.setName('to').setDescription('The position it should have').setMinValue(1).setRequired(true),
      ),
  )
  .addSubcommand((sub) => sub.setName('clear').setDescription('Empty the playlist (DJ role or Manage Server).'))
  .addSubcommand((sub) =>
    sub
      .setName('history')
      .setDescription('What the set played, who added it, and how each transition was voted.')
      .addIntegerOption((o) => o.setName('page').setDescription('Page number (1: the latest)').setMinValue(1)),
  );
