import { ApplicationIntegrationType, InteractionContextType, SlashCommandBuilder } from 'discord.js';

/** `/suggest` — compatible next tracks from the server library, with reasons. */
export const suggestCommand = new SlashCommandBuilder()
  .setName('suggest')
  .setDescription('Tracks from the server library that would mix well next, and why.')
  .setContexts(InteractionContextType.Guild)
  .setIntegrationTypes(ApplicationIntegrationType.GuildInstall)
  .addStringOption((o) =>
    o.setName('track').setDescription('After which track (default: the one playing)').setAutocomplete(true),
  )
  .addIntegerOption((o) => o.setName('count').setDescription('How many suggestions').setMinValue(1).setMaxValue(10));
