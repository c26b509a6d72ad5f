import { suggestNext } from '../ai/suggest.ts';
import type { AnalysisStore, StoredAnalysis } from '../db/analysis-store.ts';
import type { GuildStore, PlaylistEntry } from '../db/guild-store.ts';
import type { CommandHandler } from './interaction-router.ts';
import { FAILED } from './interaction-router.ts';
import type { LazyScorer } from './lazy-scorer.ts';
import { GUILD_ONLY } from './queue-handler.ts';
import { failDeferred, replyEphemeral } from './reply-result.ts';
import { findTrack, hasTracks, libraryTitle, libraryTrack, tempoCandidates, toLibraryEntry } from './server-library.ts';
import { suggestReply } from './suggest-reply.ts';
import { displayTitle } from './track-title.ts';

export const EMPTY_LIBRARY = 'The server library is empty. Add songs with /queue add, then ask again.';
export const NOTHING_QUEUED = 'Nothing is queued to suggest after. Name a track: /suggest track:<title>.';

export function trackNotFound(query: string): string {
  return `No track in the server library matches "${displayTitle(query)}". Use its title or the start of its content hash.`;
}

const DEFAULT_COUNT = 5;

/**
 * `/suggest [track] [count]`: what mixes well after a track — by default the one playing, or with no set playing the
 * most recently added playlist entry.
 */
export function suggestHandler(store: GuildStore, analyses: AnalysisStore, scorer: LazyScorer, playing: (guildId: string) => string | undefined = () => undefined): CommandHandler {
  return async (interaction) => {
    const guildId = interaction.guildId;
    if (!guildId) return replyEphemeral(interaction, GUILD_ONLY);
    const state = await store.get(guildId);
    if (!(await hasTracks(analyses, guildId, 1))) return replyEphemeral(interaction, EMPTY_LIBRARY);

    const query = interaction.options.getString('track');
    let from: StoredAnalysis | undefined;
    if (query !== null) {
      from = await findTrack(analyses, guildId, query);
      if (!from) return replyEphemeral(interaction, trackNotFound(query));
    } else if (playing(guildId)) {
      from = await libraryTrack(analyses, guildId, playing(guildId)!);
      if (!from) return replyEphemeral(interaction, NOTHING_QUEUED);
    } else {
      const latest = state.playlist.reduce<PlaylistEntry | undefined>((a, e) => (!a || e.addedAt >= a.addedAt ? e : a), undefined);
      if (!latest) return replyEphemeral(interaction, NOTHING_QUEUED);
      from = await libraryTrack(analyses, guildId, latest.hash);
      if (!from) return replyEphemeral(interaction, `"${displayTitle(latest.title)}" is no longer in the server library. Name another track: /suggest track:<title>.`);
    }
    const title = libraryTitle(from);
    if (!(await hasTracks(analyses, guildId, 2))) return replyEphemeral(interaction, suggestReply(title, []).content ?? EMPTY_LIBRARY);

    await interaction.deferReply();
    try {
      const count = interaction.options.getInteger('count') ?? DEFAULT_COUNT;
      // Scored: the tracks nearest in tempo (half/double time too), not the whole library.
      const candidates = await tempoCandidates(analyses, guildId, from.analysis, new Set([from.hash]));
      const suggestions = await suggestNext(await scorer.get(), toLibraryEntry(from), candidates.map(toLibraryEntry), count);
      await interaction.editReply({ content: '', ...suggestReply(title, suggestions), allowedMentions: { parse: [] } });
    } catch (error) {
      await failDeferred(interaction, FAILED);
      throw error;
    }
  };
}
