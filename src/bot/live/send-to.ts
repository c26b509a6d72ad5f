import type { Client, Message } from 'discord.js';

/** Sends a normal channel message with the bot token (interaction tokens expire after 15 minutes). */
export async function sendTo(
  client: Client,
  channelId: string,
  message: string | { content: string; components?: unknown[] },
): Promise<Message> {
  const channel = await client.channels.fetch(channelId);
  if (!channel?.isSendable()) throw new Error(`cannot send to channel ${channelId}`);
  const payload = typeof message === 'string' ? { content: message } : message;
  return channel.send({ ...payload, allowedMentions: { parse: [] } } as Parameters<typeof channel.send>[0]);
}
