import { addFromMessageCommand } from './add-from-message/add-from-message-command.ts';
import { djsetCommand } from './djset/djset-command.ts';
import { queueCommand } from './queue/queue-command.ts';
import { suggestCommand } from './suggest/suggest-command.ts';

/** The slash commands. */
export const SLASH_COMMANDS = [queueCommand, djsetCommand, suggestCommand];

/** Every command the bot registers: the slash commands, then the message menu's. */
export const ALL_COMMANDS = [...SLASH_COMMANDS, addFromMessageCommand];
