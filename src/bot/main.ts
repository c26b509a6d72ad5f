// `npm start`: the Discord bot. Configuration comes from the environment (see README → Running the bot).
import path from 'node:path';
import { AnalyzerPool } from '../audio/analysis/analyzer-pool.ts';
import { AnalysisStore } from '../db/analysis-store.ts';
import { FeedbackStore } from '../db/feedback-store.ts';
import { GuildStore } from '../db/guild-store.ts';
import { TrackFiles } from '../db/track-files.ts';
import { isPublicAddress } from '../ingest/address-policy.ts';
import { AnalysisQueue } from '../ingest/analysis-queue.ts';
import { DownloadSlots } from '../ingest/download-slots.ts';
import type { Analyzer } from '../audio/analysis/analyzer.ts';
import { installLastResort } from '../ops/last-resort.ts';
import { createLogger } from '../ops/log.ts';
import { configProblems, setting } from '../util/config.ts';
import { liveAnalysisNice } from '../util/live-priorities.ts';
import { homePath } from '../util/minidj-home.ts';
import { BotMetrics } from '../ops/metrics.ts';
import { opsHostsFromEnv } from '../ops/ops-hosts.ts';
import { startOpsServer } from '../ops/ops-server.ts';
import type { OpsServer } from '../ops/ops-server.ts';
import { readBotConfig } from './bot-config.ts';
import { createBot } from './create-bot.ts';
import { opsReports } from './ops-reports.ts';
import { LibraryQuota, quotaLimitsFromEnv } from '../library/library-quota.ts';
import { managedShard, shardsOf } from './sharding/shard-of.ts';
import { sweepLeftovers } from './sweep-leftovers.ts';

const config = readBotConfig();
const settingProblems = configProblems();
if (!config.ok || settingProblems.length) {
  const problems = [...(config.ok ? [] : config.problems), ...settingProblems];
  process.stderr.write(`Mini-DJ cannot start:\n${problems.map((p) => `  - ${p}`).join('\n')}\n`);
  process.exit(1);
}
const log = createLogger();

// Downloads live in the bot's own directory (a shard's own under the manager: its restart sweeps only what it left),
// so whatever a killed process left there can be swept at start.
const shard = managedShard();
const downloadBase = homePath(setting('MINIDJ_DOWNLOAD_DIR'), 'data/downloads');
const downloadDir = shard === undefined ? downloadBase : path.join(downloadBase, `shard-${shard}`);
const files = new TrackFiles();
// Other shards' processes may be copying into the library right now: only their older leftovers are swept.
await sweepLeftovers(downloadDir, files.dir, shard === undefined ? 0 : 10 * 60_000);

const quotaLimits = quotaLimitsFromEnv();
const store = await GuildStore.open();
const analyses = await AnalysisStore.open();
const feedback = await FeedbackStore.open();
const downloads = new DownloadSlots();
// Its gauges are read at each scrape, once the bot below exists.
const metrics = new BotMetrics({
  guilds: () => bot.client.guilds.cache.size,
  liveSets: () => bot.sets.size,
  analysisQueueDepth: () => pool.waiting(),
  downloads: () => ({ inFlight: downloads.inFlight, waiting: downloads.queued, max: downloads.max }),
  library: () => quota.usage(),
});
const quota = new LibraryQuota({
  files,
  analyses,
  store,
  limits: quotaLimits,
  log: (line: string) => log.info(line),
  onEvicted: (tracks) => metrics.libraryEvictions.inc(tracks),
  onRefused: (full) => metrics.libraryRefusals.inc({ full }),
});
const onFinished = (seconds: number, ok: boolean): void =>
  metrics.analysisSeconds.observe({ outcome: ok ? 'ok' : 'error' }, seconds);
// MINIDJ_REDIS: analyses go on the Redis queue, for `npm run worker` processes on any machine; else worker threads here.
const waitMinutes = setting('MINIDJ_QUEUE_WAIT_MIN');
const redis = setting('MINIDJ_REDIS');
const pool: Analyzer = redis
  ? await AnalysisQueue.open(redis, { tracksDir: files.dir, waitMs: waitMinutes * 60_000, onFinished })
  : new AnalyzerPool({ onFinished, nice: liveAnalysisNice() });
