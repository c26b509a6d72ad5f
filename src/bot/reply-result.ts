import { MessageFlags } from 'discord.js';
import type { ChatInputCommandInteraction } from 'discord.js';

/** Replies with an operation's message: public when it succeeded, ephemeral when it was refused. Never pings anyone. */
export async function replyResult(interaction: ChatInputCommandInteraction, result: { ok: boolean; message: string }): Promise<void> {
  if (result.ok) await interaction.reply({ content: result.message, allowedMentions: { parse: [] } });
  else await replyEphemeral(interaction, result.message);
}

export async function replyEphemeral(interaction: ChatInputCommandInteraction, content: string): Promise<void> {
  await interaction.reply({ content, flags: MessageFlags.Ephemeral, allowedMentions: { parse: [] } });
}
