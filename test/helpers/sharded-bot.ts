import { expect } from 'vitest';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { AnalysisStore } from '../../src/db/analysis-store.ts';
import { GuildStore } from '../../src/db/guild-store.ts';
import type { GuildState } from '../../src/db/guild-store.ts';
import { TrackFiles } from '../../src/db/track-files.ts';
import { ingestBotTrack } from './bot-tracks.ts';
import { until } from './until.ts';
import {
  djsetInteraction,
  FAKE_APP_ID,
  FAKE_GUILD_2_ID,
  FAKE_GUILD_2_TEXT_CHANNEL_ID,
  FAKE_GUILD_2_VOICE_CHANNEL_ID,
  FAKE_GUILD_ID,
  FAKE_OWNER_ID,
  FAKE_TEXT_CHANNEL_ID,
  FAKE_VOICE_CHANNEL_ID,
  fakeShardOf,
  queueInteraction,
} from './fake-discord.ts';
import type { FakeDiscord } from './fake-discord.ts';
import { formatClock } from '../../src/util/format-clock.ts';

/* `npm start` on a fake Discord whose gateway says 2 shards: the bot's processes as an operator runs them. */

// `npm start`: the sharding manager, which starts one bot process per shard.
const START = path.resolve('src/bot/start.ts');
// Discord's voice servers cannot be reached: each bot process's voice connections are made Ready by a stand-in that
// reports, per process, the Opus packets each guild's connection sent.
const VOICE_STAND_IN = path.resolve('test/helpers/voice-stand-in-preload.ts');
const owner = { id: FAKE_OWNER_ID, username: 'owner' };
const alice = { id: '700000000000000021', username: 'alice' };

/** FAKE_GUILD_ID is on shard 1 of 2, FAKE_GUILD_2_ID on shard 0. */
export const GUILDS = [
  { id: FAKE_GUILD_ID, shard: 1, text: FAKE_TEXT_CHANNEL_ID, voice: FAKE_VOICE_CHANNEL_ID },
  { id: FAKE_GUILD_2_ID, shard: 0, text: FAKE_GUILD_2_TEXT_CHANNEL_ID, voice: FAKE_GUILD_2_VOICE_CHANNEL_ID },
] as const;

/**
 * One synthesized 62 s track (the test is over before a set mixes into another) in the store at `db`, queued in both
 * guilds; its downbeats, by content hash (a set resumes on the one at or before its saved position).
 */
export async function seedBothGuilds(db: string, tracksDir: string, workDir: string): Promise<Map<string, number[]>> {
  const analyses = await AnalysisStore.open(db);
  const files = new TrackFiles(tracksDir);
  // 124 BPM.
  const ingested = await ingestBotTrack(0, path.join(workDir, 'north-pier.wav'), analyses, (f, h, s) =>
    files.keep(f, h, s),
  );
  await analyses.close();
  const store = await GuildStore.open(db);
  for (const guild of GUILDS) {
    await store.update(guild.id, (s) => ({
      ...s,
      library: [ingested.contentHash],
      playlist: [
        {
          id: 'entry-0',
          hash: ingested.contentHash,
          title: 'north-pier',
          requesterId: alice.id,
          addedAt: new Date(Date.UTC(2026, 0, 1)).toISOString(),
        },
      ],
    }));
  }
  await store.close();
  return new Map([[ingested.contentHash, ingested.analysis.downbeats]]);
}

interface Manager {
  child: ChildProcess;
  output: string;
  exited: Promise<number | null>;
}

interface OnlineProcess {
  pid: number;
  shards: number[];
  guilds: number;
  resumedSets: number;
}

/** `npm start` on one or more machines (each its own manager and environment), against the fake Discord. */
export class ShardedBot {
  private readonly managers: Manager[] = [];
  /** Every interaction pushed, to check each was answered once. */
  readonly pushed: Record<string, unknown>[] = [];
  readonly reports: string;
  private readonly discord: FakeDiscord;
  private readonly db: string;

  constructor(discord: FakeDiscord, db: string, workDir: string) {
    this.discord = discord;
    this.db = db;
    this.reports = path.join(workDir, 'voice-reports');
    mkdirSync(this.reports, { recursive: true });
  }

