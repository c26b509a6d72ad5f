import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadavg } from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Bot } from '../src/bot/create-bot.ts';
import { callbackTo, openBotHarness } from './helpers/bot-harness.ts';
import type { BotHarness } from './helpers/bot-harness.ts';
import { ingestBotTrack } from './helpers/bot-tracks.ts';
import { until } from './helpers/until.ts';
import {
  autocompleteInteraction,
  buttonInteraction,
  djsetInteraction,
  fakeAttachment,
  fakeGuildIds,
  FAKE_GUILD_ID,
  FAKE_OWNER_ID,
  FAKE_VOICE_CHANNEL_ID,
  PERMISSIONS,
  queueInteraction,
  REST_FAILURES,
  suggestInteraction,
} from './helpers/fake-discord.ts';
import { standInVoiceServer } from './helpers/fake-voice-connection.ts';
import type { VoiceServerStandIn } from './helpers/fake-voice-connection.ts';

/** Discord's deadline is 3 s from when it sent the interaction; the bot must answer well inside it. */
const DEADLINE_MS = 2500;
const SETS = 20;
const owner = { id: FAKE_OWNER_ID, username: 'owner' };
const bob = { id: '700000000000000042', username: 'bob' };
const GUILDS = [FAKE_GUILD_ID, ...fakeGuildIds(SETS - 1)];

let h: BotHarness;
let voice: VoiceServerStandIn;
let bot: Bot;
let cdn: Server;
let cdnBase: string;
let hashes: string[];
const loop = monitorEventLoopDelay({ resolution: 10 });
/** The slowest first response seen for each command or component, in ms; and of that, the longest the bot held one. */
const slowest = new Map<string, number>();
const held = new Map<string, number>();
/** When the bot's client received each interaction (the rest of a response's time is the gateway's and the fake's). */
const received = new Map<string, number>();

/** The commands answered later than the deadline, with their times; the whole table is printed. */
function late(): [string, number][] {
  const table = [...slowest]
    .map(
      ([what, ms]) =>
        `${what.padEnd(26)} ${String(ms).padStart(5)} ms  (in the bot: ${String(held.get(what)).padStart(5)} ms)`,
    )
    .join('\n');
  const lag = `event loop delay p99 ${(loop.percentile(99) / 1e6).toFixed(0)} ms, max ${(loop.max / 1e6).toFixed(0)} ms; load ${loadavg()[0]!.toFixed(1)}`;
  console.log(`first response, slowest of each (${SETS} live sets; ${lag}):\n${table}`);
  return [...slowest].filter(([, ms]) => ms > DEADLINE_MS);
}

/** Pushes an interaction; resolves with how long the bot took to answer it first (its callback), and the callback. */
async function firstResponse(
  what: string,
  payload: Record<string, unknown>,
): Promise<{ type: number; data?: { content?: string; flags?: number } }> {
  const sent = Date.now();
  h.discord.pushInteraction(payload);
  const call = await h.discord.waitForRest(callbackTo(payload), 15_000);
  slowest.set(what, Math.max(slowest.get(what) ?? 0, call.at - sent));
  held.set(what, Math.max(held.get(what) ?? 0, call.at - (received.get(String(payload.id)) ?? sent)));
  return call.body as { type: number };
}

/**
 * The same command in every guild within 2 s (each guild's owner runs it, 100 ms after the one before): the set starts
 * cost the shared event loop about 100 ms each of work of their own (first audio, encoder, decoder, store), which 20
 * arriving in the same instant would queue every answer behind.
 */
async function everywhere(what: string, subcommand: string): Promise<void> {
  await Promise.all(
    GUILDS.map(async (guildId, i) => {
      await new Promise((r) => setTimeout(r, 100 * i));
      return firstResponse(what, djsetInteraction({ subcommand, user: owner, guildId }));
    }),
  );
}

