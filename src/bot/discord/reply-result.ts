import { MessageFlags } from 'discord.js';
import type { RepliableInteraction } from 'discord.js';

export const NOT_AVAILABLE = 'That command is not available yet.';
export const FAILED = 'Something went wrong while handling that command. Please try again.';
export const UNKNOWN_BUTTON = 'That button no longer does anything. Run the command again.';

/** Replies with an operation's message: public when it succeeded, ephemeral when it was refused. Never pings anyone. */
export async function replyResult(
  interaction: RepliableInteraction,
  result: { ok: boolean; message: string },
): Promise<void> {
  if (result.ok) await interaction.reply({ content: result.message, allowedMentions: { parse: [] } });
  else await replyEphemeral(interaction, result.message);
}

export async function replyEphemeral(interaction: RepliableInteraction, content: string): Promise<void> {
  await interaction.reply({ content, flags: MessageFlags.Ephemeral, allowedMentions: { parse: [] } });
}

/**
 * A refusal or failure after a public deferral: said to the member alone (an ephemeral follow-up), and the public
 * "thinking…" deleted so the channel sees nothing.
 */
export async function failDeferred(interaction: RepliableInteraction, content: string): Promise<void> {
  await interaction.followUp({ content, flags: MessageFlags.Ephemeral, allowedMentions: { parse: [] } });
  // Already deleted, or the interaction expired: the follow-up above is the answer either way.
  await interaction.deleteReply().catch(() => undefined);
}

/**
 * The outcome of work done after a deferral: a public deferral is edited with a success, and a refusal goes to the
 * member alone (as failDeferred); an ephemeral deferral is edited either way.
 */
export async function settleDeferred(
  interaction: RepliableInteraction,
  result: { ok: boolean; message: string },
  ephemeral: boolean,
): Promise<void> {
  if (result.ok || ephemeral) await interaction.editReply({ content: result.message, allowedMentions: { parse: [] } });
  else await failDeferred(interaction, result.message);
}

/** Edits a deferred reply with how the work stands, without waiting. Never pings anyone. */
export function showProgress(interaction: RepliableInteraction, content: string): void {
  // An edit lost (expired token, rate limit, message deleted) only misses a step: the final answer still says how it went.
  void interaction.editReply({ content, allowedMentions: { parse: [] } }).catch(() => undefined);
}
