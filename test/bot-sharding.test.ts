import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { AnalyzerPool } from '../src/audio/analysis/analyzer-pool.ts';
import { ingestFile } from '../src/ingest/ingest-file.ts';
import { AnalysisStore } from '../src/db/analysis-store.ts';
import { GuildStore } from '../src/db/guild-store.ts';
import type { GuildState } from '../src/db/guild-store.ts';
import { TrackFiles } from '../src/db/track-files.ts';
import { writeSynthTrack } from '../src/synth/synth-cli.ts';
import { structureForBars } from '../src/synth/track-synth.ts';
import { formatClock } from '../src/viz/set-picture.ts';
import { makeTempDir } from './helpers/ffmpeg-fixtures.ts';
import { until } from './helpers/until.ts';
import {
  djsetInteraction, FAKE_APP_ID, FAKE_GUILD_2_ID, FAKE_GUILD_2_TEXT_CHANNEL_ID, FAKE_GUILD_2_VOICE_CHANNEL_ID, FAKE_GUILD_ID, FAKE_OWNER_ID,
  FAKE_TEXT_CHANNEL_ID, FAKE_VOICE_CHANNEL_ID, fakeShardOf, queueInteraction, startFakeDiscord,
} from './helpers/fake-discord.ts';
import type { FakeDiscord } from './helpers/fake-discord.ts';

// `npm start`: the sharding manager, which starts one bot process per shard.
const START = path.resolve('src/bot/start.ts');
// Discord's voice servers cannot be reached: each bot process's voice connections are made Ready by a stand-in that
// reports, per process, the Opus packets each guild's connection sent.
const VOICE_STAND_IN = path.resolve('test/helpers/voice-stand-in-preload.ts');
const owner = { id: FAKE_OWNER_ID, username: 'owner' };
const alice = { id: '700000000000000021', username: 'alice' };
/** FAKE_GUILD_ID is on shard 1 of 2, FAKE_GUILD_2_ID on shard 0. */
const GUILDS = [
  { id: FAKE_GUILD_ID, shard: 1, text: FAKE_TEXT_CHANNEL_ID, voice: FAKE_VOICE_CHANNEL_ID },
  { id: FAKE_GUILD_2_ID, shard: 0, text: FAKE_GUILD_2_TEXT_CHANNEL_ID, voice: FAKE_GUILD_2_VOICE_CHANNEL_ID },
] as const;

let tmp: ReturnType<typeof makeTempDir>;
let db: string;
let reports: string;
let discord: FakeDiscord;
let manager: ChildProcess | undefined;
let output = '';
const pushed: Record<string, unknown>[] = [];
/** Each seeded track's downbeats, by content hash (a set resumes on the one at or before its saved position). */
const downbeats = new Map<string, number[]>();

