import type { ChatInputCommandInteraction } from 'discord.js';
import type { JobStatus } from '../../../audio/analysis/analyzer-pool.ts';
import {
  attachmentTooLarge,
  FILE_OPTIONS,
  linkTooLong,
  MAX_LINK_CHARS,
  uploadLimit,
  uploadSize,
} from '../../../util/add-policy.ts';
import type { FileOption } from '../../../util/add-policy.ts';
import type { GuildStore } from '../../../db/guild-store.ts';
import { UserFacingError } from '../../../util/user-facing-error.ts';
import { addOutcome } from '../../adds/add-outcome.ts';
import type { ResolvedTrack } from '../../adds/add-outcome.ts';
import { addUploads } from './add-uploads.ts';
import type { IngestDeps } from '../../adds/fetch-and-ingest.ts';
import type { RouteHandler } from '../command-routes.ts';
import { FAILED } from '../../discord/reply-result.ts';
import { landDownload } from '../../adds/land-download.ts';
import { memberInfoOf } from '../member-info.ts';
import { addToQueue, reserveAdd } from '../../playlist/queue-operations.ts';
import { GUILD_ONLY } from './queue-handler.ts';
import { failDeferred, replyEphemeral, settleDeferred, showProgress } from '../../discord/reply-result.ts';
import { findTrack } from '../../../library/server-library.ts';
import { streamingAnswer, streamingService } from '../../adds/streaming-link.ts';
import { displayTitle } from '../../discord/track-title.ts';
import type { LazyScorer } from '../../../ai/lazy-scorer.ts';

/** What to give, with the largest file the member can upload here. */
function nothingToAdd(uploadBytes: number): string {
  return `Give a file (up to ${uploadSize(uploadBytes)} for you here), a url or a track to add.`;
}
const ONLY_ONE = 'Give files, a url or a track: only one kind at a time.';

export function unknownTrack(query: string): string {
  return `No track in the server library matches "${displayTitle(query)}". Use its title or the start of its content hash, or add it with file or url.`;
}

const quiet = { allowedMentions: { parse: [] } } as const;
const PROGRESS_EVERY_MS = 3000;

/**
 * `/queue add file:…file5:|url:|track:` — a download is deferred and analysed; the reply is edited with the outcome.
 * Several files are added one after another, in one reply (see addUploads).
 */
export function queueAddHandler(
  store: GuildStore,
  deps: IngestDeps,
  scorer: LazyScorer,
): RouteHandler<FileOption | 'url' | 'track'> {
  return async (interaction, options) => {
    const guildId = interaction.guildId;
    if (!guildId) return replyEphemeral(interaction, GUILD_ONLY);
    const files = FILE_OPTIONS.flatMap((name) => options.getAttachment(name) ?? []);
    const file = files[0] ?? null;
    const url = options.getString('url');
    const track = options.getString('track');
    const given = [file, url, track].filter((v) => v !== null).length;
    if (given === 0) return replyEphemeral(interaction, nothingToAdd(uploadLimit(interaction, deps.maxBytes)));
    if (given > 1) return replyEphemeral(interaction, ONLY_ONE);
    const service = url !== null ? streamingService(url) : undefined;
    if (service)
      return replyEphemeral(
        interaction,
        streamingAnswer(service, uploadLimit(interaction, deps.maxBytes), deps.maxBytes),
      );
    if (files.length > 1) {
      const ctx = { store, guildId, member: memberInfoOf(interaction), deps, scorer };
      return addUploads(
        interaction,
        ctx,
        files.map((f) => ({ url: f.url, name: f.name, size: f.size })),
      );
    }

    if (track !== null) {
      const found = await findTrack(deps.analyses, guildId, track);
      if (!found) return replyEphemeral(interaction, unknownTrack(track));
      // How it follows the song before it is scored (the scorer may still have to load): acknowledged first.
      await interaction.deferReply();
      const result = await add(
        interaction,
        guildId,
        store,
        { hash: found.hash, title: found.title, analysis: found.analysis },
        deps,
        scorer,
      );
      return settleDeferred(interaction, result, false);
    }

    // Discord says an attachment's size: one over the limit is refused before anything is held or fetched.
    if (file && file.size > deps.maxBytes)
      return replyEphemeral(interaction, attachmentTooLarge(file.size, deps.maxBytes));
    if (url !== null && url.length > MAX_LINK_CHARS) return replyEphemeral(interaction, linkTooLong(url.length));
    const member = memberInfoOf(interaction);
    const source = file ? file.url : url!;
    const reserved = await reserveAdd(store, guildId, member, source, new Date());
    if (!reserved.ok) return replyEphemeral(interaction, reserved.message);

    await interaction.deferReply();
    const progress = jobProgress(interaction);
    try {
      const landed = await landDownload(
        { store, guildId, member, deps, scorer },
        reserved.pending.id,
        { source, name: file ? file.name : url! },
        progress.tell,
      );
      progress.done();
      await (landed.ok
        ? interaction.editReply({ content: landed.message, ...quiet })
        : failDeferred(interaction, landed.message));
    } catch (error) {
      progress.done();
      const userFacing = error instanceof UserFacingError;
      await failDeferred(interaction, userFacing ? error.message : FAILED);
      if (!userFacing) throw error;
    }
  };
}

/** Edits the deferred reply with where the analysis job stands, at most once every few seconds (Discord's limits). */
function jobProgress(interaction: ChatInputCommandInteraction): {
  tell: (status: JobStatus) => void;
  done: () => void;
} {
  let last = 0;
  let finished = false;
  return {
    tell: (status) => {
      const now = Date.now();
      if (finished || (status.state === 'queued' && now - last < PROGRESS_EVERY_MS)) return;
      last = now;
      const content =
        status.state === 'analysing'
          ? 'Analysing…'
          : `Waiting for the analyser: ${status.ahead === 0 ? 'yours is next' : `${status.ahead} ${status.ahead === 1 ? 'song' : 'songs'} ahead of yours`}.`;
      showProgress(interaction, content);
    },
    done: () => {
      finished = true;
    },
  };
}

async function add(
  interaction: ChatInputCommandInteraction,
  guildId: string,
  store: GuildStore,
  track: ResolvedTrack,
  deps: IngestDeps,
  scorer: LazyScorer,
): Promise<{ ok: boolean; message: string }> {
  const result = await addToQueue(
    store,
    guildId,
    memberInfoOf(interaction),
    { hash: track.hash, title: track.title },
    new Date(),
  );
  return { ok: result.ok, message: await addOutcome(result, track, deps, scorer) };
}
