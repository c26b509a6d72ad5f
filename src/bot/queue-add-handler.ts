import type { Attachment, ChatInputCommandInteraction } from 'discord.js';
import type { TrackAnalysis } from '../audio/analysis-types.ts';
import type { GuildStore, PlaylistEntry } from '../db/guild-store.ts';
import { UserFacingError } from '../util/user-facing-error.ts';
import { fetchAndIngest } from './fetch-and-ingest.ts';
import type { IngestDeps } from './fetch-and-ingest.ts';
import type { CommandHandler } from './interaction-router.ts';
import { FAILED } from './interaction-router.ts';
import { memberInfoOf } from './member-info.ts';
import { addToQueue } from './queue-operations.ts';
import { GUILD_ONLY } from './queue-handler.ts';
import { replyEphemeral } from './reply-result.ts';
import { findTrack, libraryTitle, loadLibrary } from './server-library.ts';
import { titleFromSource } from './track-title.ts';
import type { LazyScorer } from './lazy-scorer.ts';
import { energyLabel, neighbourFit } from './neighbour-fit.ts';
import { trackSummary } from './track-summary.ts';

export const NOTHING_TO_ADD = 'Give a file, a url or a track to add.';
export const ONLY_ONE = 'Give only one of file, url or track.';

export function unknownTrack(query: string): string {
  return `No track in the server library matches "${query.slice(0, 100)}". Use its title or the start of its content hash, or add it with file or url.`;
}

const quiet = { allowedMentions: { parse: [] } } as const;

interface Resolved {
  hash: string;
  title: string;
  analysis: TrackAnalysis;
}

/** `/queue add file:|url:|track:` — a download is deferred and analysed; the reply is edited with the outcome. */
export function queueAddHandler(store: GuildStore, deps: IngestDeps, scorer: LazyScorer): CommandHandler {
  return async (interaction) => {
    const guildId = interaction.guildId;
    if (!guildId) return replyEphemeral(interaction, GUILD_ONLY);
    const file = interaction.options.getAttachment('file');
    const url = interaction.options.getString('url');
    const track = interaction.options.getString('track');
    const given = [file, url, track].filter((v) => v !== null).length;
    if (given === 0) return replyEphemeral(interaction, NOTHING_TO_ADD);
    if (given > 1) return replyEphemeral(interaction, ONLY_ONE);

    if (track !== null) {
      const found = findTrack(await loadLibrary(deps.analyses), track);
      if (!found) return replyEphemeral(interaction, unknownTrack(track));
      const result = await add(interaction, guildId, store, { hash: found.hash, title: libraryTitle(found), analysis: found.analysis }, deps, scorer);
      if (result.ok) await interaction.reply({ content: result.message, ...quiet });
      else await replyEphemeral(interaction, result.message);
      return;
    }

    await interaction.deferReply();
    try {
      const resolved = await download(file, url!, deps);
      const result = await add(interaction, guildId, store, resolved, deps, scorer);
      await interaction.editReply({ content: result.message, ...quiet });
    } catch (error) {
      const userFacing = error instanceof UserFacingError;
      await interaction.editReply({ content: userFacing ? error.message : FAILED, ...quiet });
      if (!userFacing) throw error;
    }
  };
}

async function download(file: Attachment | null, url: string, deps: IngestDeps): Promise<Resolved> {
  const source = file ? file.url : url;
  const title = titleFromSource(file ? file.name : url);
  const { contentHash, analysis } = await fetchAndIngest(source, title, deps);
  return { hash: contentHash, title, analysis };
}

async function add(interaction: ChatInputCommandInteraction, guildId: string, store: GuildStore, track: Resolved, deps: IngestDeps, scorer: LazyScorer): Promise<{ ok: boolean; message: string }> {
  const result = await addToQueue(store, guildId, memberInfoOf(interaction), { hash: track.hash, title: track.title }, new Date());
  if (!result.ok) return result;
  const summary = `${trackSummary(track.analysis)}, ${energyLabel(track.analysis)}`;
  return { ok: true, message: `Added "${result.entry.title}" at position ${result.position} — ${summary}.${await fitAfter(result.previous, track, deps, scorer)}` };
}

/** How the track follows the entry queued before it; nothing when it is first or the scorer is unavailable. */
async function fitAfter(previous: PlaylistEntry | undefined, track: Resolved, deps: IngestDeps, scorer: LazyScorer): Promise<string> {
  const record = previous ? await deps.analyses.get(previous.hash) : undefined;
  if (!previous || !record) return '';
  try {
    return ` ${await neighbourFit(await scorer.get(), { title: previous.title, analysis: record.analysis }, track.analysis)}`;
  } catch {
    return '';
  }
}
