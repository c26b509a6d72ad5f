import { RESTJSONErrorCodes } from 'discord.js';
import type {
  AutocompleteInteraction,
  ChatInputCommandInteraction,
  Interaction,
  RepliableInteraction,
} from 'discord.js';
import type { InteractionHandlers } from './commands/command-routes.ts';
import { FAILED, failDeferred, NOT_AVAILABLE, replyEphemeral, UNKNOWN_BUTTON } from './discord/reply-result.ts';

function routeKey(interaction: ChatInputCommandInteraction | AutocompleteInteraction): string {
  const sub = interaction.options.getSubcommand(false);
  return sub ? `${interaction.commandName} ${sub}` : interaction.commandName;
}

/**
 * An answer Discord refused because the interaction had expired (10062: not acknowledged within 3 s): logged as such,
 * with what it answered and how late, never taken for an ordinary failure (or passed over).
 */
function tooLate(what: string, interaction: Interaction, error: unknown): Error | undefined {
  if ((error as { code?: unknown }).code !== RESTJSONErrorCodes.UnknownInteraction) return undefined;
  const ms = Date.now() - interaction.createdTimestamp;
  return new Error(
    `${what} was answered too late: Discord no longer knew the interaction (10062), ${ms} ms after it was sent.`,
    { cause: error },
  );
}

function own<T>(table: Readonly<Record<string, T>> | undefined, key: string): T | undefined {
  return table && Object.hasOwn(table, key) ? table[key] : undefined;
}

/**
 * Routes slash commands, buttons, message menus and autocomplete to their handlers. A handler that throws gets the member an
 * ephemeral apology (when nothing was sent yet; after a deferral, in place of it) and the error is passed to `onError`; autocomplete answers nothing.
 */
export function createInteractionRouter(
  table: InteractionHandlers,
  onError: (error: unknown) => void = () => {},
): (interaction: Interaction) => Promise<void> {
  const guard = async (interaction: RepliableInteraction, what: string, run: () => Promise<void>): Promise<void> => {
    try {
      await run();
    } catch (error) {
      onError(tooLate(what, interaction, error) ?? error);
      // Expired or already answered elsewhere (10062): there is nothing left to answer it with.
      if (interaction.replied || (error as { code?: unknown }).code === RESTJSONErrorCodes.UnknownInteraction) return;
      // Deferred publicly and then failed: the apology goes to the member alone.
      await (interaction.deferred ? failDeferred(interaction, FAILED) : replyEphemeral(interaction, FAILED)).catch(
        onError,
      );
    }
  };
  return async (interaction) => {
    if (interaction.isChatInputCommand()) {
      const handler = own(table.commands, routeKey(interaction));
      await guard(interaction, `/${routeKey(interaction)}`, () =>
        handler ? handler(interaction) : replyEphemeral(interaction, NOT_AVAILABLE),
      );
    } else if (interaction.isButton()) {
      const prefix = Object.keys(table.buttons ?? {}).find((p) => interaction.customId.startsWith(p));
      const handler = prefix === undefined ? undefined : own(table.buttons, prefix);
      await guard(interaction, `the ${prefix ?? 'unknown'} button`, () =>
        handler
          ? handler(interaction, interaction.customId.slice(prefix!.length))
          : replyEphemeral(interaction, UNKNOWN_BUTTON),
      );
    } else if (interaction.isMessageContextMenuCommand()) {
      const handler = own(table.messageMenus, interaction.commandName);
      await guard(interaction, `the ${interaction.commandName} menu`, () =>
        handler ? handler(interaction) : replyEphemeral(interaction, NOT_AVAILABLE),
      );
    } else if (interaction.isAutocomplete()) {
      const handler = own(table.autocomplete, routeKey(interaction));
      try {
        await (handler ? handler(interaction) : interaction.respond([]));
      } catch (error) {
        onError(tooLate(`autocomplete of /${routeKey(interaction)}`, interaction, error) ?? error);
      }
    }
  };
}
