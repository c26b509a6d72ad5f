import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { AnalysisStore } from '../src/db/analysis-store.ts';
import { GuildStore } from '../src/db/guild-store.ts';
import type { GuildState } from '../src/db/guild-store.ts';
import { TrackFiles } from '../src/db/track-files.ts';
import { ingestBotTrack } from './helpers/bot-tracks.ts';
import { makeTempDir } from './helpers/ffmpeg-fixtures.ts';
import { until } from './helpers/until.ts';
import {
  djsetInteraction,
  FAKE_APP_ID,
  FAKE_GUILD_ID,
  FAKE_OWNER_ID,
  FAKE_TEXT_CHANNEL_ID,
  FAKE_VOICE_CHANNEL_ID,
  queueInteraction,
  startFakeDiscord,
} from './helpers/fake-discord.ts';
import type { FakeDiscord } from './helpers/fake-discord.ts';

const MAIN = path.resolve('src/bot/main.ts');
// Discord's voice servers cannot be reached: the bot's voice connections are made Ready by a stand-in (see the file).
const VOICE_STAND_IN = path.resolve('test/helpers/voice-stand-in-preload.ts');
const owner = { id: FAKE_OWNER_ID, username: 'owner' };
const alice = { id: '700000000000000001', username: 'alice' };

let tmp: ReturnType<typeof makeTempDir>;
let db: string;
let tracksDir: string;
let downloadDir: string;
let discord: FakeDiscord;
let cdn: Server;
let cdnBase: string;
let cdnRequests = 0;
const children: ChildProcess[] = [];

interface Bot {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

/** The bot's process as `npm start` runs it for each shard (alone here: shard 0 of 1, no manager), pointed at the fake Discord. */
function startBot(): Bot {
  const child = spawn(process.execPath, ['--import', VOICE_STAND_IN, MAIN], {
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      MINIDJ_MAX_LIVE_SETS: '1000',
      MINIDJ_MAX_LOOP_LAG_MS: '1000000',
      DISCORD_TOKEN: 'MTIz.abc.def',
      DISCORD_CLIENT_ID: FAKE_APP_ID,
      MINIDJ_DISCORD_API: discord.apiBase,
      MINIDJ_DB: db,
      MINIDJ_TRACKS_DIR: tracksDir,
      MINIDJ_DOWNLOAD_DIR: downloadDir,
      // The test CDN is on loopback, which the bot refuses unless told otherwise.
      MINIDJ_ALLOW_LOOPBACK_URLS: '1',
      // The operator's endpoints on a free loopback port (logged).
      MINIDJ_OPS_PORT: '0',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => out, exited };
}

/** Reads the guild's state with a short-lived connection, as another process would. */
async function guildState(): Promise<GuildState> {
  const store = await GuildStore.open(db);
  try {
    return await store.get(FAKE_GUILD_ID);
  } finally {
    await store.close();
  }
}

beforeAll(async () => {
  tmp = makeTempDir();
  db = path.join(tmp.dir, 'minidj.sqlite');
  tracksDir = path.join(tmp.dir, 'tracks');
  downloadDir = path.join(tmp.dir, 'downloads');
  mkdirSync(downloadDir, { recursive: true });
  const analyses = await AnalysisStore.open(db);
  const files = new TrackFiles(tracksDir);
  const hashes: string[] = [];
  // 125 and 124 BPM, 62 s each: dawn-patrol is the one the smart order starts the set with.
  for (const [i, name] of [
    [1, 'dawn-patrol'],
    [0, 'night-shift'],
  ] as const) {
    hashes.push(
      (await ingestBotTrack(i, path.join(tmp.dir, `${name}.wav`), analyses, (f, h, s) => files.keep(f, h, s)))
        .contentHash,
    );
  }
  await analyses.close();
  const store = await GuildStore.open(db);
  await store.update(FAKE_GUILD_ID, (s) => ({
    ...s,
    // The server's library: its members' tracks (a playlist entry outside it is not played).
    library: hashes,
    playlist: hashes.map((hash, i) => ({
      id: `entry-${i}`,
      hash,
      title: i === 0 ? 'dawn-patrol' : 'night-shift',
      requesterId: alice.id,
      addedAt: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString(),
    })),
  }));
  await store.close();

  // A CDN whose file never finishes: the bot is killed while it downloads.
  cdn = createServer((req, res) => {
    cdnRequests += 1;
    res.writeHead(200, { 'content-type': 'audio/wav', 'content-length': 10_000_000 });
    res.write(readFileSync(path.join(tmp.dir, 'dawn-patrol.wav')).subarray(0, 200_000));
  });
  await new Promise<void>((resolve) => cdn.listen(0, '127.0.0.1', () => resolve()));
  cdnBase = `http://127.0.0.1:${(cdn.address() as AddressInfo).port}`;
  discord = await startFakeDiscord();
}, 120_000);

afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  cdn?.closeAllConnections();
  await new Promise((r) => cdn?.close(r));
  await discord?.close();
  tmp?.cleanup();
});

