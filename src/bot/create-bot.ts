import { once } from 'node:events';
import { Client, Events, GatewayIntentBits } from 'discord.js';
import type { Interaction } from 'discord.js';
import type { GuildStore } from '../db/guild-store.ts';
import type { BotConfig } from './bot-config.ts';
import { createInteractionRouter } from './interaction-router.ts';
import { queueHandlers } from './queue-handler.ts';

export interface BotOptions {
  config: BotConfig;
  store: GuildStore;
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
  const route = createInteractionRouter(queueHandlers(options.store), onError);
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
      await client.destroy();
    },
  };
}
