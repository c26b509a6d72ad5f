import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createBot } from '../src/bot/create-bot.ts';
import type { Bot } from '../src/bot/create-bot.ts';
import type { PlaylistEntry } from '../src/db/guild-store.ts';
import { answerTo, openBotHarness } from './helpers/bot-harness.ts';
import type { BotHarness } from './helpers/bot-harness.ts';
import { NOT_VOICE } from '../src/bot/commands/djset/djset-handler.ts';
import { describeSettings, SETTINGS_NEED_MANAGE } from '../src/bot/commands/djset/settings-handler.ts';
import { BAD_SCHEME, PRIVATE_ADDRESS } from '../src/ingest/vet-url.ts';
import { outOfBounds, SERVER_SETTINGS } from '../src/util/add-policy.ts';
import {
  djsetInteraction,
  FAKE_APP_ID,
  FAKE_DJ_ROLE_ID,
  FAKE_GUILD_ID,
  FAKE_TEXT_CHANNEL_ID,
  PERMISSIONS,
  queueInteraction,
} from './helpers/fake-discord.ts';

interface CallbackBody {
  type: number;
  data: { content?: string; flags?: number; allowed_mentions?: { parse?: string[] } };
}

const alice = { id: '700000000000000001', username: 'alice' };
const bob = { id: '700000000000000002', username: 'bob' };

function entry(n: number, title: string, requesterId: string): PlaylistEntry {
  return {
    id: `e${n}`,
    hash: `h${n}`,
    title,
    requesterId,
    addedAt: new Date(Date.UTC(2025, 0, 1, 0, 0, n)).toISOString(),
  };
}

let h: BotHarness;
let bot: Bot;

/** A deferred command refused after its deferral: the refusal goes to the member alone, the public "thinking…" deleted. */
async function runRefused(payload: Record<string, unknown>): Promise<string> {
  expect((await run(payload)).type).toBe(5);
  const outcome = await h.discord.deferredOutcome(payload, 30_000);
  expect(outcome).toMatchObject({ ephemeral: true, deletedOriginal: true });
  return outcome.content;
}

const run = (payload: Record<string, unknown>): Promise<CallbackBody> => answerTo<CallbackBody>(h.discord, payload);

beforeAll(async () => {
  h = await openBotHarness();
  bot = await h.start();
});

afterAll(async () => {
  await h?.close();
});

