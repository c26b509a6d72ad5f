// `npm start`: the Discord bot. Configuration comes from the environment (see README → Running the bot).
import path from 'node:path';
import { AnalyzerPool } from '../audio/analysis/analyzer-pool.ts';
import { AnalysisStore } from '../db/analysis-store.ts';
import { FeedbackStore } from '../db/feedback-store.ts';
import { GuildStore } from '../db/guild-store.ts';
import { TrackFiles } from '../db/track-files.ts';
import { isPublicAddress } from '../ingest/address-policy.ts';
import { readBotConfig } from './bot-config.ts';
import { createBot } from './create-bot.ts';
import { libraryQuotaBytes } from './library-quota.ts';
import { sweepLeftovers } from './sweep-leftovers.ts';

const config = readBotConfig();
if (!config.ok) {
  process.stderr.write(`Mini-DJ cannot start:\n${config.problems.map((p) => `  - ${p}`).join('\n')}\n`);
  process.exit(1);
}

// Downloads live in the bot's own directory, so whatever a killed process left there can be swept at start.
const downloadDir = path.resolve(process.env.MINIDJ_DOWNLOAD_DIR || 'data/downloads');
const files = new TrackFiles();
await sweepLeftovers(downloadDir, files.dir);

const quota = libraryQuotaBytes();
const store = await GuildStore.open();
const analyses = await AnalysisStore.open();
const feedback = await FeedbackStore.open();
const pool = new AnalyzerPool();
const bot = createBot({
  config: config.config,
  store,
  analyses,
  feedback,
  files,
  pool,
  downloadDir,
  // Another API base: a proxy, or the fake Discord of the tests.
  ...(process.env.MINIDJ_DISCORD_API ? { restApi: process.env.MINIDJ_DISCORD_API } : {}),
  resumeSets: process.env.MINIDJ_RESUME !== '0',
  ...(quota !== undefined ? { libraryQuotaBytes: quota } : {}),
  // Opt-in for a file server on the bot's own machine (and the tests); private, link-local and metadata addresses stay refused.
  ...(process.env.MINIDJ_ALLOW_LOOPBACK_URLS === '1' ? { isAllowedAddress: (ip: string) => isPublicAddress(ip) || ip === '127.0.0.1' || ip === '::1' } : {}),
});

let stopping: Promise<void> | undefined;
function shutdown(signal: string): void {
  if (stopping) return;
  process.stdout.write(`${signal}: fading out the sets and saving where they are…\n`);
  stopping = bot
    .stop()
    .catch((error: unknown) => console.error('[mini-dj]', error))
    .finally(async () => {
      await pool.close();
      await Promise.allSettled([store.close(), analyses.close(), feedback.close()]);
      process.stdout.write('Mini-DJ stopped.\n');
      process.exit(0);
    });
}
process.on('SIGINT', () => shutdown('SIGINT'));
process.on('SIGTERM', () => shutdown('SIGTERM'));

try {
  await bot.start();
} catch (error) {
  process.stderr.write(`Mini-DJ cannot start: ${(error as Error).message}\n`);
  await pool.close();
  process.exit(1);
}
const guilds = bot.client.guilds.cache.size;
process.stdout.write(`Mini-DJ is online as ${bot.client.user?.tag ?? 'the bot'} in ${guilds} server${guilds === 1 ? '' : 's'}; resumed ${bot.sets.size} set${bot.sets.size === 1 ? '' : 's'}.\n`);
