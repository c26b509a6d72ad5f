import { REST, Routes } from 'discord.js';

/** How many shards Discord recommends for the bot (`GET /gateway/bot`), from `api` (Discord's, a proxy, or a test's). */
export async function recommendedShardCount(token: string, api?: string): Promise<number> {
  const rest = new REST(api ? { api } : {}).setToken(token);
  const answer = (await rest.get(Routes.gatewayBot())) as { shards?: unknown };
  const shards = Number(answer.shards);
  if (!Number.isInteger(shards) || shards < 1)
    throw new Error(`Discord's /gateway/bot gave no shard count (${JSON.stringify(answer.shards)})`);
  return shards;
}