describe('the bot against a fake Discord on loopback', () => {
  it("refuses to start when DISCORD_CLIENT_ID is not the token's application", async () => {
    const wrong = createBot({
      config: { token: 'MTIz.abc.def', clientId: '999999999999999999' },
      store: h.store,
      analyses: h.analyses,
      feedback: h.feedback,
      files: h.files,
      pool: h.pool,
      restApi: h.discord.apiBase,
      onError: (e) => h.errors.push(e),
    });
    await expect(wrong.start()).rejects.toThrow(/does not match/);
    expect(wrong.client.isReady()).toBe(false);
  });

  it('logs in over the gateway and sees the guild', () => {
    expect(bot.client.isReady()).toBe(true);
    expect(bot.client.user?.id).toBe(FAKE_APP_ID);
    expect(bot.client.guilds.cache.get(FAKE_GUILD_ID)?.name).toBe('Fake Club');
    const identify = h.discord.gatewayOps.find((o) => o.op === 2);
    expect((identify?.d as { token?: string } | undefined)?.token).toBe('MTIz.abc.def');
  });

  it('answers /queue list on an empty playlist publicly (acknowledged first, as it plans the play order)', async () => {
    const payload = queueInteraction({ subcommand: 'list', user: alice });
    const body = await run(payload);
    expect(body.type).toBe(5);
    expect((body.data?.flags ?? 0) & 64).toBe(0);
    expect(await h.discord.deferredOutcome(payload)).toEqual({
      content: 'The playlist is empty. Add a song with /queue add.',
      ephemeral: false,
      deletedOriginal: false,
    });
  });

  it('says which entries written to the store cannot be played (no analysis or audio for them)', async () => {
    await h.store.update(FAKE_GUILD_ID, (s) => ({
      ...s,
      playlist: [entry(1, 'Night Drive', alice.id), entry(2, 'Warehouse Sunrise', bob.id)],
    }));
    const payload = queueInteraction({ subcommand: 'list', user: bob });
    expect((await run(payload)).type).toBe(5);
    expect((await h.discord.deferredOutcome(payload)).content).toBe(
      'Nothing in the playlist can be played: the audio of "Night Drive", "Warehouse Sunrise" is gone from the library. Add them again with /queue add.',
    );
    const edit = h.discord.restCalls.find((c) => c.method === 'PATCH' && c.path.includes(String(payload.token)));
    expect((edit?.body as { allowed_mentions?: unknown }).allowed_mentions).toEqual({ parse: [] });
  });

  it('refuses /queue clear from a member without DJ role or Manage Server, ephemerally, and keeps the playlist', async () => {
    const before = await h.store.get(FAKE_GUILD_ID);
    const body = await run(queueInteraction({ subcommand: 'clear', user: bob, permissions: PERMISSIONS.member }));
    expect(body.data.content).toBe('Clearing the playlist needs the DJ role or Manage Server.');
    expect(body.data.flags).toBe(64);
    expect(await h.store.get(FAKE_GUILD_ID)).toEqual(before);
  });

  it('lets a member with Manage Server clear the playlist', async () => {
    const body = await run(
      queueInteraction({ subcommand: 'clear', user: alice, permissions: PERMISSIONS.manageGuild }),
    );
    expect(body.data.content).toBe('Cleared the playlist: removed 2 songs.');
    expect((body.data.flags ?? 0) & 64).toBe(0);
    expect((await h.store.get(FAKE_GUILD_ID)).playlist).toEqual([]);
  });

  it("removes and moves with the DJ role taken from the member's role ids", async () => {
    await h.store.update(FAKE_GUILD_ID, (s) => ({
      ...s,
      settings: { ...s.settings, djRoleId: FAKE_DJ_ROLE_ID },
      playlist: [entry(3, 'One', alice.id), entry(4, 'Two', alice.id), entry(5, 'Three', alice.id)],
    }));
    const refused = await run(
      queueInteraction({ subcommand: 'remove', user: bob, options: [{ name: 'position', type: 4, value: 1 }] }),
    );
    expect(refused.data).toMatchObject({
      content: "You can only remove your own songs; removing others' needs the DJ role or Manage Server.",
      flags: 64,
    });

    const moved = await run(
      queueInteraction({
        subcommand: 'move',
        user: bob,
        roles: [FAKE_DJ_ROLE_ID],
        options: [
          { name: 'from', type: 4, value: 3 },
          { name: 'to', type: 4, value: 1 },
        ],
      }),
    );
    expect(moved.data.content).toBe('Moved "Three" from position 3 to position 1.');
    const removed = await run(
      queueInteraction({
        subcommand: 'remove',
        user: bob,
        roles: [FAKE_DJ_ROLE_ID],
        options: [{ name: 'position', type: 4, value: 2 }],
      }),
    );
    expect(removed.data.content).toBe('Removed "One" (position 2).');
    expect((await h.store.get(FAKE_GUILD_ID)).playlist.map((e) => e.title)).toEqual(['Three', 'Two']);
  });

  it('asks for a file, a url or a track when /queue add gets none, ephemerally', async () => {
    const body = await run(queueInteraction({ subcommand: 'add', user: alice }));
    expect(body.data.content).toBe('Give a file (up to 10 MB for you here), a url or a track to add.');
    expect(body.data.flags).toBe(64);
  });

  it('refuses links to this machine or a non-http scheme, with the exact message and the store unchanged', async () => {
    const before = await h.store.get(FAKE_GUILD_ID);
    for (const [url, message] of [
      ['http://127.0.0.1:8080/song.mp3', PRIVATE_ADDRESS],
      ['http://localhost/song.mp3', PRIVATE_ADDRESS],
      ['http://[::1]/song.mp3', PRIVATE_ADDRESS],
      ['http://169.254.169.254/latest/meta-data', PRIVATE_ADDRESS],
      ['ftp://example.com/song.mp3', BAD_SCHEME],
    ] as const) {
      expect(
        await runRefused(
          queueInteraction({ subcommand: 'add', user: alice, options: [{ name: 'url', type: 3, value: url }] }),
        ),
      ).toBe(message);
    }
    // Each add reserved its place and gave it back (two writes each): the content is as it was.
    expect({ ...(await h.store.get(FAKE_GUILD_ID)), version: 0 }).toEqual({ ...before, version: 0 });
  });

  it('answers bad positions and a text channel given as the voice channel with what to do instead', async () => {
    const before = await h.store.get(FAKE_GUILD_ID);
    const removed = await run(
      queueInteraction({ subcommand: 'remove', user: alice, options: [{ name: 'position', type: 4, value: 7 }] }),
    );
    expect(removed.data).toMatchObject({
      content: `There is no song at position 7; the playlist has ${before.playlist.length}.`,
      flags: 64,
    });
    const moved = await run(
      queueInteraction({
        subcommand: 'move',
        user: alice,
        roles: [FAKE_DJ_ROLE_ID],
        options: [
          { name: 'from', type: 4, value: 0 },
          { name: 'to', type: 4, value: 1 },
        ],
      }),
    );
    expect(moved.data).toMatchObject({
      content: `There is no song at position 0; the playlist has ${before.playlist.length}.`,
      flags: 64,
    });
    const start = await run(
      djsetInteraction({
        subcommand: 'start',
        user: alice,
        options: [{ name: 'channel', type: 7, value: FAKE_TEXT_CHANNEL_ID }],
        // Discord resolves channel options in `data.resolved.channels`.
        resolved: {
          channels: {
            [FAKE_TEXT_CHANNEL_ID]: {
              id: FAKE_TEXT_CHANNEL_ID,
              type: 0,
              name: 'general',
              permissions: PERMISSIONS.member,
            },
          },
        },
      }),
    );
    expect(start.data).toMatchObject({ content: NOT_VOICE, flags: 64 });
    expect(await h.store.get(FAKE_GUILD_ID)).toEqual(before);
  });

  it('shows the settings to anyone and lets only Manage Server change them', async () => {
    const before = await h.store.get(FAKE_GUILD_ID);
    const shown = await run(djsetInteraction({ subcommand: 'settings', user: bob }));
    expect(shown.data).toMatchObject({ content: describeSettings(before.settings), flags: 64 });
    const options = [
      { name: 'order', type: 3, value: 'queue' },
      { name: 'max_queued', type: 4, value: 3 },
    ];
    const refused = await run(djsetInteraction({ subcommand: 'settings', user: bob, options }));
    expect(refused.data).toMatchObject({ content: SETTINGS_NEED_MANAGE, flags: 64 });
    expect(await h.store.get(FAKE_GUILD_ID)).toEqual(before);
    const saved = await run(
      djsetInteraction({ subcommand: 'settings', user: alice, permissions: PERMISSIONS.manageGuild, options }),
    );
    const after = await h.store.get(FAKE_GUILD_ID);
    expect(after.settings).toEqual({ ...before.settings, order: 'queue', maxQueuePerMember: 3 });
    expect(saved.data?.content).toBe(`Settings saved.\n${describeSettings(after.settings)}`);
    expect(saved.data?.content).toContain(`DJ role: <@&${FAKE_DJ_ROLE_ID}>`);
  });

  it("refuses a /djset settings number outside the add policy's bounds (a client that skips Discord's check), and keeps the settings", async () => {
    const before = await h.store.get(FAKE_GUILD_ID);
    const { option, max } = SERVER_SETTINGS.maxQueuePerMember;
    const options = [
      { name: 'order', type: 3, value: 'smart' },
      { name: option, type: 4, value: max + 1 },
    ];
    const refused = await run(
      djsetInteraction({ subcommand: 'settings', user: alice, permissions: PERMISSIONS.manageGuild, options }),
    );
    expect(refused.data).toMatchObject({ content: outOfBounds(SERVER_SETTINGS.maxQueuePerMember, max + 1), flags: 64 });
    expect(await h.store.get(FAKE_GUILD_ID)).toEqual(before);
  });

  // After each test, run alone or with the others: no unexpected REST call so far, no handler error.
  afterEach(() => {
    expect(
      h.discord.restCalls.filter(
        (c) => !c.path.startsWith('/api/v10/interactions/') && !c.path.startsWith(`/api/v10/webhooks/${FAKE_APP_ID}/`),
      ),
    ).toEqual([]);
    expect(h.errors).toEqual([]);
  });
});
