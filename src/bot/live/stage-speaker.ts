import { RESTJSONErrorCodes, Routes } from 'discord.js';
import type { Client } from 'discord.js';
import type { StageVoice } from './voice-checks.ts';
import { cannotSpeakOnStage } from './voice-checks.ts';

/**
 * Makes the bot heard on a stage it has joined: a speaker at once with Mute Members, or a request to speak that a
 * stage moderator accepts. Returns what the reply should add; throws a member-facing error when Discord refuses.
 */
export async function takeTheStage(
  client: Client,
  guildId: string,
  channelId: string,
  how: StageVoice,
): Promise<string> {
  const body =
    how === 'speaker'
      ? { channel_id: channelId, suppress: false }
      : { channel_id: channelId, request_to_speak_timestamp: new Date().toISOString() };
  try {
    await client.rest.patch(Routes.guildVoiceState(guildId, '@me'), { body });
  } catch (error) {
    if ((error as { code?: unknown }).code === RESTJSONErrorCodes.MissingPermissions)
      throw new Error(cannotSpeakOnStage(channelId), { cause: error });
    throw error;
  }
  return how === 'speaker'
    ? ' Mini-DJ is a speaker on the stage.'
    : ' Mini-DJ asked to speak on the stage: a stage moderator must accept (invite it to speak) before anyone hears it.';
}
