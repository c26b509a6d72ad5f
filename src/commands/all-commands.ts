import { addFromMessageCommand } from './add-from-message.ts';
import { djsetCommand } from './djset.ts';
import { queueCommand } from './queue.ts';
import { suggestCommand } from './suggest.ts';

/** The slash commands. */
export const SLASH_COMMANDS = [queueCommand, djsetCommand, suggestCommand];

/** Every command the bot registers: the slash commands, then the message menu's. */
export const ALL_COMMANDS = [...SLASH_COMMANDS, addFromMessageCommand];
