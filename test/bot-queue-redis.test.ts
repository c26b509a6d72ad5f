import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBot } from '../src/bot/create-bot.ts';
import type { Bot } from '../src/bot/create-bot.ts';
import { AnalysisStore } from '../src/db/analysis-store.ts';
import { FeedbackStore } from '../src/db/feedback-store.ts';
import { GuildStore } from '../src/db/guild-store.ts';
import { TrackFiles } from '../src/db/track-files.ts';
import { AnalysisQueue } from '../src/ingest/analysis-queue.ts';
import { writeSynthTrack } from '../src/synth/synth-cli.ts';
import { structureForBars } from '../src/synth/track-synth.ts';
import { startWorkerProcess } from './helpers/analysis-workers.ts';
import type { WorkerProcess } from './helpers/analysis-workers.ts';
import { hasRedis, startRedis } from './helpers/db-servers.ts';
import type { Server } from './helpers/db-servers.ts';
import {
  FAKE_APP_ID,
  FAKE_GUILD_ID,
  fakeAttachment,
  queueInteraction,
  startFakeDiscord,
} from './helpers/fake-discord.ts';
import type { FakeDiscord } from './helpers/fake-discord.ts';
import { makeTempDir, makeTone } from './helpers/ffmpeg-fixtures.ts';

if (!hasRedis) console.log('bot-queue-redis.test.ts skipped: no redis-server on this machine');

/* The bot as main.ts makes it with MINIDJ_REDIS set: /queue's analyses go on the Redis queue, a worker process takes them. */

const alice = { id: '700000000000000031', username: 'alice' };
const PROGRESS = /^(Waiting for the analyser|Analysing)/;