if (redis) log.info({ tracksDir: files.dir }, 'analyses go on the Redis queue (MINIDJ_REDIS) for the analysis workers');
const restApi = setting('MINIDJ_DISCORD_API');
const saveEverySec = setting('MINIDJ_SAVE_EVERY_SEC');
const bot = createBot({
  config: config.config,
  store,
  analyses,
  feedback,
  files,
  pool,
  downloadDir,
  downloads,
  // Another API base: a proxy, or the fake Discord of the tests.
  ...(restApi ? { restApi } : {}),
  resumeSets: setting('MINIDJ_RESUME'),
  // How often a live set saves where it is: at most this much of it is replayed after a crash.
  ...(saveEverySec !== undefined ? { timing: { saveEveryMs: 1000 * saveEverySec } } : {}),
  quota,
  onError: (error: unknown) => log.error({ err: error }, 'error'),
  onTransition: (guildId, report) => {
    metrics.countTransition(report.style, report.check?.verdict, report.plan.fallback === 'not-rendered');
    log.info(
      {
        guildId,
        style: report.style,
        bars: report.overlapBars,
        check: report.check?.verdict,
        fallback: report.plan.fallback,
      },
      'transition',
    );
  },
  // Each live set's state changes, voice rejoins and errors: a log line and a /metrics counter each.
  ...opsReports(metrics, log),
  log: (line: string) => log.info(line),
  // Opt-in for a file server on the bot's own machine (and the tests); private, link-local and metadata addresses stay refused.
  ...(setting('MINIDJ_ALLOW_LOOPBACK_URLS')
    ? { isAllowedAddress: (ip: string) => isPublicAddress(ip) || ip === '127.0.0.1' || ip === '::1' }
    : {}),
});

// MINIDJ_OPS_PORT: /healthz and /metrics for the machine's scraper and orchestrator (loopback unless MINIDJ_OPS_HOST;
// the Host names a remote scraper uses in MINIDJ_OPS_HOSTS);
// under the sharding manager, shard N's process listens on MINIDJ_OPS_PORT + N (0 stays 0: any free port).
let ops: OpsServer | undefined;
const opsPort = setting('MINIDJ_OPS_PORT');
const opsHost = setting('MINIDJ_OPS_HOST');
if (opsPort !== undefined) {
  ops = await startOpsServer({
    port: opsPort === 0 || shard === undefined ? opsPort : opsPort + shard,
    ...(opsHost ? { host: opsHost } : {}),
    allowedHosts: opsHostsFromEnv(),
    metrics,
    log,
    health: () => ({
      ok: bot.client.isReady() && !stopping,
      detail: {
        gateway: bot.client.isReady() ? 'ready' : 'not ready',
        stopping: Boolean(stopping),
        liveSets: bot.sets.size,
      },
    }),
  }).catch((error: unknown) => {
    // The port taken, a MINIDJ_OPS_HOSTS entry that is no host name.
    log.fatal({ err: error }, `Mini-DJ cannot start: ${(error as Error).message}`);
    process.exit(1);
  });
  log.info({ port: ops.port }, 'ops endpoints: /healthz, /metrics');
}

/** How long a shutdown may take (fading out, saving positions, closing stores) before the process exits anyway. */
const SHUTDOWN_DEADLINE_MS = 1000 * setting('MINIDJ_SHUTDOWN_DEADLINE_SEC');
let stopping: Promise<void> | undefined;
function shutdown(signal: string, exitCode = 0): void {
  if (stopping) return;
  log.info({ signal }, 'fading out the sets and saving where they are');
  setTimeout(() => {
    log.error(
      { deadlineSec: SHUTDOWN_DEADLINE_MS / 1000 },
      'shutdown deadline passed: exiting with the sets saved as last written',
    );
    process.exit(1);
  }, SHUTDOWN_DEADLINE_MS).unref();
  stopping = bot
    .stop()
    .catch((error: unknown) => log.error({ err: error }, 'stopping the bot failed'))
    .finally(async () => {
      await pool.close();
      await Promise.allSettled([store.close(), analyses.close(), feedback.close(), ops?.close()]);
      log.info('Mini-DJ stopped');
      process.exit(exitCode);
    });
}
process.on('SIGINT', () => shutdown('SIGINT'));
process.on('SIGTERM', () => shutdown('SIGTERM'));
// A shard whose manager is gone stops: a manager started again would run a second process on the same shard.
if (process.send) {
  process.on('disconnect', () => shutdown('manager gone'));
  // discord.js tells the manager of gateway events over IPC: once it is gone, that fails (and is no reason to crash).
  process.on('error', (error) => log.debug({ err: error }, 'message to the sharding manager not sent'));
}

let started = false;
installLastResort({
  log,
  running: () => started && !stopping,
  stop: (reason) => shutdown(`uncaught error: ${reason}`, 1),
  carriesOn: 'the live sets play on',
});

try {
  await bot.start();
} catch (error) {
  log.fatal({ err: error }, `Mini-DJ cannot start: ${(error as Error).message}`);
  await pool.close();
  await ops?.close();
  process.exit(1);
}
started = true;
const guilds = bot.client.guilds.cache.size;
const { ids: shards, count: shardCount } = shardsOf(bot.client);
log.info(
  { user: bot.client.user?.tag, guilds, resumedSets: bot.sets.size, shards, shardCount },
  `Mini-DJ is online as ${bot.client.user?.tag ?? 'the bot'} in ${guilds} server${guilds === 1 ? '' : 's'}; resumed ${bot.sets.size} set${bot.sets.size === 1 ? '' : 's'}`,
);