beforeAll(async () => {
  h = await openBotHarness(2, { guilds: GUILDS });
  hashes = [];
  for (const [i, name] of ['deadline-a', 'deadline-b'].entries()) {
    // 124 and 125 BPM, 62 s each.
    hashes.push(
      (await ingestBotTrack(i, path.join(h.dir, `${name}.wav`), h.analyses, (f, hash, n) => h.files.keep(f, hash, n)))
        .contentHash,
    );
  }
  const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s)).toISOString();
  // The measured guild mixes its two songs (one transition, rendered ahead); the other 19 play one song each, and
  // with nothing to mix into, render nothing: 20 streams, one render.
  await h.store.update(FAKE_GUILD_ID, (s) => ({
    ...s,
    library: hashes,
    playlist: hashes.map((hash, i) => ({
      id: `entry-${i}`,
      hash,
      title: `deadline-${i}`,
      requesterId: bob.id,
      addedAt: at(i),
    })),
  }));
  for (const guildId of GUILDS.slice(1)) await h.store.update(guildId, (s) => ({ ...s, library: [hashes[0]!] }));
  const wav = readFileSync(path.join(h.dir, 'deadline-a.wav'));
  cdn = createServer(
    (_req, res) => void res.writeHead(200, { 'content-type': 'audio/wav', 'content-length': wav.length }).end(wav),
  );
  await new Promise<void>((resolve) => cdn.listen(0, '127.0.0.1', () => resolve()));
  cdnBase = `http://127.0.0.1:${(cdn.address() as AddressInfo).port}`;
  voice = standInVoiceServer();
  bot = await h.start({ resumeSets: false, isAllowedAddress: (ip) => ip === '127.0.0.1' });
  bot.client.on('interactionCreate', (i) => void received.set(i.id, Date.now()));
}, 180_000);

afterAll(async () => {
  await h?.close();
  voice?.stop();
  await new Promise((r) => cdn?.close(r));
});

