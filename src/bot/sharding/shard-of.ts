import type { Client } from 'discord.js';

/** The gateway shard that receives a guild's events, as Discord assigns it: (guild_id >> 22) % shardCount. */
export function shardOf(guildId: string, shardCount: number): number {
  return Number((BigInt(guildId) >> 22n) % BigInt(shardCount));
}

/** The shards this client connects (from `SHARDS`/`SHARD_COUNT`, set by the sharding manager; [0] of 1 alone). */
export function shardsOf(client: Client): { ids: number[]; count: number } {
  const ids = client.options.shards;
  return { ids: Array.isArray(ids) ? ids : [0], count: client.options.shardCount ?? 1 };
}

/** Whether this process's shards own the guild: only the owner holds its live set and resumes its session. */
export function ownsGuild(client: Client, guildId: string): boolean {
  const { ids, count } = shardsOf(client);
  return ids.includes(shardOf(guildId, count));
}

/** The shard a process started by the sharding manager (src/bot/start.ts) runs; undefined when run alone. */
export function managedShard(env: NodeJS.ProcessEnv = process.env): number | undefined {
  return env.SHARDING_MANAGER && env.SHARDS !== undefined ? Number(env.SHARDS) : undefined;
}
