import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { AnalyzerPool } from '../src/audio/analysis/analyzer-pool.ts';
import { createBot } from '../src/bot/create-bot.ts';
import { LibraryQuota, quotaLimitsFromEnv } from '../src/library/library-quota.ts';
import type { Bot } from '../src/bot/create-bot.ts';
import { AnalysisStore } from '../src/db/analysis-store.ts';
import { FeedbackStore } from '../src/db/feedback-store.ts';
import { GuildStore } from '../src/db/guild-store.ts';
import type { GuildState } from '../src/db/guild-store.ts';
import { TrackFiles } from '../src/db/track-files.ts';
import { linkTooLong, MAX_LINK_CHARS } from '../src/util/add-policy.ts';
import { PRIVATE_ADDRESS } from '../src/ingest/vet-url.ts';
import { writeSynthTrack } from '../src/synth/synth-cli.ts';
import { structureForBars } from '../src/synth/track-synth.ts';
import { makeLongMp3, makeTempDir } from './helpers/ffmpeg-fixtures.ts';
import {
  FAKE_APP_ID,
  FAKE_GUILD_ID,
  fakeAttachment,
  queueInteraction,
  startFakeDiscord,
  suggestInteraction,
} from './helpers/fake-discord.ts';
import type { FakeDiscord, RestCall } from './helpers/fake-discord.ts';

interface MessageBody {
  content?: string;
  flags?: number;
  embeds?: { title?: string; fields?: { name: string; value: string }[] }[];
  components?: { type: number; components: { type: number; custom_id: string; label: string }[] }[];
}

const alice = { id: '700000000000000001', username: 'alice' };
const bob = { id: '700000000000000002', username: 'bob' };

let tmp: ReturnType<typeof makeTempDir>;
let downloadDir: string;
let store: GuildStore;
let analyses: AnalysisStore;
let feedback: FeedbackStore;
let pool: AnalyzerPool;
let discord: FakeDiscord;
let bot: Bot;
let cdn: Server;
let cdnBase: string;
const errors: unknown[] = [];
/** The bot's disk quota, changed by the test of its refusal. */
const quotaLimits = quotaLimitsFromEnv({});
/** What the loopback "CDN" serves: path → body and content type. */
const served = new Map<string, { body: Buffer; type: string }>();

function callbackPath(payload: Record<string, unknown>): string {
  return `/api/v10/interactions/${String(payload.id)}/${String(payload.token)}/callback`;
}

/** Pushes an interaction, expects a deferral, and waits for the edited original reply. */
/** The state without its write counter: a refused add reserves its place and gives it back (two writes, no change). */
const contentOf = (state: GuildState) => ({ ...state, version: 0 });

/** A deferred add refused after its deferral: said to the member alone, the public "thinking…" deleted. */
async function runRefused(payload: Record<string, unknown>): Promise<{ content: string }> {
  discord.pushInteraction(payload);
  const deferral = await discord.waitForRest((c) => c.method === 'POST' && c.path === callbackPath(payload));
  expect((deferral.body as { type: number }).type).toBe(5);
  const outcome = await discord.deferredOutcome(payload, 120_000, (content) =>
    /^(Waiting for the analyser|Analysing)/.test(content),
  );
  expect(outcome).toMatchObject({ ephemeral: true, deletedOriginal: true });
  return outcome;
}

async function runDeferred(payload: Record<string, unknown>): Promise<MessageBody> {
  discord.pushInteraction(payload);
  const deferral = await discord.waitForRest((c) => c.method === 'POST' && c.path === callbackPath(payload));
  expect((deferral.body as { type: number }).type).toBe(5);
  const edit: RestCall = await discord.waitForRest(
    // discord.js percent-encodes the `@` of `@original`.
    // Progress edits ("Waiting for the analyser", "Analysing…") come first on a busy machine: the final text is wanted.
    (c) =>
      c.method === 'PATCH' &&
      decodeURIComponent(c.path) === `/api/v10/webhooks/${FAKE_APP_ID}/${String(payload.token)}/messages/@original` &&
      !/^(Waiting for the analyser|Analysing)/.test(String((c.body as { content?: string }).content)),
    120_000,
  );
  return edit.body as MessageBody;
}

