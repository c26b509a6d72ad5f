import type { ButtonHandler } from './interaction-router.ts';
import { UNKNOWN_BUTTON } from './interaction-router.ts';
import { PANEL_ACTIONS } from './panel-card.ts';
import type { PanelAction } from './panel-card.ts';
import { showPlayOrder } from './queue-list.ts';
import type { QueueListDeps } from './queue-list.ts';
import { replyEphemeral } from './reply-result.ts';
import { controlSet } from './set-controls.ts';
import type { ControlDeps } from './set-controls.ts';

/**
 * The panel's buttons do what their commands do, with the same permissions: pause, resume, skip (a vote from a
 * listener, at once from a DJ), stop; Queue shows the coming play order. The answer goes to the member alone: the
 * panel itself shows the change.
 */
export function panelButtonHandler(deps: ControlDeps & QueueListDeps): ButtonHandler {
  return async (interaction, argument) => {
    const action = PANEL_ACTIONS.find((a) => a === argument) as PanelAction | undefined;
    if (!action) return replyEphemeral(interaction, UNKNOWN_BUTTON);
    if (action === 'queue') return showPlayOrder(deps, interaction, 1, false);
    await controlSet(deps, interaction, action, false);
  };
}
