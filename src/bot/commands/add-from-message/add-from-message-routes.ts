import type { CommandDeps } from '../command-deps.ts';
import type { MessageMenuRoutes } from '../command-routes.ts';
import { addFromMessageCommand } from './add-from-message-command.ts';
import { messageAddHandler } from './message-add-handler.ts';

/** "Add to the DJ playlist" in a message's Apps menu. */
export const addFromMessageRoutes: MessageMenuRoutes<CommandDeps> = {
  definition: addFromMessageCommand,
  handler: (d) => messageAddHandler(d.store, d.ingest, d.lazyScorer),
};
