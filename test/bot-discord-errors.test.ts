import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Bot } from '../src/bot/create-bot.ts';
import { NO_SET } from '../src/bot/commands/djset/djset-handler.ts';
import { callbackTo, openBotHarness } from './helpers/bot-harness.ts';
import type { BotHarness } from './helpers/bot-harness.ts';
import { until } from './helpers/until.ts';
import { djsetInteraction, FAKE_OWNER_ID, REST_FAILURES } from './helpers/fake-discord.ts';
import type { RestCall } from './helpers/fake-discord.ts';

const owner = { id: FAKE_OWNER_ID, username: 'owner' };
let h: BotHarness;
let bot: Bot;

async function status(): Promise<RestCall[]> {
  const payload = djsetInteraction({ subcommand: 'status', user: owner });
  h.discord.pushInteraction(payload);
  await h.discord.waitForRest(callbackTo(payload), 15_000);
  return h.discord.restCalls.filter(callbackTo(payload));
}

beforeAll(async () => {
  h = await openBotHarness(1);
  bot = await h.start({ resumeSets: false });
}, 60_000);

afterAll(async () => {
  await h?.close();
});

describe('what a real Discord does to a bot, on the fake one', () => {
  it('429 with retry_after: the answer is sent again after the wait, once', async () => {
    const t0 = Date.now();
    h.discord.failNext((c) => c.path.endsWith('/callback'), REST_FAILURES.rateLimited(0.4));
    const calls = await until(async () => {
      const sent = await status();
      return sent.length > 0 ? sent : undefined;
    }, 'the callback');
    await until(
      () => h.discord.restCalls.filter((c) => c.path === calls[0]!.path).length >= 2 || undefined,
      'the retry',
      10_000,
    );
    const both = h.discord.restCalls.filter((c) => c.path === calls[0]!.path);
    expect(both).toHaveLength(2);
    expect((both[1]!.body as { data: { content: string } }).data.content).toBe(NO_SET);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(400);
    expect(h.errors).toEqual([]);
  });

  it('10062 (unknown interaction): logged once, no second answer tried, and the next command is answered', async () => {
    h.discord.failNext((c) => c.path.endsWith('/callback'), REST_FAILURES.unknownInteraction());
    const calls = await status();
    await until(() => h.errors.length === 1 || undefined, 'the error to be logged');
    expect(String((h.errors[0] as Error).message)).toMatch(
      /^\/djset status was answered too late: Discord no longer knew the interaction \(10062\)/,
    );
    expect(((h.errors[0] as Error).cause as { code?: number }).code).toBe(10062);
    await new Promise((r) => setTimeout(r, 300));
    expect(h.discord.restCalls.filter((c) => c.path === calls[0]!.path)).toHaveLength(1);
    h.errors.length = 0;
    expect(await status()).toHaveLength(1);
  });

  it('a dropped gateway resumes (op 6, RESUMED); an invalid session identifies again (op 2); commands keep working', async () => {
    const identifies = () => h.discord.gatewayOps.filter((o) => o.op === 2).length;
    const before = identifies();
    h.discord.dropGateway(4000);
    await h.discord.waitForGatewayOp((o) => o.op === 6, 20_000);
    await until(async () => (await status()).length === 1 || undefined, 'a command answered after the resume', 20_000);
    expect(identifies()).toBe(before);
    const resumes = h.discord.gatewayOps.filter((o) => o.op === 6).length;
    h.discord.dropGateway(4000, true);
    await until(
      () => h.discord.gatewayOps.filter((o) => o.op === 6).length > resumes || undefined,
      'a second resume',
      20_000,
    );
    await until(() => identifies() > before || undefined, 'a new identify after INVALID_SESSION', 30_000);
    await until(() => bot.client.guilds.cache.size === 1 || undefined, 'the server again');
    await until(
      async () => (await status()).length === 1 || undefined,
      'a command answered after the new session',
      20_000,
    );
    expect(h.errors).toEqual([]);
  }, 90_000);
});
