import type { AnalysisStore } from '../db/analysis-store.ts';
import type { GuildStore } from '../db/guild-store.ts';
import type { AutocompleteHandler } from './interaction-router.ts';
import { libraryTitle, loadLibrary } from './server-library.ts';

const MAX_CHOICES = 25;
const MAX_NAME = 100;

/** The server library's tracks whose title contains what was typed (titles starting with it first); the value is the content hash. */
export function trackAutocomplete(store: GuildStore, analyses: AnalysisStore): AutocompleteHandler {
  return async (interaction) => {
    const guildId = interaction.guildId;
    if (!guildId) return void (await interaction.respond([]));
    const typed = String(interaction.options.getFocused()).trim().toLowerCase();
    const library = await loadLibrary(analyses, await store.get(guildId));
    const scored = library
      .map((r) => ({ r, title: libraryTitle(r), at: libraryTitle(r).toLowerCase().indexOf(typed) }))
      .filter((x) => x.at >= 0)
      .sort((a, b) => Number(a.at !== 0) - Number(b.at !== 0) || a.title.localeCompare(b.title));
    await interaction.respond(
      scored.slice(0, MAX_CHOICES).map(({ r, title }) => {
        const suffix = ` — ${Math.round(r.analysis.bpm)} BPM · ${r.analysis.camelot}`;
        const name = title.length + suffix.length > MAX_NAME ? `${title.slice(0, MAX_NAME - suffix.length - 1)}…${suffix}` : title + suffix;
        return { name, value: r.hash };
      }),
    );
  };
}