describe(`every interaction is answered within ${DEADLINE_MS} ms, with ${SETS} live sets playing`, () => {
  it('starts, steers and stops 20 sets, and answers every command, button and autocomplete in time', async () => {
    loop.enable();
    await everywhere('/djset start', 'start');
    await until(() => bot.sets.size === SETS || undefined, `${SETS} live sets`, 60_000);
    const set = bot.sets.get(FAKE_GUILD_ID)!;
    await until(() => set.upcoming(), "the measured guild's next transition");
    await until(
      () => GUILDS.every((g) => (voice.packets.get(g)?.length ?? 0) > 25) || undefined,
      'audio from every set',
      90_000,
    );
    h.discord.pushVoiceState(bob, FAKE_VOICE_CHANNEL_ID);
    await until(() => set.listeners() === 2 || undefined, 'a second listener');
    const playing = set.nowPlaying()!.track.hash;

    const asOwner = { user: owner };
    const commands: [string, Record<string, unknown>][] = [
      [
        '/queue add track',
        queueInteraction({ subcommand: 'add', ...asOwner, options: [{ name: 'track', type: 3, value: playing }] }),
      ],
      [
        '/queue add url',
        queueInteraction({
          subcommand: 'add',
          user: bob,
          options: [{ name: 'url', type: 3, value: `${cdnBase}/again.wav` }],
        }),
      ],
      [
        '/queue add file',
        (() => {
          const attachment = fakeAttachment(`${cdnBase}/upload.wav`, 'upload.wav', 1000);
          return queueInteraction({
            subcommand: 'add',
            user: bob,
            options: [{ name: 'file', type: 11, value: String(attachment.id) }],
            resolved: { attachments: { [String(attachment.id)]: attachment } },
          });
        })(),
      ],
      ['/queue list', queueInteraction({ subcommand: 'list', user: bob })],
      ['/queue history', queueInteraction({ subcommand: 'history', user: bob })],
      [
        '/queue move',
        queueInteraction({
          subcommand: 'move',
          ...asOwner,
          options: [
            { name: 'from', type: 4, value: 1 },
            { name: 'to', type: 4, value: 1 },
          ],
        }),
      ],
      ['/djset status', djsetInteraction({ subcommand: 'status', user: bob })],
      ['/djset settings', djsetInteraction({ subcommand: 'settings', user: bob })],
      [
        '/djset settings',
        djsetInteraction({
          subcommand: 'settings',
          ...asOwner,
          permissions: PERMISSIONS.manageGuild,
          options: [{ name: 'pause_minutes', type: 4, value: 30 }],
        }),
      ],
      ['/suggest', suggestInteraction({ user: bob })],
      ['/suggest', suggestInteraction({ user: bob, options: [{ name: 'track', type: 3, value: 'deadline' }] })],
      [
        'autocomplete /queue add',
        autocompleteInteraction({ command: 'queue', subcommand: 'add', option: 'track', typed: 'dead', user: bob }),
      ],
      [
        'autocomplete /suggest',
        autocompleteInteraction({ command: 'suggest', option: 'track', typed: 'dead', user: bob }),
      ],
      ['button queue (suggest)', buttonInteraction({ customId: `queue-add:${hashes[1]}`, user: bob })],
      ['button vote', buttonInteraction({ customId: 'vote:up:deadbeef', user: bob })],
      ['button panel queue', buttonInteraction({ customId: 'panel:queue', user: bob })],
      ['/djset skip', djsetInteraction({ subcommand: 'skip', user: bob })],
      ['button panel skip', buttonInteraction({ customId: 'panel:skip', user: bob })],
      [
        '/queue remove',
        queueInteraction({ subcommand: 'remove', ...asOwner, options: [{ name: 'position', type: 4, value: 1 }] }),
      ],
      ['/queue clear', queueInteraction({ subcommand: 'clear', ...asOwner })],
    ];
    for (const [what, payload] of commands) await firstResponse(what, payload);

    // Pausing fades out on the next downbeat: the answer must not wait for it. In every guild at once.
    await everywhere('/djset pause', 'pause');
    expect(late()).toEqual([]);
    await until(
      () => GUILDS.every((g) => bot.sets.get(g)?.status.status === 'paused') || undefined,
      'every set to pause',
    );
    await everywhere('/djset resume', 'resume');
    const heard = new Map(GUILDS.map((g) => [g, voice.packets.get(g)?.length ?? 0]));
    await until(
      () => GUILDS.every((g) => (voice.packets.get(g)?.length ?? 0) > heard.get(g)! + 25) || undefined,
      'every set to be heard again',
      30_000,
    );
    await firstResponse('button panel pause', buttonInteraction({ customId: 'panel:pause', user: owner }));
    await until(() => set.status.status === 'paused' || undefined, 'the pause from the panel');
    await firstResponse('button panel resume', buttonInteraction({ customId: 'panel:resume', user: owner }));
    await until(() => set.status.status === 'playing' || undefined, 'the resume from the panel');
    await firstResponse('button panel stop', buttonInteraction({ customId: 'panel:stop', user: owner }));
    await everywhere('/djset stop', 'stop');
    await until(() => bot.sets.size === 0 || undefined, 'every set to end', 30_000);

    expect(late()).toEqual([]);
  }, 240_000);

  it('logs an answer that came too late (10062) with the command it was for, rather than swallowing it', async () => {
    const payload = queueInteraction({ subcommand: 'history', user: bob });
    h.discord.failNext(callbackTo(payload), REST_FAILURES.unknownInteraction());
    const before = h.errors.length;
    h.discord.pushInteraction(payload);
    const logged = await until(
      () => h.errors.slice(before).find((e) => /too late/.test(String((e as Error).message))),
      'the late answer to be logged',
    );
    expect(String((logged as Error).message)).toMatch(
      /^\/queue history was answered too late: Discord no longer knew the interaction \(10062\)/,
    );
  });
});
