import type { ChatInputCommandInteraction, Interaction } from 'discord.js';
import { replyEphemeral } from './reply-result.ts';

export type CommandHandler = (interaction: ChatInputCommandInteraction) => Promise<void>;

/** Handlers keyed by `"name subcommand"` (e.g. `"queue list"`) or by `"name"` for commands without subcommands. */
export type CommandHandlers = Readonly<Record<string, CommandHandler>>;

export const NOT_AVAILABLE = 'That command is not available yet.';
export const FAILED = 'Something went wrong while handling that command. Please try again.';

export function routeKey(interaction: ChatInputCommandInteraction): string {
  const sub = interaction.options.getSubcommand(false);
  return sub ? `${interaction.commandName} ${sub}` : interaction.commandName;
}

/**
 * Routes slash commands to their handlers. Other interaction kinds are ignored. A handler that throws gets the
 * member an ephemeral apology (when nothing was sent yet) and the error is passed to `onError`.
 */
export function createInteractionRouter(handlers: CommandHandlers, onError: (error: unknown) => void = () => {}): (interaction: Interaction) => Promise<void> {
  return async (interaction) => {
    if (!interaction.isChatInputCommand()) return;
    const key = routeKey(interaction);
    const handler = Object.hasOwn(handlers, key) ? handlers[key] : undefined;
    try {
      if (!handler) await replyEphemeral(interaction, NOT_AVAILABLE);
      else await handler(interaction);
    } catch (error) {
      onError(error);
      if (interaction.replied || interaction.deferred) return;
      await replyEphemeral(interaction, FAILED).catch(onError);
    }
  };
}
