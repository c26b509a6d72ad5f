import {
  ApplicationCommandType,
  ApplicationIntegrationType,
  ContextMenuCommandBuilder,
  InteractionContextType,
} from 'discord.js';

export const ADD_FROM_MESSAGE = 'Add to the DJ playlist';

/** A message's "Apps" menu: adds every audio file attached to it, as `/queue add file:` would, one after another. */
export const addFromMessageCommand = new ContextMenuCommandBuilder()
  .setName(ADD_FROM_MESSAGE)
  .setType(ApplicationCommandType.Message)
  .setContexts(InteractionContextType.Guild)
  .setIntegrationTypes(ApplicationIntegrationType.GuildInstall);