describe.skipIf(!hasRedis)('/queue add with analyses on the Redis queue (MINIDJ_REDIS) and a worker process', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  let redis: Server;
  let queue: AnalysisQueue;
  let store: GuildStore;
  let analyses: AnalysisStore;
  let feedback: FeedbackStore;
  let discord: FakeDiscord;
  let bot: Bot;
  let cdn: HttpServer;
  let cdnBase: string;
  let tracksDir: string;
  let downloadDir: string;
  const workers: WorkerProcess[] = [];
  const served = new Map<string, Buffer>();

  beforeAll(async () => {
    tmp = makeTempDir();
    tracksDir = path.join(tmp.dir, 'tracks');
    downloadDir = path.join(tmp.dir, 'downloads');
    mkdirSync(downloadDir);
    redis = await startRedis();
    queue = await AnalysisQueue.open(redis.url, { tracksDir });
    store = await GuildStore.open(path.join(tmp.dir, 'minidj.sqlite'));
    analyses = await AnalysisStore.open(path.join(tmp.dir, 'minidj.sqlite'));
    feedback = await FeedbackStore.open(path.join(tmp.dir, 'minidj.sqlite'));
    cdn = createServer((req, res) => {
      const body = served.get(new URL(req.url ?? '/', 'http://127.0.0.1').pathname);
      if (!body) return void res.writeHead(404).end();
      res.writeHead(200, { 'content-type': 'audio/wav', 'content-length': body.length }).end(body);
    });
    await new Promise<void>((resolve) => cdn.listen(0, '127.0.0.1', () => resolve()));
    cdnBase = `http://127.0.0.1:${(cdn.address() as AddressInfo).port}`;
    const song = path.join(tmp.dir, 'harbour-lights.wav');
    await writeSynthTrack(song, { bpm: 127, key: 'D', scale: 'minor', seed: 9, sections: structureForBars(16) });
    served.set('/attachments/1/9/harbour-lights.wav', readFileSync(song));
    // A FLAC whose header is sound and whose frames are noise: it passes the bot's vetting (the header is all a probe
    // reads) and fails in the worker's decode.
    const broken = readFileSync(makeTone(path.join(tmp.dir, 'broken.flac'), 8, ['-ac', '2']));
    for (let i = 8192, seed = 1; i < broken.length; i++)
      broken[i] = ((seed = (seed * 1103515245 + 12345) % 2 ** 31) >> 16) & 0xff;
    served.set('/attachments/1/9/broken.flac', broken);
    discord = await startFakeDiscord();
    bot = createBot({
      config: { token: 'MTIz.abc.def', clientId: FAKE_APP_ID },
      store,
      analyses,
      feedback,
      files: new TrackFiles(tracksDir),
      pool: queue,
      downloadDir,
      isAllowedAddress: (ip) => ip === '127.0.0.1',
      restApi: discord.apiBase,
      admission: { maxSets: 1000, maxLoopLagMs: Infinity },
    });
    await bot.start();
  }, 60_000);

  afterAll(async () => {
    await bot?.stop();
    await discord?.close();
    await Promise.all(workers.map((w) => w.kill('SIGKILL')));
    await new Promise<void>((resolve) => (cdn ? cdn.close(() => resolve()) : resolve()));
    await queue?.close();
    await Promise.all([analyses?.close(), feedback?.close()]);
    await store?.close();
    await redis?.stop();
    tmp?.cleanup();
  });

  function addAttachment(name: string, size: number): Record<string, unknown> {
    const attachment = fakeAttachment(`${cdnBase}/attachments/1/9/${name}`, name, size);
    const payload = queueInteraction({
      subcommand: 'add',
      user: alice,
      options: [{ name: 'file', type: 11, value: String(attachment.id) }],
      resolved: { attachments: { [String(attachment.id)]: attachment } },
    });
    discord.pushInteraction(payload);
    return payload;
  }

  it('waits for a worker when none runs, then the worker started later analyses the upload and the bot adds it', async () => {
    const payload = addAttachment('harbour-lights.wav', served.get('/attachments/1/9/harbour-lights.wav')!.length);
    // No worker yet: the job waits on the queue and the member is told so.
    const waiting = await discord.waitForRest(
      (c) => c.method === 'PATCH' && /^Waiting for the analyser/.test(String((c.body as { content?: string }).content)),
      60_000,
    );
    expect(String((waiting.body as { content: string }).content)).toMatch(/^Waiting for the analyser/);
    expect(readdirSync(path.join(tracksDir, 'incoming'))).toHaveLength(1);
    workers.push(
      await startWorkerProcess({ MINIDJ_REDIS: redis.url, MINIDJ_TRACKS_DIR: tracksDir, MINIDJ_ANALYSIS_JOBS: '1' }),
    );
    const outcome = await discord.deferredOutcome(payload, 120_000, (content) => PROGRESS.test(content));
    expect(outcome.content).toMatch(/^Added "harbour-lights" at position 1 — 127\.0 BPM, D minor \(7A\)/);
    const { playlist } = await store.get(FAKE_GUILD_ID);
    expect(playlist.map((e) => e.title)).toEqual(['harbour-lights']);
    expect(await analyses.get(playlist[0]!.hash)).toBeDefined();
    expect(workers[0]!.output()).toContain(`analysed ${playlist[0]!.hash.slice(0, 12)}`);
    expect(readdirSync(path.join(tracksDir, 'incoming'))).toEqual([]);
    expect(readdirSync(downloadDir)).toEqual([]);
  }, 180_000);

  it("refuses a broken upload with the worker's user-facing error, and the playlist keeps what it had", async () => {
    const before = (await store.get(FAKE_GUILD_ID)).playlist;
    const payload = addAttachment('broken.flac', served.get('/attachments/1/9/broken.flac')!.length);
    const outcome = await discord.deferredOutcome(payload, 120_000, (content) => PROGRESS.test(content));
    expect(outcome).toMatchObject({ ephemeral: true, deletedOriginal: true });
    expect(outcome.content).toMatch(/^The file decoded to no audio at all; it is corrupt or empty/);
    // Said by the worker process, not found by the bot before queueing.
    expect(workers[0]!.output()).toMatch(/job [\w-]+: The file decoded to no audio at all/);
    expect((await store.get(FAKE_GUILD_ID)).playlist).toEqual(before);
    expect(readdirSync(path.join(tracksDir, 'incoming'))).toEqual([]);
  }, 120_000);
});
