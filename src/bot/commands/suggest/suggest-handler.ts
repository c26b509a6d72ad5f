import { suggestNext } from '../../../ai/suggest.ts';
import type { AnalysisStore } from '../../../db/analysis-store.ts';
import type { GuildState, GuildStore, PlaylistEntry } from '../../../db/guild-store.ts';
import type { RouteHandler } from '../command-routes.ts';
import type { LazyScorer } from '../../../ai/lazy-scorer.ts';
import { GUILD_ONLY } from '../queue/queue-handler.ts';
import { replyEphemeral } from '../../discord/reply-result.ts';
import { TimelyAnswer } from '../../discord/timely-answer.ts';
import {
  findTrack,
  hasTracks,
  libraryTrack,
  tempoCandidates,
  toLibraryEntry,
} from '../../../library/server-library.ts';
import type { ServerTrack } from '../../../library/server-library.ts';
import { suggestReply } from './suggest-reply.ts';
import { displayTitle } from '../../discord/track-title.ts';

export const EMPTY_LIBRARY = 'The server library is empty. Add songs with /queue add, then ask again.';
const NOTHING_QUEUED = 'Nothing is queued to suggest after. Name a track: /suggest track:<title>.';

function trackNotFound(query: string): string {
  return `No track in the server library matches "${displayTitle(query)}". Use its title or the start of its content hash.`;
}

const DEFAULT_COUNT = 5;

/**
 * `/suggest [track] [count]`: what mixes well after a track — by default the one playing, or with no set playing the
 * most recently added playlist entry.
 */
export function suggestHandler(
  store: GuildStore,
  analyses: AnalysisStore,
  scorer: LazyScorer,
  playing: (guildId: string) => string | undefined = () => undefined,
): RouteHandler<'track' | 'count'> {
  return async (interaction, options) => {
    const guildId = interaction.guildId;
    if (!guildId) return replyEphemeral(interaction, GUILD_ONLY);
    // Several reads before the answer: acknowledged in time if they are slow.
    const answer = new TimelyAnswer(interaction, false);
    try {
      const from = await suggestAfter(
        analyses,
        guildId,
        await store.get(guildId),
        options.getString('track'),
        playing(guildId),
      );
      if (typeof from === 'string') return await answer.send({ ok: false, message: from });
      const title = from.title;
      if (!(await hasTracks(analyses, guildId, 2)))
        return await answer.send({ ok: false, message: suggestReply(title, []).content ?? EMPTY_LIBRARY });
      await answer.defer();
      const count = options.getInteger('count') ?? DEFAULT_COUNT;
      // Scored: the tracks nearest in tempo (half/double time too), not the whole library.
      const candidates = await tempoCandidates(analyses, guildId, from.analysis, new Set([from.hash]));
      const suggestions = await suggestNext(
        await scorer.get(),
        toLibraryEntry(from),
        candidates.map(toLibraryEntry),
        count,
      );
      await interaction.editReply({ content: '', ...suggestReply(title, suggestions), allowedMentions: { parse: [] } });
    } catch (error) {
      await answer.abandon();
      throw error;
    }
  };
}

/** The track to suggest after (the one named, the one playing, or the latest added), or why there is none. */
async function suggestAfter(
  analyses: AnalysisStore,
  guildId: string,
  state: GuildState,
  query: string | null,
  playingHash: string | undefined,
): Promise<ServerTrack | string> {
  if (!(await hasTracks(analyses, guildId, 1))) return EMPTY_LIBRARY;
  if (query !== null) return (await findTrack(analyses, guildId, query)) ?? trackNotFound(query);
  if (playingHash) return (await libraryTrack(analyses, guildId, playingHash)) ?? NOTHING_QUEUED;
  const latest = state.playlist.reduce<PlaylistEntry | undefined>(
    (a, e) => (!a || e.addedAt >= a.addedAt ? e : a),
    undefined,
  );
  if (!latest) return NOTHING_QUEUED;
  return (
    (await libraryTrack(analyses, guildId, latest.hash)) ??
    `"${displayTitle(latest.title)}" is no longer in the server library. Name another track: /suggest track:<title>.`
  );
}
