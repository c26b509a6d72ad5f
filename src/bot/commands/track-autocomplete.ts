import type { AnalysisStore } from '../../db/analysis-store.ts';
import { SEARCH_LIMIT } from '../../db/library-index.ts';
import type { AutocompleteHandler } from './command-routes.ts';

const MAX_NAME = 100;

/**
 * The server library's tracks whose title contains what was typed (titles starting with it first); the value is the
 * content hash. One indexed query: no analysis is loaded.
 */
export function trackAutocomplete(analyses: AnalysisStore): AutocompleteHandler {
  return async (interaction) => {
    const guildId = interaction.guildId;
    if (!guildId) return void (await interaction.respond([]));
    const typed = String(interaction.options.getFocused());
    const found = await analyses.library.search(guildId, typed, SEARCH_LIMIT);
    await interaction.respond(
      found.map(({ hash, title, bpm, camelot }) => {
        const suffix = ` — ${Math.round(bpm)} BPM · ${camelot}`;
        const name =
          title.length + suffix.length > MAX_NAME
            ? `${title.slice(0, MAX_NAME - suffix.length - 1)}…${suffix}`
            : title + suffix;
        return { name, value: hash };
      }),
    );
  };
}
