import { REST, Routes } from 'discord.js';
import { ALL_COMMANDS } from './commands/all-commands.ts';
import type { BotConfig } from './bot-config.ts';

/**
 * Deploys the slash commands: to one server when DISCORD_GUILD_ID is set (instant), otherwise globally (Discord may
 * take up to an hour to show them). `api` points the REST client elsewhere (tests use a server on loopback).
 */
export async function registerCommands(
  config: BotConfig,
  api?: string,
): Promise<{ scope: 'guild' | 'global'; count: number }> {
  const rest = new REST({ version: '10', ...(api ? { api } : {}) }).setToken(config.token);
  const body = ALL_COMMANDS.map((c) => c.toJSON());
  const route = config.guildId
    ? Routes.applicationGuildCommands(config.clientId, config.guildId)
    : Routes.applicationCommands(config.clientId);
  const result = (await rest.put(route, { body })) as unknown[];
  return { scope: config.guildId ? 'guild' : 'global', count: result.length };
}