function serve(name: string, body: Buffer, type: string): string {
  served.set(`/${name}`, { body, type });
  return `${cdnBase}/${name}`;
}

beforeAll(async () => {
  tmp = makeTempDir();
  downloadDir = path.join(tmp.dir, 'downloads');
  mkdirSync(downloadDir);
  store = await GuildStore.open(path.join(tmp.dir, 'guilds.sqlite'));
  analyses = await AnalysisStore.open(path.join(tmp.dir, 'analyses.sqlite'));
  feedback = await FeedbackStore.open(path.join(tmp.dir, 'feedback.sqlite'));
  pool = new AnalyzerPool();

  cdn = createServer((req, res) => {
    const file = served.get(new URL(req.url ?? '/', 'http://127.0.0.1').pathname);
    if (!file) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': file.type, 'content-length': file.body.length }).end(file.body);
  });
  await new Promise<void>((resolve) => cdn.listen(0, '127.0.0.1', () => resolve()));
  cdnBase = `http://127.0.0.1:${(cdn.address() as AddressInfo).port}`;

  const a = path.join(tmp.dir, 'media', 'night-drive.wav');
  const b = path.join(tmp.dir, 'media', 'warehouse-sunrise.wav');
  await writeSynthTrack(a, { bpm: 126, key: 'A', scale: 'minor', seed: 1, sections: structureForBars(16) });
  await writeSynthTrack(b, { bpm: 128, key: 'E', scale: 'minor', seed: 2, sections: structureForBars(16) });
  serve('tracks/night%20drive.wav', readFileSync(a), 'audio/wav');
  serve('attachments/1/2/warehouse-sunrise.wav', readFileSync(b), 'audio/wav');
  // A PNG header and some pixels, served as an "mp3" attachment.
  serve(
    'attachments/1/3/cover.mp3',
    Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(60, 7)]),
    'audio/mpeg',
  );
  serve(
    'page.html',
    Buffer.from('<!doctype html><html><head><title>Song</title></head><body>Play</body></html>'),
    'text/html',
  );
  const long = makeLongMp3(path.join(tmp.dir, 'media', 'long.mp3'), 3);
  serve('long.mp3', readFileSync(long), 'audio/mpeg');

  discord = await startFakeDiscord();
  const files = new TrackFiles(path.join(tmp.dir, 'tracks'));
  bot = createBot({
    config: { token: 'MTIz.abc.def', clientId: FAKE_APP_ID },
    store,
    analyses,
    feedback,
    files,
    pool,
    downloadDir,
    isAllowedAddress: (ip) => ip === '127.0.0.1',
    restApi: discord.apiBase,
    onError: (e) => errors.push(e),
    quota: new LibraryQuota({ files, analyses, store, limits: quotaLimits }),
  });
  await bot.start();
}, 120_000);

afterAll(async () => {
  await bot?.stop();
  await discord?.close();
  await new Promise<void>((resolve) => (cdn ? cdn.close(() => resolve()) : resolve()));
  await pool?.close();
  await analyses?.close();
  await feedback?.close();
  await store?.close();
  tmp?.cleanup();
});

const SUMMARY = String.raw`\d+\.\d BPM, [A-G][#b]? (major|minor) \(\d{1,2}[AB]\), \d+:\d\d`;