describe('npm start, killed and restarted', () => {
  it('without a token says what to set and points to the demo', async () => {
    const child = spawn(process.execPath, [MAIN], {
      env: { PATH: process.env.PATH },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(1);
    expect(err).toContain('DISCORD_TOKEN is not set.');
    expect(err).toContain('npm run demo');
  });

  it('loses nothing when killed (SIGKILL) mid-ingest and mid-set, and resumes the set on restart', async () => {
    const first = startBot();
    await until(() => first.output().includes('Mini-DJ is online'), 'the bot to log in');
    expect(first.output()).toContain('resumed 0 sets');

    discord.pushInteraction(djsetInteraction({ subcommand: 'start', user: owner }));
    await discord.waitForGatewayOp(
      (o) => o.op === 4 && (o.d as { channel_id?: string }).channel_id === FAKE_VOICE_CHANNEL_ID,
      20_000,
    );
    const playing = await until(async () => {
      const s = await guildState();
      // The session once the next song is picked too (its hash is saved apart, as the pick is made).
      return s.session?.nextHash && s.history.length === 1 ? s : undefined;
    }, 'the set to save its session');
    expect(playing.playlist.map((e) => e.title)).toEqual(['night-shift']);
    expect(playing.session!.current.title).toBe('dawn-patrol');

    discord.pushInteraction(
      queueInteraction({
        subcommand: 'add',
        user: alice,
        options: [{ name: 'url', type: 3, value: `${cdnBase}/endless.wav` }],
      }),
    );
    await until(() => cdnRequests > 0 && readdirSync(downloadDir).length > 0, 'the download to begin');
    first.child.kill('SIGKILL');
    await first.exited;

    const afterKill = await guildState();
    expect(afterKill.playlist).toEqual(playing.playlist);
    expect(afterKill.session).toEqual(playing.session);
    expect(readdirSync(tracksDir).filter((f) => !f.endsWith('.wav'))).toEqual([]);

    const opsBefore = discord.gatewayOps.length;
    const second = startBot();
    await until(() => second.output().includes('Mini-DJ is online'), 'the restarted bot to log in');
    expect(second.output()).toContain('resumed 1 set');
    // The operator's endpoints of the running process: healthy, one guild, one live set.
    const opsPort = Number(/"port":(\d+),"msg":"ops endpoints/.exec(second.output())?.[1]);
    const health = await fetch(`http://127.0.0.1:${opsPort}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok', gateway: 'ready', liveSets: 1 });
    const scraped = await (await fetch(`http://127.0.0.1:${opsPort}/metrics`)).text();
    expect(scraped).toMatch(/^minidj_live_sets 1$/m);
    expect(scraped).toMatch(/^minidj_guilds 1$/m);
    // Rejoined the same channel from the new process, and said so where the set was started.
    await until(
      () =>
        discord.gatewayOps
          .slice(opsBefore)
          .find((o) => o.op === 4 && (o.d as { channel_id?: string }).channel_id === FAKE_VOICE_CHANNEL_ID),
      'the rejoin',
    );
    const notice = await until(
      () => discord.channelMessages().find((m) => String(m.body.content).startsWith('Mini-DJ restarted')),
      'the resume notice',
    );
    expect(notice.channelId).toBe(FAKE_TEXT_CHANNEL_ID);
    expect(notice.body.content).toBe(`Mini-DJ restarted: resuming **dawn-patrol** in <#${FAKE_VOICE_CHANNEL_ID}>.`);
    // The killed download left nothing: no entry, no temp dir (swept at start), no library file.
    expect(readdirSync(downloadDir)).toEqual([]);
    const resumed = await guildState();
    expect(resumed.playlist).toEqual(playing.playlist);
    expect(readdirSync(tracksDir)).toHaveLength(2);

    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
    expect(second.output()).toMatch(/"signal":"SIGTERM","msg":"fading out the sets and saving where they are"/);
    expect(second.output()).toContain('"msg":"Mini-DJ stopped"');
    // A shutdown keeps the session, so the next start resumes again.
    const saved = await guildState();
    expect(saved.session?.current.title).toBe('dawn-patrol');
    expect(saved.playlist).toEqual(playing.playlist);
    expect(existsSync(db)).toBe(true);
  }, 120_000);
});
