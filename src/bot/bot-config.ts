/** What the bot needs from the environment, checked at start with messages that say how to fix each problem. */
export interface BotConfig {
  token: string;
  clientId: string;
  /** Register commands on this server only (instant) instead of globally (up to an hour). */
  guildId?: string;
}

export type BotConfigResult = { ok: true; config: BotConfig } | { ok: false; problems: string[] };

const SNOWFLAKE = /^\d{17,20}$/;

export function readBotConfig(env: NodeJS.ProcessEnv = process.env): BotConfigResult {
  const problems: string[] = [];
  const token = env.DISCORD_TOKEN?.trim() ?? '';
  const clientId = env.DISCORD_CLIENT_ID?.trim() ?? '';
  const guildId = env.DISCORD_GUILD_ID?.trim() || undefined;
  if (!token) {
    problems.push(
      'DISCORD_TOKEN is not set. Create a bot in the Discord Developer Portal (Bot → Reset Token) and set DISCORD_TOKEN to it. Without a token, try the offline demo: npm run demo',
    );
  } else if (token.split('.').length !== 3) {
    problems.push(
      'DISCORD_TOKEN does not look like a bot token (three dot-separated parts). Copy it again from the Developer Portal → Bot.',
    );
  }
  if (!clientId)
    problems.push(
      "DISCORD_CLIENT_ID is not set. It is the Application ID on the Developer Portal's General Information page.",
    );
  else if (!SNOWFLAKE.test(clientId))
    problems.push(`DISCORD_CLIENT_ID "${clientId}" is not an application ID (17–20 digits).`);
  if (guildId && !SNOWFLAKE.test(guildId))
    problems.push(
      `DISCORD_GUILD_ID "${guildId}" is not a server ID (17–20 digits). Leave it unset to register commands globally.`,
    );
  return problems.length ? { ok: false, problems } : { ok: true, config: { token, clientId, guildId } };
}
