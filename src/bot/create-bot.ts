import { once } from 'node:events';
import { Client, Events, GatewayIntentBits } from 'discord.js';
import type { Interaction } from 'discord.js';
import type { AnalyzerPool } from '../audio/analyzer-pool.ts';
import { audioLimitsFromEnv } from '../audio/limits.ts';
import type { AnalysisStore } from '../db/analysis-store.ts';
import type { GuildStore } from '../db/guild-store.ts';
import type { BotConfig } from './bot-config.ts';
import { createInteractionRouter } from './interaction-router.ts';
import { lazyScorer } from './lazy-scorer.ts';
import { queueAddHandler } from './queue-add-handler.ts';
import { queueHandlers } from './queue-handler.ts';
import { suggestHandler } from './suggest-handler.ts';

export interface BotOptions {
  config: BotConfig;
  store: GuildStore;
  /** The server library: analyses by content hash. */
  analyses: AnalysisStore;
  /** Shared analyzer workers; the caller owns it (and closes it). */
  pool: AnalyzerPool;
  /** Parent of the per-request download dirs; the OS temp dir by default. */
  downloadDir?: string;
  /** For tests only. Default: the production policy (public addresses only). */
  isAllowedAddress?: (ip: string) => boolean;
  /** REST base, e.g. `http://127.0.0.1:PORT/api` for a test server; Discord's by default. */
  restApi?: string;
  onError?: (error: unknown) => void;
}

export interface Bot {
  client: Client;
  /** Logs in and resolves once the client is ready. */
  start(): Promise<void>;
  /** Waits for interactions being handled, then disconnects. */
  stop(): Promise<void>;
}

export function createBot(options: BotOptions): Bot {
  const onError = options.onError ?? ((error: unknown) => console.error('[mini-dj]', error));
  const client = new Client({
    intents: [GatewayIntentBits.Guilds, GatewayIntentBits.GuildVoiceStates],
    ...(options.restApi ? { rest: { api: options.restApi } } : {}),
  });
  const scorer = lazyScorer();
  const ingest = {
    analyses: options.analyses,
    pool: options.pool,
    maxBytes: audioLimitsFromEnv().maxBytes,
    ...(options.downloadDir ? { downloadDir: options.downloadDir } : {}),
    ...(options.isAllowedAddress ? { isAllowedAddress: options.isAllowedAddress } : {}),
  };
  const route = createInteractionRouter({
    ...queueHandlers(options.store),
    'queue add': queueAddHandler(options.store, ingest),
    suggest: suggestHandler(options.store, options.analyses, scorer),
  }, onError);
  const inFlight = new Set<Promise<void>>();
  const onInteraction = (interaction: Interaction): void => {
    const handling = route(interaction).catch(onError);
    inFlight.add(handling);
    void handling.finally(() => inFlight.delete(handling));
  };

  return {
    client,
    async start() {
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
        throw new Error(`DISCORD_CLIENT_ID ${options.config.clientId} does not match the token's application ${appId ?? '(unknown)'}.`);
      }
    },
    async stop() {
      client.off(Events.InteractionCreate, onInteraction);
      await Promise.allSettled([...inFlight]);
      await scorer.close();
      await client.destroy();
    },
  };
}
