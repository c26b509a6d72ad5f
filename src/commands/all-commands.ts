import { djsetCommand } from './djset.ts';
import { queueCommand } from './queue.ts';
import { suggestCommand } from './suggest.ts';

/** Every slash command the bot registers. */
export const ALL_COMMANDS = [queueCommand, djsetCommand, suggestCommand];
