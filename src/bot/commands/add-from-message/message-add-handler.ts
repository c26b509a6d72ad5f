import type { Attachment } from 'discord.js';
import type { GuildStore } from '../../../db/guild-store.ts';
import { addUploads } from '../queue/add-uploads.ts';
import type { IngestDeps } from '../../adds/fetch-and-ingest.ts';
import type { MessageMenuHandler } from '../command-routes.ts';
import type { LazyScorer } from '../../../ai/lazy-scorer.ts';
import { memberInfoOf } from '../member-info.ts';
import { GUILD_ONLY } from '../queue/queue-handler.ts';
import { replyEphemeral } from '../../discord/reply-result.ts';
import { linksIn, streamingAnswer, streamingService } from '../../adds/streaming-link.ts';
import { uploadLimit, uploadSize } from '../../../util/add-policy.ts';

/** Names the analyser may take, for attachments Discord gives no audio type (its type comes from the extension). */
const AUDIO_NAME = /\.(mp3|flac|wav|ogg|oga|opus|m4a|aac|aif|aiff|weba)$/i;

const isAudio = (a: Attachment): boolean =>
  a.contentType?.toLowerCase().startsWith('audio/') === true || AUDIO_NAME.test(a.name);

function noAudioIn(uploadBytes: number): string {
  return `That message has no audio file attached. Use this on a message with audio files, or add one with /queue add file: (up to ${uploadSize(uploadBytes)} for you here).`;
}

/**
 * "Add to the DJ playlist" on a message: each of its audio attachments goes through what `/queue add file:` does, for
 * the member who asked, one after another in one reply (see addUploads). Its streaming links are answered with what
 * works instead; nothing is fetched for them.
 */
export function messageAddHandler(store: GuildStore, deps: IngestDeps, scorer: LazyScorer): MessageMenuHandler {
  return async (interaction) => {
    const guildId = interaction.guildId;
    if (!guildId) return replyEphemeral(interaction, GUILD_ONLY);
    const message = interaction.targetMessage;
    const limit = uploadLimit(interaction, deps.maxBytes);
    const services = [...new Set(linksIn(message.content ?? '').flatMap((link) => streamingService(link) ?? []))];
    const audio = [...message.attachments.values()].filter(isAudio);
    if (audio.length === 0)
      return replyEphemeral(
        interaction,
        services[0] ? streamingAnswer(services[0], limit, deps.maxBytes) : noAudioIn(limit),
      );
    const notes = services.map(
      (s) => `Its ${s} link is not added: ${s} never hands over the file (upload it, or link the audio file itself).`,
    );
    const ctx = { store, guildId, member: memberInfoOf(interaction), deps, scorer };
    await addUploads(
      interaction,
      ctx,
      audio.map((a) => ({ url: a.url, name: a.name, size: a.size })),
      notes,
    );
  };
}
