import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import { AnalyzerPool } from '../src/audio/analyzer-pool.ts';
import { createBot } from '../src/bot/create-bot.ts';
import type { Bot } from '../src/bot/create-bot.ts';
import { NO_SET } from '../src/bot/djset-handler.ts';
import { AnalysisStore } from '../src/db/analysis-store.ts';
import { FeedbackStore } from '../src/db/feedback-store.ts';
import { GuildStore } from '../src/db/guild-store.ts';
import { TrackFiles } from '../src/db/track-files.ts';
import { makeTempDir } from './helpers/ffmpeg-fixtures.ts';
import { until } from './helpers/until.ts';
import { djsetInteraction, FAKE_APP_ID, FAKE_OWNER_ID, REST_FAILURES, startFakeDiscord } from './helpers/fake-discord.ts';
import type { FakeDiscord, RestCall } from './helpers/fake-discord.ts';

const owner = { id: FAKE_OWNER_ID, username: 'owner' };
let tmp: ReturnType<typeof makeTempDir>;
let store: GuildStore;
let analyses: AnalysisStore;
let feedback: FeedbackStore;
let pool: AnalyzerPool;
let discord: FakeDiscord;
let bot: Bot;
const errors: unknown[] = [];

const callbackOf = (payload: Record<string, unknown>) => (c: RestCall) => c.method === 'POST' && c.path === `/api/v10/interactions/${String(payload.id)}/${String(payload.token)}/callback`;

async function status(): Promise<RestCall[]> {
  const payload = djsetInteraction({ subcommand: 'status', user: owner });
  discord.pushInteraction(payload);
  await discord.waitForRest(callbackOf(payload), 15_000);
  return discord.restCalls.filter(callbackOf(payload));
}

beforeAll(async () => {
  tmp = makeTempDir();
  const db = path.join(tmp.dir, 'minidj.sqlite');
  store = await GuildStore.open(db);
  analyses = await AnalysisStore.open(db);
  feedback = await FeedbackStore.open(db);
  pool = new AnalyzerPool({ size: 1 });
  discord = await startFakeDiscord();
  bot = createBot({
    config: { token: 'MTIz.abc.def', clientId: FAKE_APP_ID }, store, analyses, feedback, files: new TrackFiles(path.join(tmp.dir, 'tracks')), pool,
    restApi: discord.apiBase, onError: (e) => errors.push(e), resumeSets: false,
  });
  await bot.start();
}, 60_000);

afterAll(async () => {
  await bot?.stop();
  await discord?.close();
  await pool?.close();
  await analyses?.close();
  await feedback?.close();
  await store?.close();
  tmp?.cleanup();
});

describe('what a real Discord does to a bot, on the fake one', () => {
  it('429 with retry_after: the answer is sent again after the wait, once', async () => {
    const t0 = Date.now();
    discord.failNext((c) => c.path.endsWith('/callback'), REST_FAILURES.rateLimited(0.4));
    const calls = await until(async () => {
      const sent = await status();
      return sent.length > 0 ? sent : undefined;
    }, 'the callback');
    await until(() => discord.restCalls.filter((c) => c.path === calls[0]!.path).length >= 2 || undefined, 'the retry', 10_000);
    const both = discord.restCalls.filter((c) => c.path === calls[0]!.path);
    expect(both).toHaveLength(2);
    expect((both[1]!.body as { data: { content: string } }).data.content).toBe(NO_SET);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(400);
    expect(errors).toEqual([]);
  });

  it('10062 (unknown interaction): logged once, no second answer tried, and the next command is answered', async () => {
    discord.failNext((c) => c.path.endsWith('/callback'), REST_FAILURES.unknownInteraction());
    const calls = await status();
    await until(() => errors.length === 1 || undefined, 'the error to be logged');
    expect((errors[0] as { code?: number }).code).toBe(10062);
    await new Promise((r) => setTimeout(r, 300));
    expect(discord.restCalls.filter((c) => c.path === calls[0]!.path)).toHaveLength(1);
    errors.length = 0;
    expect(await status()).toHaveLength(1);
  });

  it('a dropped gateway resumes (op 6, RESUMED); an invalid session identifies again (op 2); commands keep working', async () => {
    const identifies = () => discord.gatewayOps.filter((o) => o.op === 2).length;
    const before = identifies();
    discord.dropGateway(4000);
    await discord.waitForGatewayOp((o) => o.op === 6, 20_000);
    await until(async () => (await status()).length === 1 || undefined, 'a command answered after the resume', 20_000);
    expect(identifies()).toBe(before);
    const resumes = discord.gatewayOps.filter((o) => o.op === 6).length;
    discord.dropGateway(4000, true);
    await until(() => discord.gatewayOps.filter((o) => o.op === 6).length > resumes || undefined, 'a second resume', 20_000);
    await until(() => identifies() > before || undefined, 'a new identify after INVALID_SESSION', 30_000);
    await until(() => bot.client.guilds.cache.size === 1 || undefined, 'the server again');
    await until(async () => (await status()).length === 1 || undefined, 'a command answered after the new session', 20_000);
    expect(errors).toEqual([]);
  }, 90_000);
});
