import type { ChatInputCommandInteraction } from 'discord.js';
import type { JobStatus } from '../audio/analysis/analyzer-pool.ts';
import type { TrackAnalysis } from '../audio/analysis/analysis-types.ts';
import type { GuildStore, PlaylistEntry } from '../db/guild-store.ts';
import { UserFacingError } from '../util/user-facing-error.ts';
import { tooLarge } from '../ingest/save-body.ts';
import { fetchAndIngest } from './fetch-and-ingest.ts';
import type { IngestDeps } from './fetch-and-ingest.ts';
import type { CommandHandler } from './interaction-router.ts';
import { FAILED } from './interaction-router.ts';
import { memberInfoOf } from './member-info.ts';
import { addToQueue, completeAdd, releaseAdd, reserveAdd } from './queue-operations.ts';
import type { AddResult } from './queue-operations.ts';
import { GUILD_ONLY } from './queue-handler.ts';
import { failDeferred, replyEphemeral, settleDeferred } from './reply-result.ts';
import { findTrack, libraryTitle } from './server-library.ts';
import { displayTitle, titleFromSource } from './track-title.ts';
import type { LazyScorer } from './lazy-scorer.ts';
import { energyLabel, neighbourFit } from './neighbour-fit.ts';
import { trackSummary } from './track-summary.ts';

export const NOTHING_TO_ADD = 'Give a file, a url or a track to add.';
export const ONLY_ONE = 'Give only one of file, url or track.';

export function unknownTrack(query: string): string {
  return `No track in the server library matches "${displayTitle(query)}". Use its title or the start of its content hash, or add it with file or url.`;
}

const quiet = { allowedMentions: { parse: [] } } as const;
const PROGRESS_EVERY_MS = 3000;

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
      const found = await findTrack(deps.analyses, guildId, track);
      if (!found) return replyEphemeral(interaction, unknownTrack(track));
      // How it follows the song before it is scored (the scorer may still have to load): acknowledged first.
      await interaction.deferReply();
      const result = await add(interaction, guildId, store, { hash: found.hash, title: libraryTitle(found), analysis: found.analysis }, deps, scorer);
      return settleDeferred(interaction, result, false);
    }

    // Discord says an attachment's size: one over the limit is refused before anything is held or fetched.
    if (file && file.size > deps.maxBytes) return replyEphemeral(interaction, tooLarge(deps.maxBytes).message);
    const member = memberInfoOf(interaction);
    const source = file ? file.url : url!;
    const reserved = await reserveAdd(store, guildId, member, source, new Date());
    if (!reserved.ok) return replyEphemeral(interaction, reserved.message);

    await interaction.deferReply();
    const progress = jobProgress(interaction);
    try {
      const title = titleFromSource(file ? file.name : url!);
      const { contentHash, analysis, evicted } = await fetchAndIngest(source, title, deps, { owner: guildId, onStatus: progress.tell });
      progress.done();
      const result = await completeAdd(store, guildId, member, reserved.pending.id, { hash: contentHash, title }, new Date());
      const made = evicted > 0 ? ` To keep the bot's library under its disk quota, ${evicted === 1 ? '1 track' : `${evicted} tracks`} that no playlist holds and that played least recently ${evicted === 1 ? 'was' : 'were'} removed from it.` : '';
      const text = (await outcome(result, { hash: contentHash, title, analysis }, deps, scorer)) + made;
      await (result.ok ? interaction.editReply({ content: text, ...quiet }) : failDeferred(interaction, text));
    } catch (error) {
      progress.done();
      await releaseAdd(store, guildId, reserved.pending.id).catch(() => undefined);
      const userFacing = error instanceof UserFacingError;
      await failDeferred(interaction, userFacing ? error.message : FAILED);
      if (!userFacing) throw error;
    }
  };
}

/** Edits the deferred reply with where the analysis job stands, at most once every few seconds (Discord's limits). */
function jobProgress(interaction: ChatInputCommandInteraction): { tell: (status: JobStatus) => void; done: () => void } {
  let last = 0;
  let finished = false;
  return {
    tell: (status) => {
      const now = Date.now();
      if (finished || (status.state === 'queued' && now - last < PROGRESS_EVERY_MS)) return;
      last = now;
      const content = status.state === 'analysing' ? 'Analysing…' : `Waiting for the analyser: ${status.ahead === 0 ? 'yours is next' : `${status.ahead} ${status.ahead === 1 ? 'song' : 'songs'} ahead of yours`}.`;
      void interaction.editReply({ content, ...quiet }).catch(() => undefined);
    },
    done: () => {
      finished = true;
    },
  };
}

async function add(interaction: ChatInputCommandInteraction, guildId: string, store: GuildStore, track: Resolved, deps: IngestDeps, scorer: LazyScorer): Promise<{ ok: boolean; message: string }> {
  const result = await addToQueue(store, guildId, memberInfoOf(interaction), { hash: track.hash, title: track.title }, new Date());
  return { ok: result.ok, message: await outcome(result, track, deps, scorer) };
}

async function outcome(result: AddResult, track: Resolved, deps: IngestDeps, scorer: LazyScorer): Promise<string> {
  if (!result.ok) return result.message;
  const summary = `${trackSummary(track.analysis)}, ${energyLabel(track.analysis)}`;
  return `Added "${displayTitle(result.entry.title)}" at position ${result.position} — ${summary}.${await fitAfter(result.previous, track, deps, scorer)}`;
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
