import { addFromMessageRoutes } from './add-from-message/add-from-message-routes.ts';
import type { CommandDeps } from './command-deps.ts';
import type { CommandSet } from './command-routes.ts';
import { djsetRoutes } from './djset/djset-routes.ts';
import { queueRoutes } from './queue/queue-routes.ts';
import { suggestRoutes } from './suggest/suggest-routes.ts';

/** Every command with its handlers: what is registered and what is routed come from this one list. */
export const COMMANDS: CommandSet<CommandDeps> = {
  slash: [queueRoutes, djsetRoutes, suggestRoutes],
  menus: [addFromMessageRoutes],
};

/** The slash commands' definitions. */
export const SLASH_COMMANDS = COMMANDS.slash.map((c) => c.definition);

/** Every command the bot registers: the slash commands, then the message menu's. */
export const ALL_COMMANDS = [...SLASH_COMMANDS, ...COMMANDS.menus.map((m) => m.definition)];
