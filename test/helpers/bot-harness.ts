import path from 'node:path';
import { AnalyzerPool } from '../../src/audio/analysis/analyzer-pool.ts';
import { LIVE_ANALYSIS_NICE } from '../../src/util/live-priorities.ts';
import { createBot } from '../../src/bot/create-bot.ts';
import type { Bot, BotOptions } from '../../src/bot/create-bot.ts';
import { AnalysisStore } from '../../src/db/analysis-store.ts';
import { FeedbackStore } from '../../src/db/feedback-store.ts';
import { GuildStore } from '../../src/db/guild-store.ts';
import { TrackFiles } from '../../src/db/track-files.ts';
import { makeTempDir } from './ffmpeg-fixtures.ts';
import { FAKE_APP_ID, startFakeDiscord } from './fake-discord.ts';
import type { FakeDiscord, FakeDiscordOptions, RestCall } from './fake-discord.ts';

/** What a bot test needs: real stores in one SQLite file, the library's files, an analyser, the fake Discord. */
export interface BotHarness {
  dir: string;
  /** The store's SQLite file (also for `minidj --db`). */
  db: string;
  store: GuildStore;
  analyses: AnalysisStore;
  feedback: FeedbackStore;
  files: TrackFiles;
  pool: AnalyzerPool;
  discord: FakeDiscord;
  /** Everything the bot passed to `onError`. */
  errors: unknown[];
  /** Creates and starts the bot (after the test has seeded what it needs). */
  start(options?: Partial<BotOptions>): Promise<Bot>;
  /** Stops the bot and closes everything, then removes the temp dir. */
  close(): Promise<void>;
}

export async function openBotHarness(poolSize = 2, discordOptions: FakeDiscordOptions = {}): Promise<BotHarness> {
  const tmp = makeTempDir();
  const db = path.join(tmp.dir, 'minidj.sqlite');
  // One after another, as the bot opens them.
  const store = await GuildStore.open(db);
  const analyses = await AnalysisStore.open(db);
  const feedback = await FeedbackStore.open(db);
  const files = new TrackFiles(path.join(tmp.dir, 'tracks'));
  // As the bot's own (main.ts): analyses yield to the live sets' renders.
  const pool = new AnalyzerPool({ size: poolSize, nice: LIVE_ANALYSIS_NICE });
  const discord = await startFakeDiscord(discordOptions);
  const errors: unknown[] = [];
  let bot: Bot | undefined;
  return {
    dir: tmp.dir,
    db,
    store,
    analyses,
    feedback,
    files,
    pool,
    discord,
    errors,
    async start(options = {}) {
      bot = createBot({
        config: { token: 'MTIz.abc.def', clientId: FAKE_APP_ID },
        store,
        analyses,
        feedback,
        files,
        pool,
        restApi: discord.apiBase,
        onError: (e) => errors.push(e),
        // Tests share a loaded machine and start sets on purpose: admission control is tested on its own
        // (bot-admission.test.ts), here it admits every set.
        admission: { maxSets: 1000, maxLoopLagMs: Infinity },
        ...options,
      });
      await bot.start();
      return bot;
    },
    async close() {
      await bot?.stop();
      await discord.close();
      await pool.close();
      await Promise.all([analyses.close(), feedback.close(), store.close()]);
      tmp.cleanup();
    },
  };
}

/** Matches the bot's first answer (the interaction callback) to `payload`. */
export function callbackTo(payload: Record<string, unknown>): (call: RestCall) => boolean {
  return (c) =>
    c.method === 'POST' && c.path === `/api/v10/interactions/${String(payload.id)}/${String(payload.token)}/callback`;
}

/** Pushes an interaction and resolves with the body of the bot's callback to it. */
export async function answerTo<T>(
  discord: FakeDiscord,
  payload: Record<string, unknown>,
  timeoutMs = 15_000,
): Promise<T> {
  discord.pushInteraction(payload);
  return (await discord.waitForRest(callbackTo(payload), timeoutMs)).body as T;
}
