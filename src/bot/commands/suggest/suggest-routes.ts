import type { CommandDeps } from '../command-deps.ts';
import { route } from '../command-routes.ts';
import type { SlashCommandRoutes } from '../command-routes.ts';
import { trackAutocomplete } from '../track-autocomplete.ts';
import { queueButtonHandler } from './queue-button.ts';
import { suggestCommand } from './suggest-command.ts';
import { suggestHandler } from './suggest-handler.ts';
import { QUEUE_BUTTON_PREFIX } from './suggest-reply.ts';

/** `/suggest`: its handler and the options it reads; the "Queue" buttons of its answer. */
export const suggestRoutes: SlashCommandRoutes<CommandDeps> = {
  definition: suggestCommand,
  run: route(
    ['track', 'count'],
    // By default after the song playing.
    (d) =>
      suggestHandler(d.store, d.analyses, d.lazyScorer, (guildId) => d.sets.get(guildId)?.nowPlaying()?.track.hash),
    (d) => trackAutocomplete(d.analyses),
  ),
  buttons: { [QUEUE_BUTTON_PREFIX]: (d) => queueButtonHandler(d.store, d.analyses) },
};
