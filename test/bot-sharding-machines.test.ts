import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import { makeTempDir } from './helpers/ffmpeg-fixtures.ts';
import { hasPostgres, startPostgres } from './helpers/db-servers.ts';
import type { Server } from './helpers/db-servers.ts';
import { GUILDS, killOneShardMidSet, seedBothGuilds, ShardedBot } from './helpers/sharded-bot.ts';
import { startFakeDiscord } from './helpers/fake-discord.ts';
import type { FakeDiscord } from './helpers/fake-discord.ts';

let tmp: ReturnType<typeof makeTempDir>;
let postgres: Server;
let discord: FakeDiscord;
let bot: ShardedBot;
let downbeats: Map<string, number[]>;

describe.skipIf(!hasPostgres)('npm start on two machines, one shard each, against one PostgreSQL', () => {
  beforeAll(async () => {
    tmp = makeTempDir();
    postgres = await startPostgres();
    downbeats = await seedBothGuilds(postgres.url, path.join(tmp.dir, 'shared-tracks'), tmp.dir);
    discord = await startFakeDiscord({ shards: 2, guilds: GUILDS.map((g) => g.id) });
    bot = new ShardedBot(discord, postgres.url, tmp.dir);
  }, 120_000);

  afterAll(async () => {
    bot?.kill();
    await discord?.close();
    await postgres?.stop();
    tmp?.cleanup();
  });

  it('runs the shards each machine is given (MINIDJ_SHARD_COUNT, MINIDJ_SHARDS), and a killed one resumes on its machine', async () => {
    // Two "machines": the same total, their own shards and download dirs, the library's audio on a shared volume.
    for (const shard of [0, 1]) {
      bot.startMachine({
        MINIDJ_SHARD_COUNT: '2',
        MINIDJ_SHARDS: String(shard),
        MINIDJ_TRACKS_DIR: path.join(tmp.dir, 'shared-tracks'),
        MINIDJ_DOWNLOAD_DIR: path.join(tmp.dir, `machine-${shard}`, 'downloads'),
      });
    }
    await bot.online(2);
    for (const shard of [0, 1]) {
      const online = bot.logLines(shard).filter((l) => String(l.msg).startsWith('Mini-DJ is online'));
      expect(online).toMatchObject([{ shards: [shard], shardCount: 2, guilds: 1 }]);
    }

    await killOneShardMidSet(bot, discord, downbeats);
    // Shard 1's machine restarted it; the other machine did nothing.
    expect(bot.logLines(1).filter((l) => String(l.msg).startsWith('Mini-DJ is online'))).toHaveLength(2);
    expect(bot.logLines(0).filter((l) => String(l.msg).startsWith('Mini-DJ is online'))).toHaveLength(1);

    expect(await bot.stop()).toEqual([0, 0]);
    for (const guild of GUILDS) expect((await bot.guildState(guild.id)).session).toBeDefined();
  }, 170_000);
});
