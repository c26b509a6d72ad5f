import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { SHARD_NODE_FLAGS } from '../src/bot/sharding/shard-node-flags.ts';
import { makeTempDir } from './helpers/ffmpeg-fixtures.ts';
import { GUILDS, killOneShardMidSet, seedBothGuilds, ShardedBot } from './helpers/sharded-bot.ts';
import { startFakeDiscord } from './helpers/fake-discord.ts';
import type { FakeDiscord } from './helpers/fake-discord.ts';

let tmp: ReturnType<typeof makeTempDir>;
let discord: FakeDiscord;
let bot: ShardedBot;
let downbeats: Map<string, number[]>;

beforeAll(async () => {
  tmp = makeTempDir();
  const db = path.join(tmp.dir, 'minidj.sqlite');
  downbeats = await seedBothGuilds(db, path.join(tmp.dir, 'tracks'), tmp.dir);
  discord = await startFakeDiscord({ shards: 2, guilds: GUILDS.map((g) => g.id) });
  bot = new ShardedBot(discord, db, tmp.dir);
}, 120_000);

afterAll(async () => {
  bot?.kill();
  await discord?.close();
  tmp?.cleanup();
});

describe('npm start, sharded: one process per gateway shard, each guild served by its own', () => {
  it("serves each guild from its shard's process, restarts a killed one whose set resumes, and answers every interaction once", async () => {
    // One machine, the shard count Discord recommends (2), one SQLite file.
    bot.startMachine({
      MINIDJ_TRACKS_DIR: path.join(tmp.dir, 'tracks'),
      MINIDJ_DOWNLOAD_DIR: path.join(tmp.dir, 'downloads'),
    });
    const first = await bot.online(2);
    expect(first.map((p) => p.shards).sort()).toEqual([[0], [1]]);
    expect(new Set(first.map((p) => p.pid)).size).toBe(2);
    // Each shard process runs with the shards' V8 flags (a young generation that keeps track changes' garbage young).
    for (const { pid } of first) {
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      expect(argv).toEqual(expect.arrayContaining([...SHARD_NODE_FLAGS]));
    }
    expect(first.map((p) => p.guilds)).toEqual([1, 1]);
    expect(discord.connectedShards().sort()).toEqual([0, 1]);
    expect(bot.logLines().find((l) => String(l.msg).startsWith('Mini-DJ starts shards'))).toMatchObject({
      shards: [0, 1],
      shardCount: 2,
    });

    await killOneShardMidSet(bot, discord, downbeats);

    // Stopping the manager stops every shard process, each saving its set.
    expect(await bot.stop()).toEqual([0]);
    for (const guild of GUILDS) expect((await bot.guildState(guild.id)).session).toBeDefined();
  }, 170_000);
});