  /**
   * Starts `npm start` on a "machine": `env` adds to the bot's environment (store, tracks, downloads, shards);
   * `script` runs another entry (src/bot/main.ts: one bot process, no manager), `preloads` are imported into it too.
   */
  startMachine(env: Record<string, string>, opts: { script?: string; preloads?: string[] } = {}): void {
    const preloads = [VOICE_STAND_IN, ...(opts.preloads ?? [])].flatMap((p) => ['--import', p]);
    const child = spawn(process.execPath, [...preloads, opts.script ?? START], {
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        MINIDJ_MAX_LIVE_SETS: '1000',
        MINIDJ_MAX_LOOP_LAG_MS: '1000000',
        DISCORD_TOKEN: 'MTIz.abc.def',
        DISCORD_CLIENT_ID: FAKE_APP_ID,
        MINIDJ_DISCORD_API: this.discord.apiBase,
        MINIDJ_DB: this.db,
        VOICE_STAND_IN_REPORT_DIR: this.reports,
        // A set saves where it is every half second, not every 5: the test waits for saves before and after the kill.
        MINIDJ_SAVE_EVERY_SEC: '0.5',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const manager: Manager = {
      child,
      output: '',
      exited: new Promise((resolve) => child.on('exit', (code) => resolve(code))),
    };
    child.stdout!.on('data', (d: Buffer) => (manager.output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (manager.output += d.toString()));
    this.managers.push(manager);
  }

  /** Every JSON log line of machine `i` (its manager and its shard processes share the manager's stdout), or all. */
  logLines(i?: number): Record<string, unknown>[] {
    const managers = i === undefined ? this.managers : [this.managers[i]!];
    return managers.flatMap((m) =>
      m.output
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>),
    );
  }

  /** The shard processes that logged in, in order: pid, shards, and how many sets each resumed. */
  onlineProcesses(): OnlineProcess[] {
    return this.logLines().filter((l) => String(l.msg).startsWith('Mini-DJ is online')) as never;
  }

  pidOf(shard: number): number {
    return this.onlineProcesses().findLast((p) => p.shards[0] === shard)!.pid;
  }

  /** Opus packets a process's voice connections sent for the guild (from the stand-in's reports). */
  packetsOf(pid: number, guildId: string): number {
    try {
      return (
        (
          JSON.parse(readFileSync(path.join(this.reports, `${pid}.json`), 'utf8')) as {
            packets: Record<string, number>;
          }
        ).packets[guildId] ?? 0
      );
    } catch {
      return 0;
    }
  }

  guildsStreamedBy(pid: number): string[] {
    return GUILDS.filter((g) => this.packetsOf(pid, g.id) > 0).map((g) => g.id);
  }

  async guildState(guildId: string): Promise<GuildState> {
    const store = await GuildStore.open(this.db);
    try {
      return await store.get(guildId);
    } finally {
      await store.close();
    }
  }

  push(payload: Record<string, unknown>): Record<string, unknown> {
    this.pushed.push(payload);
    this.discord.pushInteraction(payload);
    return payload;
  }

  /** Waits for `count` shard processes to log in; fails at once, with its output, when a manager exits. */
  async online(count: number): Promise<OnlineProcess[]> {
    return until(
      () => {
        const gone = this.managers.find((m) => m.child.exitCode !== null);
        if (gone) throw new Error(`npm start exited (${gone.child.exitCode}):\n${gone.output}`);
        return this.onlineProcesses().length >= count ? this.onlineProcesses() : undefined;
      },
      `${count} shard processes to log in`,
      90_000,
    );
  }

  /** SIGTERM to every manager: each stops its shard processes (which save their sets) and exits 0. */
  async stop(): Promise<(number | null)[]> {
    for (const m of this.managers) m.child.kill('SIGTERM');
    return Promise.all(this.managers.map((m) => m.exited));
  }

  /** After a failed test: nothing left running (shard processes of a killed manager stop by themselves, or here). */
  kill(): void {
    for (const m of this.managers) if (m.child.exitCode === null) m.child.kill('SIGKILL');
    for (const p of this.onlineProcesses()) {
      try {
        process.kill(p.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
}

/** Pushes `/djset start` in the guild and resolves with what its deferred reply finally said. */
export async function startSet(bot: ShardedBot, discord: FakeDiscord, guildId: string): Promise<string> {
  const payload = bot.push(djsetInteraction({ subcommand: 'start', user: owner, guildId }));
  return (await discord.deferredOutcome(payload, 40_000)).content;
}

async function answered(
  bot: ShardedBot,
  discord: FakeDiscord,
  payload: Record<string, unknown>,
  what: string,
): Promise<void> {
  bot.push(payload);
  await until(() => discord.answers(String(payload.id)) > 0 || undefined, what);
}

/**
 * With both shard processes up: each guild's /djset start and /queue list go to its own process, which streams only
 * that guild; shard 1's process is killed (SIGKILL) mid-set once its position was saved, restarted by its manager,
 * and its set resumes from there while the other plays on; every interaction is answered exactly once.
 */
export async function killOneShardMidSet(
  bot: ShardedBot,
  discord: FakeDiscord,
  downbeats: Map<string, number[]>,
): Promise<void> {
  const replies = await Promise.all(GUILDS.map((guild) => startSet(bot, discord, guild.id)));
  for (const [i, guild] of GUILDS.entries()) expect(replies[i]).toMatch(new RegExp(`^Mixing in <#${guild.voice}>`));
  for (const guild of GUILDS) {
    // Joined over its own shard's gateway connection.
    const joins = discord.gatewayOps.filter((o) => o.op === 4 && (o.d as { guild_id: string }).guild_id === guild.id);
    expect(joins.map((o) => o.shard)).toEqual([guild.shard]);
    await answered(
      bot,
      discord,
      queueInteraction({ subcommand: 'list', user: alice, guildId: guild.id }),
      `/queue list in ${guild.id} to be answered`,
    );
  }
  // Each process streams its own guild's set, and only that one.
  for (const guild of GUILDS)
    await until(
      () => bot.packetsOf(bot.pidOf(guild.shard), guild.id) > 50 || undefined,
      `audio for ${guild.id}`,
      20_000,
    );
  for (const guild of GUILDS) expect(bot.guildsStreamedBy(bot.pidOf(guild.shard))).toEqual([guild.id]);

  const [killedGuild, otherGuild] = GUILDS;
  const saved = await until(
    async () => {
      const session = (await bot.guildState(killedGuild.id)).session;
      return session && session.current.positionSec >= 3 ? session : undefined;
    },
    'a saved position past 3 s',
    30_000,
  );
  const killedPid = bot.pidOf(killedGuild.shard);
  const otherPid = bot.pidOf(otherGuild.shard);
  const otherBefore = bot.packetsOf(otherPid, otherGuild.id);
  const killedAt = new Date().toISOString();
  process.kill(killedPid, 'SIGKILL');

  // The manager restarts it; the new process resumes only its guild's set, from the downbeat before the saved position.
  const restarted = await until(
    () => bot.onlineProcesses().find((p) => p.shards[0] === killedGuild.shard && p.pid !== killedPid),
    'shard 1 to be restarted',
    60_000,
  );
  expect(
    bot
      .logLines()
      .some(
        (l) => l.shard === killedGuild.shard && l.signal === 'SIGKILL' && String(l.msg).includes('died: restarting it'),
      ),
  ).toBe(true);
  expect(restarted).toMatchObject({ guilds: 1, resumedSets: 1 });
  const notice = await until(
    () =>
      discord
        .channelMessages()
        .find((m) => m.channelId === killedGuild.text && String(m.body.content).startsWith('Mini-DJ restarted')),
    'the resume notice',
  );
  const downbeat = downbeats.get(saved.current.hash)!.findLast((d) => d <= saved.current.positionSec)!;
  expect(saved.current.positionSec - downbeat).toBeLessThan(2);
  expect(notice.body.content).toBe(
    `Mini-DJ restarted: resuming **${saved.current.title}** at ${formatClock(downbeat)} in <#${killedGuild.voice}>.`,
  );
  await until(() => bot.packetsOf(restarted.pid, killedGuild.id) > 50 || undefined, "the resumed set's audio", 20_000);
  expect(bot.guildsStreamedBy(restarted.pid)).toEqual([killedGuild.id]);
  const rejoins = discord.gatewayOps.filter(
    (o) => o.op === 4 && (o.d as { guild_id: string }).guild_id === killedGuild.id,
  );
  expect(rejoins.length).toBeGreaterThan(1);
  expect(new Set(rejoins.map((o) => o.shard))).toEqual(new Set([killedGuild.shard]));

  // The other guild's process was untouched: the same process, its set played on throughout.
  expect(bot.pidOf(otherGuild.shard)).toBe(otherPid);
  expect(bot.packetsOf(otherPid, otherGuild.id)).toBeGreaterThan(otherBefore + 50);
  expect(
    discord
      .channelMessages()
      .some((m) => m.channelId === otherGuild.text && String(m.body.content).startsWith('Mini-DJ restarted')),
  ).toBe(false);
  await until(
    async () => ((await bot.guildState(otherGuild.id)).session?.current.savedAt ?? '') > killedAt || undefined,
    'the other set to save its position again',
  );

  // After the restart, each guild is served again by its own process.
  for (const guild of GUILDS)
    await answered(
      bot,
      discord,
      djsetInteraction({ subcommand: 'status', user: alice, guildId: guild.id }),
      `/djset status in ${guild.id} to be answered`,
    );

  // Every interaction was answered, by one process, once: no second callback was even tried.
  expect(bot.pushed).toHaveLength(6);
  for (const payload of bot.pushed) {
    expect(discord.answers(String(payload.id))).toBe(1);
    expect(
      discord.restCalls.filter(
        (c) => c.method === 'POST' && c.path.startsWith(`/api/v10/interactions/${String(payload.id)}/`),
      ),
    ).toHaveLength(1);
  }
  expect(GUILDS.map((g) => fakeShardOf(g.id, 2))).toEqual(GUILDS.map((g) => g.shard));
}
