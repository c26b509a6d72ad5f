import type { TransitionReport } from '../audio/set/set-report.ts';
import { once } from 'node:events';
import { Client, Events, GatewayIntentBits } from 'discord.js';
import type { Interaction } from 'discord.js';
import type { Analyzer } from '../audio/analysis/analyzer.ts';
import { audioLimitsFromEnv } from '../audio/io/limits.ts';
import { TransitionRenderer } from '../audio/transition/transition-renderer.ts';
import type { AnalysisStore } from '../db/analysis-store.ts';
import type { FeedbackStore } from '../db/feedback-store.ts';
import type { GuildStore } from '../db/guild-store.ts';
import type { TrackFiles } from '../db/track-files.ts';
import { DownloadSlots } from '../ingest/download-slots.ts';
import type { IngestDeps } from './adds/fetch-and-ingest.ts';
import type { BotConfig } from './bot-config.ts';
import { COMMANDS } from './commands/all-commands.ts';
import { interactionHandlers } from './commands/command-routes.ts';
import { createInteractionRouter } from './interaction-router.ts';
import { lazyScorer } from '../ai/lazy-scorer.ts';
import { LibraryQuota, quotaLimitsFromEnv } from '../library/library-quota.ts';
import { liveRenderNice } from '../util/live-priorities.ts';
import type { LiveSetDeps, LiveSetTiming } from './live/live-set.ts';
import type { AdmissionOptions } from '../voice/admission.ts';
import { LiveSets } from './live/live-sets.ts';
import { ReservationKeeper } from './adds/reservation-keeper.ts';
import { ownsGuild } from './sharding/shard-of.ts';

export interface BotOptions {
  config: BotConfig;
  store: GuildStore;
  /** The server library: analyses by content hash. */
  analyses: AnalysisStore;
  /** The library's audio, kept for playing. */
  files: TrackFiles;
  feedback: FeedbackStore;
  /** The analyzer: worker threads in this process, or the Redis queue's worker processes; the caller owns it (and closes it). */
  pool: Analyzer;
  /** Parent of the per-request download dirs; the OS temp dir by default. */
  downloadDir?: string;
  /** The downloads in flight at once in this process; default `MINIDJ_MAX_DOWNLOADS`, else 16. */
  downloads?: DownloadSlots;
  /** For tests only. Default: the production policy (public addresses only). */
  isAllowedAddress?: (ip: string) => boolean;
  /** REST base, e.g. `http://127.0.0.1:PORT/api` for a test server; Discord's by default. */
  restApi?: string;
  onError?: (error: unknown) => void;
  /** Each transition a live set produces (metrics, logs). */
  onTransition?: (guildId: string, report: TransitionReport) => void;
  /** Each live set's state changes (the log). */
  onSetStateChange?: LiveSetDeps['onStateChange'];
  /** Each live set's voice rejoins and errors (the log and metrics); without it, voice connection errors go to `onError`. */
  onVoice?: LiveSetDeps['onVoice'];
  /** Resume saved sets once logged in (default true). */
  resumeSets?: boolean;
  /** Tests shorten the live sets' grace periods. */
  timing?: Partial<LiveSetTiming>;
  /** Admission control of live sets; default from the environment (`MINIDJ_MAX_LIVE_SETS`, …; src/voice/admission.ts). */
  admission?: AdmissionOptions;
  /** The library's disk quota by server; by default from the environment (`MINIDJ_MAX_LIBRARY_GB`, …). */
  quota?: LibraryQuota;
  /** Where operator notices go (tracks evicted under the quota); stdout by default. */
  log?: (line: string) => void;
  /** Niceness of the transition renders (render thread and its decoders); default `MINIDJ_RENDER_NICE`, else 10. */
  renderNice?: number;
}

export interface Bot {
  client: Client;
  sets: LiveSets;
  /** Logs in and resolves once the client is ready (and saved sets have resumed). */
  start(): Promise<void>;
  /** Fades out every set (keeping their sessions to resume), waits for interactions being handled, then disconnects. */
  stop(): Promise<void>;
}

/** What `/queue add` downloads and ingests with: the limits, the downloads in flight, the disk quota. */
function ingestDeps(options: BotOptions): IngestDeps {
  const quota =
    options.quota ??
    new LibraryQuota({
      files: options.files,
      analyses: options.analyses,
      store: options.store,
      limits: quotaLimitsFromEnv(),
      log: options.log ?? ((line: string) => process.stdout.write(`${line}\n`)),
    });
  return {
    analyses: options.analyses,
    files: options.files,
    pool: options.pool,
    maxBytes: audioLimitsFromEnv().maxBytes,
    downloads: options.downloads ?? new DownloadSlots(),
    ...(options.downloadDir ? { downloadDir: options.downloadDir } : {}),
    ...(options.isAllowedAddress ? { isAllowedAddress: options.isAllowedAddress } : {}),
    quota,
    reservations: new ReservationKeeper(options.store),
  };
}

export function createBot(options: BotOptions): Bot {
  const onError = options.onError ?? ((error: unknown) => console.error('[mini-dj]', error));
  const client = new Client({
    intents: [GatewayIntentBits.Guilds, GatewayIntentBits.GuildVoiceStates],
    ...(options.restApi ? { rest: { api: options.restApi } } : {}),
  });
  const scorer = lazyScorer();
  const renderer = new TransitionRenderer({ nice: options.renderNice ?? liveRenderNice() });
  const ingest = ingestDeps(options);
  const picking = { analyses: options.analyses, files: options.files, scorer: () => scorer.get() };
  const sets = new LiveSets(
    {
      ...picking,
      client,
      store: options.store,
      renderer,
      onError,
      ...(options.onTransition ? { onTransition: options.onTransition } : {}),
      ...(options.onSetStateChange ? { onStateChange: options.onSetStateChange } : {}),
      ...(options.onVoice ? { onVoice: options.onVoice } : {}),
      ...(options.timing ? { timing: options.timing } : {}),
    },
    options.admission,
  );
  const route = createInteractionRouter(
    interactionHandlers(COMMANDS, {
      ...picking,
      store: options.store,
      sets,
      feedback: options.feedback,
      ingest,
      lazyScorer: scorer,
    }),
    onError,
  );
  const inFlight = new Set<Promise<void>>();
  const onInteraction = (interaction: Interaction): void => {
    const handling = route(interaction).catch(onError);
    inFlight.add(handling);
    void handling.finally(() => inFlight.delete(handling));
  };

  return {
    client,
    sets,
    async start() {
      // Writes to a server's library go to the index the readers query (the analysis store's).
      await options.store.useLibraryOf(options.analyses);
      client.on(Events.InteractionCreate, onInteraction);
      const ready = once(client, Events.ClientReady);
      try {
        await client.login(options.config.token);
        await ready;
      } catch (error) {
        client.off(Events.InteractionCreate, onInteraction);
        await client.destroy();
        throw error;
      }
      const appId = client.application?.id;
      if (appId !== options.config.clientId) {
        await this.stop();
        throw new Error(
          `DISCORD_CLIENT_ID ${options.config.clientId} does not match the token's application ${appId ?? '(unknown)'}.`,
        );
      }
      // Only this process's shards' guilds: another process (shard) holds the others' sets.
      if (options.resumeSets ?? true)
        await sets.resumeAll([...client.guilds.cache.values()].filter((g) => ownsGuild(client, g.id)));
    },
    async stop() {
      client.off(Events.InteractionCreate, onInteraction);
      await sets.stopAll('shutdown');
      await Promise.allSettled([...inFlight]);
      await renderer.close();
      await scorer.close();
      await client.destroy();
    },
  };
}
