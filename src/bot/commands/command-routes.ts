import type { AutocompleteInteraction, ButtonInteraction, ChatInputCommandInteraction, MessageContextMenuCommandInteraction } from 'discord.js';

export type CommandHandler = (interaction: ChatInputCommandInteraction) => Promise<void>;
export type ButtonHandler = (interaction: ButtonInteraction, argument: string) => Promise<void>;
export type AutocompleteHandler = (interaction: AutocompleteInteraction) => Promise<void>;
export type MessageMenuHandler = (interaction: MessageContextMenuCommandInteraction) => Promise<void>;

/** Handlers keyed by `"name subcommand"` (e.g. `"queue list"`) or by `"name"` for commands without subcommands. */
export type CommandHandlers = Readonly<Record<string, CommandHandler>>;

export interface InteractionHandlers {
  commands: CommandHandlers;
  /** By custom-id prefix (e.g. `"vote:"`); the handler gets the rest of the id. */
  buttons?: Readonly<Record<string, ButtonHandler>>;
  /** By the same keys as commands. */
  autocomplete?: Readonly<Record<string, AutocompleteHandler>>;
  /** A message's Apps menu, by command name. */
  messageMenus?: Readonly<Record<string, MessageMenuHandler>>;
}
