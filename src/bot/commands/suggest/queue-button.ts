import type { AnalysisStore } from '../../../db/analysis-store.ts';
import type { GuildStore } from '../../../db/guild-store.ts';
import type { ButtonHandler } from '../command-routes.ts';
import { memberInfoOf } from '../member-info.ts';
import { energyLabel } from '../../adds/neighbour-fit.ts';
import { addToQueue } from '../../playlist/queue-operations.ts';
import { GUILD_ONLY } from '../queue/queue-handler.ts';
import { replyEphemeral } from '../../discord/reply-result.ts';
import { answerInTime } from '../../discord/timely-answer.ts';
import { libraryTrack } from '../../../library/server-library.ts';
import { trackSummary } from '../../adds/track-summary.ts';

export const TRACK_GONE = 'That track is no longer in the server library. Ask /suggest again.';

/** "Queue" on a /suggest answer: adds that library track for whoever pressed it, under the same limits as /queue add. */
export function queueButtonHandler(store: GuildStore, analyses: AnalysisStore): ButtonHandler {
  return async (interaction, hash) => {
    const guildId = interaction.guildId;
    if (!guildId) return replyEphemeral(interaction, GUILD_ONLY);
    await answerInTime(interaction, false, async () => {
      const record = /^[0-9a-f]{64}$/.test(hash) ? await libraryTrack(analyses, guildId, hash) : undefined;
      if (!record) return { ok: false, message: TRACK_GONE };
      const result = await addToQueue(
        store,
        guildId,
        memberInfoOf(interaction),
        { hash, title: record.title },
        new Date(),
      );
      return result.ok
        ? {
            ok: true,
            message: `${result.message.slice(0, -1)} — ${trackSummary(record.analysis)}, ${energyLabel(record.analysis)}.`,
          }
        : result;
    });
  };
}
