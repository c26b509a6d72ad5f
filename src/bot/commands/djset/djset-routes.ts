import { PANEL_BUTTON_PREFIX } from '../../live/panel-card.ts';
import { VOTE_BUTTON_PREFIX } from '../../live/now-mixing-message.ts';
import { mixStyleOf } from '../../live/server-mix-style.ts';
import type { CommandDeps } from '../command-deps.ts';
import { route } from '../command-routes.ts';
import type { SlashCommandRoutes } from '../command-routes.ts';
import { djsetCommand } from './djset-command.ts';
import { djsetStart, djsetStatus } from './djset-handler.ts';
import { panelButtonHandler } from './panel-buttons.ts';
import { setControl } from './set-controls.ts';
import { settingsHandler } from './settings-handler.ts';
import { voteButtonHandler } from './vote-button.ts';

/** `/djset`: each subcommand's handler and the options it reads; the live panel's buttons and the 👍/👎 under a mix. */
export const djsetRoutes: SlashCommandRoutes<CommandDeps> = {
  definition: djsetCommand,
  subcommands: {
    start: route(['channel', 'order'], (d) => djsetStart(d)),
    stop: route([], (d) => setControl(d, 'stop')),
    skip: route([], (d) => setControl(d, 'skip')),
    pause: route([], (d) => setControl(d, 'pause')),
    resume: route([], (d) => setControl(d, 'resume')),
    status: route([], (d) => djsetStatus(d)),
    settings: route(
      [
        'dj_role',
        'order',
        'max_queued',
        'adds_per_minute',
        'stay',
        'pause_minutes',
        'songs',
        'transition_bars',
        'clear_dj_role',
        'announce',
      ],
      // A live set takes up a new mix style from its next transition.
      (d) => settingsHandler(d.store, (guildId, settings) => d.sets.get(guildId)?.setMixStyle(mixStyleOf(settings))),
    ),
  },
  buttons: {
    [PANEL_BUTTON_PREFIX]: (d) => panelButtonHandler(d),
    [VOTE_BUTTON_PREFIX]: (d) => voteButtonHandler(d.store, d.feedback),
  },
};
