import { liveStarter } from '../command-deps.ts';
import type { CommandDeps } from '../command-deps.ts';
import { route } from '../command-routes.ts';
import type { SlashCommandRoutes } from '../command-routes.ts';
import { trackAutocomplete } from '../track-autocomplete.ts';
import { queueAddHandler } from './queue-add-handler.ts';
import { queueCommand } from './queue-command.ts';
import { FILE_OPTIONS } from '../../../util/add-policy.ts';
import { queueClear, queueHistory, queueMove, queueRemove } from './queue-handler.ts';
import { queueListHandler } from './queue-list.ts';

/** `/queue`: each subcommand's handler and the options it reads. */
export const queueRoutes: SlashCommandRoutes<CommandDeps> = {
  definition: queueCommand,
  subcommands: {
    add: route(
      [...FILE_OPTIONS, 'url', 'track'],
      (d) => queueAddHandler(d.store, d.ingest, d.lazyScorer),
      (d) => trackAutocomplete(d.analyses),
    ),
    list: route(['page'], (d) => queueListHandler(d)),
    remove: route(['position'], (d) => queueRemove(d.store, liveStarter(d))),
    move: route(['from', 'to'], (d) => queueMove(d.store, liveStarter(d))),
    clear: route([], (d) => queueClear(d.store, liveStarter(d))),
    history: route(['page'], (d) => queueHistory(d.store)),
  },
};
