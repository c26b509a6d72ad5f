import { describe, expect, it } from 'vitest';
import { readBotConfig } from '../src/bot/bot-config.ts';

const TOKEN = 'MTIzNDU2Nzg5MDEyMzQ1Njc4.GabcDe.abcdefghijklmnopqrstuvwxyz0123456789AB';

describe('bot configuration', () => {
  it('accepts a complete configuration', () => {
    expect(
      readBotConfig({
        DISCORD_TOKEN: TOKEN,
        DISCORD_CLIENT_ID: '123456789012345678',
        DISCORD_GUILD_ID: '987654321098765432',
      }),
    ).toEqual({
      ok: true,
      config: { token: TOKEN, clientId: '123456789012345678', guildId: '987654321098765432' },
    });
  });

  it('without a token, says so and points to the offline demo', () => {
    const r = readBotConfig({});
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems[0]).toBe(
      'DISCORD_TOKEN is not set. Create a bot in the Discord Developer Portal (Bot → Reset Token) and set DISCORD_TOKEN to it. Without a token, try the offline demo: npm run demo',
    );
    expect(r.problems[1]).toMatch(/^DISCORD_CLIENT_ID is not set\./);
  });

  it('names each malformed value', () => {
    const r = readBotConfig({ DISCORD_TOKEN: 'not-a-token', DISCORD_CLIENT_ID: 'my-bot', DISCORD_GUILD_ID: '42' });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems).toEqual([
      'DISCORD_TOKEN does not look like a bot token (three dot-separated parts). Copy it again from the Developer Portal → Bot.',
      'DISCORD_CLIENT_ID "my-bot" is not an application ID (17–20 digits).',
      'DISCORD_GUILD_ID "42" is not a server ID (17–20 digits). Leave it unset to register commands globally.',
    ]);
  });
});