describe('/queue add and /suggest against a fake Discord and a loopback CDN', () => {
  it('adds a url: defers, downloads, analyses, edits the reply and stores the entry', async () => {
    const body = await runDeferred(
      queueInteraction({
        subcommand: 'add',
        user: alice,
        options: [{ name: 'url', type: 3, value: `${cdnBase}/tracks/night%20drive.wav` }],
      }),
    );
    expect(body.content).toMatch(new RegExp(`^Added "night drive" at position 1 — ${SUMMARY}, energy \\d+/10\\.$`));
    const { playlist } = await store.get(FAKE_GUILD_ID);
    expect(playlist).toHaveLength(1);
    expect(playlist[0]).toMatchObject({ title: 'night drive', requesterId: alice.id });
    expect(await analyses.get(playlist[0]!.hash)).toBeDefined();
    expect(readdirSync(downloadDir)).toEqual([]);
  }, 120_000);

  it('adds an uploaded file through its attachment url', async () => {
    const url = `${cdnBase}/attachments/1/2/warehouse-sunrise.wav`;
    const attachment = fakeAttachment(
      url,
      'warehouse-sunrise.wav',
      statSync(path.join(tmp.dir, 'media', 'warehouse-sunrise.wav')).size,
    );
    const payload = queueInteraction({
      subcommand: 'add',
      user: bob,
      options: [{ name: 'file', type: 11, value: String(attachment.id) }],
      resolved: { attachments: { [String(attachment.id)]: attachment } },
    });
    const body = await runDeferred(payload);
    // How it follows the song queued before it, in the scorer's figure and a DJ's words.
    expect(body.content).toMatch(
      new RegExp(
        `^Added "warehouse-sunrise" at position 2 — ${SUMMARY}, energy \\d+/10\\. After "night drive": \\d+ % mixable — 126→128 BPM \\(\\+1\\.6 %\\), \\d+[AB]→\\d+[AB] \\([a-z/ -]+\\)\\.$`,
      ),
    );
    expect((await store.get(FAKE_GUILD_ID)).playlist.map((e) => e.title)).toEqual(['night drive', 'warehouse-sunrise']);
    expect(readdirSync(downloadDir)).toEqual([]);
  }, 120_000);

  it('refuses a web page, keeps the store and leaves no download behind', async () => {
    const before = await store.get(FAKE_GUILD_ID);
    const body = await runRefused(
      queueInteraction({
        subcommand: 'add',
        user: alice,
        options: [{ name: 'url', type: 3, value: `${cdnBase}/page.html` }],
      }),
    );
    expect(body.content).toBe('That is not an audio file (it looks like a web page).');
    expect(contentOf(await store.get(FAKE_GUILD_ID))).toEqual(contentOf(before));
    expect(readdirSync(downloadDir)).toEqual([]);
  });

  it('refuses an uploaded image that claims to be audio, by its content', async () => {
    const before = await store.get(FAKE_GUILD_ID);
    const attachment = fakeAttachment(`${cdnBase}/attachments/1/3/cover.mp3`, 'cover.mp3', 68, 'audio/mpeg');
    const body = await runRefused(
      queueInteraction({
        subcommand: 'add',
        user: alice,
        options: [{ name: 'file', type: 11, value: String(attachment.id) }],
        resolved: { attachments: { [String(attachment.id)]: attachment } },
      }),
    );
    expect(body.content).toBe('That is not an audio file (it looks like an image).');
    expect(contentOf(await store.get(FAKE_GUILD_ID))).toEqual(contentOf(before));
    expect(readdirSync(downloadDir)).toEqual([]);
  });

  it('refuses the cloud metadata address without contacting it', async () => {
    const before = await store.get(FAKE_GUILD_ID);
    const body = await runRefused(
      queueInteraction({
        subcommand: 'add',
        user: alice,
        options: [{ name: 'url', type: 3, value: 'http://169.254.169.254/latest/meta-data' }],
      }),
    );
    expect(body.content).toBe(PRIVATE_ADDRESS);
    expect(contentOf(await store.get(FAKE_GUILD_ID))).toEqual(contentOf(before));
  });

  it('refuses a link longer than 1,024 characters at once, to the member alone, holding and fetching nothing', async () => {
    const before = await store.get(FAKE_GUILD_ID);
    const link = `${cdnBase}/tracks/${'x'.repeat(MAX_LINK_CHARS)}.wav`;
    const payload = queueInteraction({
      subcommand: 'add',
      user: alice,
      options: [{ name: 'url', type: 3, value: link }],
    });
    discord.pushInteraction(payload);
    const reply = (await discord.waitForRest((c) => c.method === 'POST' && c.path === callbackPath(payload))).body as {
      type: number;
      data: MessageBody;
    };
    expect(reply.type).toBe(4);
    expect(reply.data.content).toBe(linkTooLong(link.length));
    expect(reply.data.flags).toBe(64);
    // Not even a reservation written and given back.
    expect(await store.get(FAKE_GUILD_ID)).toEqual(before);
  });

  it('refuses a 3-hour MP3 as too long', async () => {
    const before = await store.get(FAKE_GUILD_ID);
    const body = await runRefused(
      queueInteraction({
        subcommand: 'add',
        user: alice,
        options: [{ name: 'url', type: 3, value: `${cdnBase}/long.mp3` }],
      }),
    );
    expect(body.content).toMatch(/^The audio is 3:00:\d\d long; the limit is 20:00/);
    expect(contentOf(await store.get(FAKE_GUILD_ID))).toEqual(contentOf(before));
    expect(readdirSync(downloadDir)).toEqual([]);
  }, 120_000);

  it("refuses a song past the server's share of the disk before analysing it, saying whose share is full and what to do", async () => {
    const before = await store.get(FAKE_GUILD_ID);
    // The two songs waiting in the playlist fill the server's share.
    const waiting = ['night-drive.wav', 'warehouse-sunrise.wav'].reduce(
      (n, f) => n + statSync(path.join(tmp.dir, 'media', f)).size,
      0,
    );
    quotaLimits.serverBytes = waiting;
    try {
      // The 3-hour MP3 again, at another link: refused for the quota, not (after an analysis) for its length.
      const url = serve('tracks/another.mp3', served.get('/long.mp3')!.body, 'audio/mpeg');
      const body = await runRefused(
        queueInteraction({ subcommand: 'add', user: alice, options: [{ name: 'url', type: 3, value: url }] }),
      );
      expect(body.content).toMatch(
        /^This server's library is full: it may keep [\d.]+ [kM]B of music, and [\d.]+ [kM]B of that is songs waiting in its playlist, playing or being added, so this song \([\d.]+ [kM]B\) was not added\. Remove some with \/queue remove, or wait until some have played\.$/,
      );
      expect(contentOf(await store.get(FAKE_GUILD_ID))).toEqual(contentOf(before));
      expect(readdirSync(downloadDir)).toEqual([]);
    } finally {
      quotaLimits.serverBytes = quotaLimitsFromEnv({}).serverBytes;
    }
  }, 60_000);

  it('suggests what mixes after the most recently added track, with a button to queue it', async () => {
    const body = await runDeferred(suggestInteraction({ user: alice }));
    expect(body.embeds?.[0]?.title).toBe('What mixes well after warehouse-sunrise');
    expect(body.embeds?.[0]?.fields?.[0]?.name).toMatch(/^1\. night drive — \d+ %$/);
    const button = body.components?.[0]?.components[0];
    expect(button?.custom_id).toBe(`queue-add:${(await store.get(FAKE_GUILD_ID)).playlist[0]!.hash}`);
  }, 60_000);

  it('answers /suggest for an unknown track ephemerally, saying what to use', async () => {
    const payload = suggestInteraction({ user: alice, options: [{ name: 'track', type: 3, value: 'no such song' }] });
    discord.pushInteraction(payload);
    const call = await discord.waitForRest((c) => c.method === 'POST' && c.path === callbackPath(payload));
    expect((call.body as { data: MessageBody }).data).toMatchObject({
      content: expect.stringContaining('No track in the server library matches "no such song"') as unknown,
      flags: 64,
    });
  });

  it('adds a track from the server library by hash prefix, without a download', async () => {
    const [first] = (await store.get(FAKE_GUILD_ID)).playlist;
    await store.update(FAKE_GUILD_ID, (st) => ({ ...st, playlist: st.playlist.slice(1) }));
    const payload = queueInteraction({
      subcommand: 'add',
      user: alice,
      options: [{ name: 'track', type: 3, value: first!.hash.slice(0, 10) }],
    });
    discord.pushInteraction(payload);
    const call = await discord.waitForRest((c) => c.method === 'POST' && c.path === callbackPath(payload));
    // How it follows the song before is scored after the acknowledgement: the reply is edited with it.
    expect((call.body as { type: number }).type).toBe(5);
    const added = await discord.deferredOutcome(payload);
    expect(added.ephemeral).toBe(false);
    expect(added.content).toMatch(
      new RegExp(
        `^Added "night drive" at position 2 — ${SUMMARY}, energy \\d+/10\\. After "warehouse-sunrise": \\d+ % mixable — .+\\.$`,
      ),
    );
    expect((await store.get(FAKE_GUILD_ID)).playlist.map((e) => e.hash)).toEqual([expect.any(String), first!.hash]);
  });

  // Each test leaves no handler error behind (one that expects errors clears them), run alone or with the others.
  afterEach(() => {
    expect(errors).toEqual([]);
  });
});