/** Every JSON log line the manager and its shard processes wrote (they share its stdout). */
function logLines(): Record<string, unknown>[] {
  return output.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** The shard processes that logged in, in order: pid, shards, and how many sets each resumed. */
function onlineProcesses(): { pid: number; shards: number[]; guilds: number; resumedSets: number }[] {
  return logLines().filter((l) => String(l.msg).startsWith('Mini-DJ is online')) as never;
}

/** Opus packets each process's voice connections sent, by guild (from the stand-in's reports). */
function packetsOf(pid: number, guildId: string): number {
  try {
    return (JSON.parse(readFileSync(path.join(reports, `${pid}.json`), 'utf8')) as { packets: Record<string, number> }).packets[guildId] ?? 0;
  } catch {
    return 0;
  }
}

function guildsStreamedBy(pid: number): string[] {
  return GUILDS.filter((g) => packetsOf(pid, g.id) > 0).map((g) => g.id);
}

async function guildState(guildId: string): Promise<GuildState> {
  const store = await GuildStore.open(db);
  try {
    return await store.get(guildId);
  } finally {
    await store.close();
  }
}

function push(payload: Record<string, unknown>): Record<string, unknown> {
  pushed.push(payload);
  discord.pushInteraction(payload);
  return payload;
}

/** Pushes `/djset start` in the guild and resolves with what its deferred reply finally said. */
async function startSet(guildId: string): Promise<string> {
  const payload = push(djsetInteraction({ subcommand: 'start', user: owner, guildId }));
  return (await discord.deferredOutcome(payload, 40_000)).content;
}

beforeAll(async () => {
  tmp = makeTempDir();
  db = path.join(tmp.dir, 'minidj.sqlite');
  reports = path.join(tmp.dir, 'voice-reports');
  mkdirSync(reports);
  const pool = new AnalyzerPool({ size: 2 });
  const analyses = await AnalysisStore.open(db);
  const files = new TrackFiles(path.join(tmp.dir, 'tracks'));
  // One 62 s track is enough: the test is over before either set mixes into another.
  const file = path.join(tmp.dir, 'north-pier.wav');
  await writeSynthTrack(file, { bpm: 124, key: 'A', scale: 'minor', seed: 60, sections: structureForBars(32) });
  const ingested = await ingestFile(file, pool, analyses, (f, h, s) => files.keep(f, h, s));
  downbeats.set(ingested.contentHash, ingested.analysis.downbeats);
  await analyses.close();
  await pool.close();
  const store = await GuildStore.open(db);
  for (const guild of GUILDS) {
    await store.update(guild.id, (s) => ({
      ...s,
      library: [ingested.contentHash],
      playlist: [{ id: 'entry-0', hash: ingested.contentHash, title: 'north-pier', requesterId: alice.id, addedAt: new Date(Date.UTC(2026, 0, 1)).toISOString() }],
    }));
  }
  await store.close();
  discord = await startFakeDiscord({ shards: 2, guilds: GUILDS.map((g) => g.id) });
}, 120_000);

afterAll(async () => {
  if (manager?.exitCode === null) manager.kill('SIGKILL');
  // Shard processes whose manager is gone stop by themselves; these are killed in case one has not yet.
  for (const p of onlineProcesses()) {
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  await discord?.close();
  tmp?.cleanup();
});

describe('npm start, sharded: one process per gateway shard, each guild served by its own', () => {
  it('serves each guild from its shard\'s process, restarts a killed one whose set resumes, and answers every interaction once', async () => {
    manager = spawn(process.execPath, ['--import', VOICE_STAND_IN, START], {
      env: {
        PATH: process.env.PATH, HOME: process.env.HOME, MINIDJ_MAX_LIVE_SETS: '1000', MINIDJ_MAX_LOOP_LAG_MS: '1000000',
        DISCORD_TOKEN: 'MTIz.abc.def', DISCORD_CLIENT_ID: FAKE_APP_ID, MINIDJ_DISCORD_API: discord.apiBase, MINIDJ_DB: db,
        MINIDJ_TRACKS_DIR: path.join(tmp.dir, 'tracks'), MINIDJ_DOWNLOAD_DIR: path.join(tmp.dir, 'downloads'), VOICE_STAND_IN_REPORT_DIR: reports,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    manager.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    manager.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    const managerExit = new Promise<number | null>((resolve) => manager!.on('exit', (code) => resolve(code)));

    // The gateway said 2 shards: two processes, one shard each, each with its own guild.
    const first = await until(() => {
      if (manager!.exitCode !== null) throw new Error(`npm start exited (${manager!.exitCode}):\n${output}`);
      return onlineProcesses().length >= 2 ? onlineProcesses() : undefined;
    }, 'two shard processes to log in', 90_000);
    expect(first.map((p) => p.shards).sort()).toEqual([[0], [1]]);
    expect(new Set(first.map((p) => p.pid)).size).toBe(2);
    expect(first.map((p) => p.guilds)).toEqual([1, 1]);
    expect(discord.connectedShards().sort()).toEqual([0, 1]);
    const pidOf = (shard: number, list = onlineProcesses()) => list.findLast((p) => p.shards[0] === shard)!.pid;

    // Each guild's /djset start is answered by its shard's process, which joins over its own gateway connection.
    const replies = await Promise.all(GUILDS.map((guild) => startSet(guild.id)));
    for (const [i, guild] of GUILDS.entries()) expect(replies[i]).toMatch(new RegExp(`^Mixing in <#${guild.voice}>`));
    for (const guild of GUILDS) {
      const joins = discord.gatewayOps.filter((o) => o.op === 4 && (o.d as { guild_id: string }).guild_id === guild.id);
      expect(joins.map((o) => o.shard)).toEqual([guild.shard]);
      const listed = push(queueInteraction({ subcommand: 'list', user: alice, guildId: guild.id }));
      await until(() => discord.answers(String(listed.id)) > 0 || undefined, `/queue list in ${guild.id} to be answered`);
    }
    // Each process streams its own guild's set, and only that one.
    for (const guild of GUILDS) await until(() => packetsOf(pidOf(guild.shard), guild.id) > 50 || undefined, `audio for ${guild.id}`, 20_000);
    for (const guild of GUILDS) expect(guildsStreamedBy(pidOf(guild.shard))).toEqual([guild.id]);

    // Shard 1's process is killed mid-set, once its position was saved.
    const [killedGuild, otherGuild] = GUILDS;
    const saved = await until(async () => {
      const session = (await guildState(killedGuild.id)).session;
      return session && session.current.positionSec >= 3 ? session : undefined;
    }, 'a saved position past 3 s', 30_000);
    const killedPid = pidOf(killedGuild.shard);
    const otherPid = pidOf(otherGuild.shard);
    const otherBefore = packetsOf(otherPid, otherGuild.id);
    const killedAt = new Date().toISOString();
    process.kill(killedPid, 'SIGKILL');

    // The manager restarts it; the new process resumes only its guild's set, from the saved position.
    const restarted = await until(() => onlineProcesses().find((p) => p.shards[0] === killedGuild.shard && p.pid !== killedPid), 'shard 1 to be restarted', 60_000);
    expect(logLines().some((l) => l.shard === killedGuild.shard && l.signal === 'SIGKILL' && String(l.msg).includes('died: restarting it'))).toBe(true);
    expect(restarted).toMatchObject({ guilds: 1, resumedSets: 1 });
    const notice = await until(() => discord.channelMessages().find((m) => m.channelId === killedGuild.text && String(m.body.content).startsWith('Mini-DJ restarted')), 'the resume notice');
    // From the downbeat at or before the position saved before the kill.
    const downbeat = downbeats.get(saved.current.hash)!.findLast((d) => d <= saved.current.positionSec)!;
    expect(saved.current.positionSec - downbeat).toBeLessThan(2);
    expect(notice.body.content).toBe(`Mini-DJ restarted: resuming **${saved.current.title}** at ${formatClock(downbeat)} in <#${killedGuild.voice}>.`);
    await until(() => packetsOf(restarted.pid, killedGuild.id) > 50 || undefined, 'the resumed set\'s audio', 20_000);
    expect(guildsStreamedBy(restarted.pid)).toEqual([killedGuild.id]);
    const rejoins = discord.gatewayOps.filter((o) => o.op === 4 && (o.d as { guild_id: string }).guild_id === killedGuild.id);
    expect(rejoins.length).toBeGreaterThan(1);
    expect(new Set(rejoins.map((o) => o.shard))).toEqual(new Set([killedGuild.shard]));

    // The other guild's process was untouched: the same process, its set played on throughout.
    expect(pidOf(otherGuild.shard)).toBe(otherPid);
    expect(packetsOf(otherPid, otherGuild.id)).toBeGreaterThan(otherBefore + 50);
    expect(discord.channelMessages().some((m) => m.channelId === otherGuild.text && String(m.body.content).startsWith('Mini-DJ restarted'))).toBe(false);
    await until(async () => ((await guildState(otherGuild.id)).session?.current.savedAt ?? '') > killedAt || undefined, 'the other set to save its position again');

    // After the restart, each guild is served again by its own process.
    for (const guild of GUILDS) {
      const status = push(djsetInteraction({ subcommand: 'status', user: alice, guildId: guild.id }));
      await until(() => discord.answers(String(status.id)) > 0 || undefined, `/djset status in ${guild.id} to be answered`);
    }

    // Every interaction was answered, by one process, once: no second callback was even tried.
    for (const payload of pushed) {
      expect(discord.answers(String(payload.id))).toBe(1);
      expect(discord.restCalls.filter((c) => c.method === 'POST' && c.path.startsWith(`/api/v10/interactions/${String(payload.id)}/`))).toHaveLength(1);
    }
    expect(pushed).toHaveLength(6);
    expect(GUILDS.map((g) => fakeShardOf(g.id, 2))).toEqual(GUILDS.map((g) => g.shard));

    // Stopping the manager stops every shard process, each saving its set.
    manager.kill('SIGTERM');
    expect(await managerExit).toBe(0);
    for (const guild of GUILDS) expect((await guildState(guild.id)).session).toBeDefined();
    expect(readdirSync(reports).filter((f) => f.endsWith('.json')).length).toBeGreaterThanOrEqual(3);
  }, 170_000);
});
