import type { GuildState, PlayedTransition } from '../../../db/guild-store.ts';
import { displayTitle } from '../../discord/track-title.ts';

export const HISTORY_PAGE_SIZE = 10;
export const NOTHING_PLAYED = 'Nothing has played here yet. Start a set with /djset start.';

/** "👍 2 👎 1", and whether listeners skipped out of what it led into. */
function votesOf(t: PlayedTransition | undefined): string {
  if (!t) return '';
  const votes = Object.values(t.votes ?? {});
  const up = votes.filter((v) => v === 'up').length;
  const down = votes.filter((v) => v === 'down').length;
  const tally = up + down > 0 ? `👍 ${up} 👎 ${down}` : 'no votes';
  return ` · mixed in: ${tally}${t.skipped ? ', skipped' : ''}`;
}

/** `/queue history [page]`: newest first, who added each song, and how the transition into it was voted. */
export function historyPage(state: GuildState, page: number): { ok: boolean; message: string } {
  if (state.history.length === 0) return { ok: false, message: NOTHING_PLAYED };
  const pages = Math.ceil(state.history.length / HISTORY_PAGE_SIZE);
  if (page > pages)
    return { ok: false, message: `There ${pages === 1 ? 'is 1 page' : `are ${pages} pages`} of history.` };
  const transitions = new Map(state.transitions.map((t) => [t.id, t]));
  const newestFirst = [...state.history].reverse();
  const lines = newestFirst.slice((page - 1) * HISTORY_PAGE_SIZE, page * HISTORY_PAGE_SIZE).map((h, i) => {
    const n = (page - 1) * HISTORY_PAGE_SIZE + i + 1;
    const who = h.requesterId
      ? `added by <@${h.requesterId}>`
      : h.addedAt
        ? 'from the playlist'
        : 'from the server library';
    const when = `<t:${Math.floor(Date.parse(h.playedAt) / 1000)}:R>`;
    return `${n}. **${h.title !== undefined ? displayTitle(h.title) : h.hash.slice(0, 12)}** — ${who}, ${when}${votesOf(h.transitionId ? transitions.get(h.transitionId) : undefined)}`;
  });
  return {
    ok: true,
    message: [`Played here (page ${page} of ${pages}, newest first):`, ...lines].join('\n').slice(0, 2000),
  };
}
