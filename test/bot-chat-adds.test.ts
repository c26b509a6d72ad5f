import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ADD_FROM_MESSAGE } from '../src/bot/commands/add-from-message/add-from-message-command.ts';
import { lazyScorer } from '../src/ai/lazy-scorer.ts';
import { pickNextTrack } from '../src/bot/playlist/next-track.ts';
import { describeSettings } from '../src/bot/commands/djset/settings-handler.ts';
import { streamingAnswer, streamingService } from '../src/bot/adds/streaming-link.ts';
import { answerTo, openBotHarness } from './helpers/bot-harness.ts';
import type { BotHarness } from './helpers/bot-harness.ts';
import { ffmpegMake } from './helpers/ffmpeg-fixtures.ts';
import {
  autocompleteInteraction,
  djsetInteraction,
  FAKE_APP_ID,
  FAKE_DJ_ROLE_ID,
  FAKE_GUILD_ID,
  fakeAttachment,
  messageMenuInteraction,
  PERMISSIONS,
  queueInteraction,
} from './helpers/fake-discord.ts';
import type { RestCall } from './helpers/fake-discord.ts';

interface Callback {
  type: number;
  data?: { content?: string; flags?: number; choices?: { name: string; value: string }[] };
}

const GUILD_B = '222222222222222299';
const alice = { id: '700000000000000001', username: 'alice' };
const bob = { id: '700000000000000002', username: 'bob' };
const carol = { id: '700000000000000003', username: 'carol' };
const MIB = 2 ** 20;
/** The bot's own limit (MINIDJ_MAX_MB's default). */
const BOT_MAX = 100e6;

/** Three songs posted in one message, each with the tags a tagger writes in its format (ID3v2, Vorbis comments, MP4). */
const TAGGED = [
  {
    file: '01_final_MASTER_v3.mp3',
    codec: ['-c:a', 'libmp3lame', '-b:a', '96k'],
    hz: 330,
    title: 'Night Drive',
    artist: 'Lumen',
  },
  { file: 'bounce-2.flac', codec: ['-c:a', 'flac'], hz: 390, title: 'Harbour Lights', artist: 'Orbit' },
  { file: 'phone recording.m4a', codec: ['-c:a', 'aac', '-b:a', '96k'], hz: 450, title: 'Slow Tide', artist: 'Kiln' },
];

let h: BotHarness;
let cdn: Server;
let cdnBase: string;
const media = new Map<string, Buffer>();
/** Every path the loopback CDN was asked for. */
const gets: string[] = [];

const run = (payload: Record<string, unknown>): Promise<Callback> => answerTo<Callback>(h.discord, payload, 30_000);

/** A pulsed tone (a beat every half second) of `seconds`, made by the real ffmpeg with `extra` output options. */
function pulses(file: string, hz: number, seconds: number, extra: string[] = []): string {
  return ffmpegMake(path.join(h.dir, file), [
    '-f',
    'lavfi',
    '-i',
    `aevalsrc='0.5*sin(2*PI*${hz}*t)*exp(-8*mod(t,0.5))':s=44100:d=${seconds}`,
    ...extra,
  ]);
}

function serve(name: string, file: string): Record<string, unknown> {
  const at = `/attachments/9/${media.size}/${encodeURIComponent(name)}`;
  media.set(at, readFileSync(file));
  return fakeAttachment(`${cdnBase}${at}`, name, media.get(at)!.length, 'audio/mpeg');
}

/** The deferred reply's last word: its final edit (or the member-only follow-up when nothing was added). */
async function finalReply(payload: Record<string, unknown>, done: (content: string) => boolean): Promise<RestCall> {
  const hook = `/api/v10/webhooks/${FAKE_APP_ID}/${String(payload.token)}`;
  return h.discord.waitForRest(
    (c) =>
      (decodeURIComponent(c.path) === hook && c.method === 'POST') ||
      (c.method === 'PATCH' &&
        decodeURIComponent(c.path) === `${hook}/messages/@original` &&
        done(String((c.body as { content?: string }).content))),
    180_000,
  );
}

async function choices(guildId: string, typed: string): Promise<string[]> {
  const body = await run(
    autocompleteInteraction({ command: 'queue', subcommand: 'add', option: 'track', typed, user: bob, guildId }),
  );
  return (body.data?.choices ?? []).map((c) => c.name.replace(/ — \d+ BPM · .*$/, ''));
}

beforeAll(async () => {
  h = await openBotHarness();
  cdn = createServer((req, res) => {
    gets.push(req.url ?? '');
    const body = media.get(new URL(req.url ?? '/', 'http://127.0.0.1').pathname);
    if (!body) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': body.length }).end(body);
  });
  await new Promise<void>((resolve) => cdn.listen(0, '127.0.0.1', () => resolve()));
  cdnBase = `http://127.0.0.1:${(cdn.address() as AddressInfo).port}`;
  await h.start({ isAllowedAddress: (ip) => ip === '127.0.0.1' });
}, 120_000);

afterAll(async () => {
  await new Promise((r) => cdn?.close(r));
  await h?.close();
});

afterEach(() => {
  expect(h.errors).toEqual([]);
});

describe('songs from chat', () => {
  it('adds every audio file of a message from its Apps menu, each under its tagged "Artist — Title"', async () => {
    const attachments = [];
    for (const t of TAGGED) {
      const file = pulses(t.file, t.hz, 6, [
        ...t.codec,
        '-metadata',
        `title=${t.title}`,
        '-metadata',
        `artist=${t.artist}`,
      ]);
      attachments.push(serve(t.file, file));
    }
    const payload = messageMenuInteraction({
      name: ADD_FROM_MESSAGE,
      user: alice,
      author: bob,
      content: 'three for tonight',
      attachments,
    });
    expect((await run(payload)).type).toBe(5);
    const reply = String(
      ((await finalReply(payload, (c) => c.startsWith('Added from'))).body as { content: string }).content,
    );
    const shown = TAGGED.map((t) => `${t.artist} — ${t.title}`);
    expect(reply.split('\n')).toEqual([
      'Added from 3 files:',
      ...TAGGED.map((t, i) =>
        expect.stringMatching(
          new RegExp(`^${i + 1}\\. ${t.file.replaceAll('_', '\\\\_')}: Added "${shown[i]}" at position ${i + 1} — `),
        ),
      ),
    ]);
    const { playlist } = await h.store.get(FAKE_GUILD_ID);
    // Queued for the member who asked, one after another, in the message's order.
    expect(playlist.map((e) => [e.title, e.requesterId])).toEqual(shown.map((title) => [title, alice.id]));
    expect(await choices(FAKE_GUILD_ID, 'lumen')).toEqual(['Lumen — Night Drive']);
  }, 240_000);

  it('adds several files from one /queue add, titled by their names without tags, and says which one was too large', async () => {
    const a = serve('warm-up.wav', pulses('warm-up.wav', 250, 6));
    const b = serve('closing time.wav', pulses('closing time.wav', 280, 6));
    const huge = fakeAttachment(`${cdnBase}/attachments/9/huge.wav`, 'huge.wav', 250e6);
    const before = gets.length;
    const payload = queueInteraction({
      subcommand: 'add',
      user: carol,
      options: [
        { name: 'file', type: 11, value: String(a.id) },
        { name: 'file2', type: 11, value: String(huge.id) },
        { name: 'file3', type: 11, value: String(b.id) },
      ],
      resolved: { attachments: { [String(a.id)]: a, [String(b.id)]: b, [String(huge.id)]: huge } },
    });
    expect((await run(payload)).type).toBe(5);
    const reply = String(
      ((await finalReply(payload, (c) => c.startsWith('Added from'))).body as { content: string }).content,
    ).split('\n');
    expect(reply[0]).toBe('Added from 3 files:');
    expect(reply[1]).toMatch(/^1\. warm-up\.wav: Added "warm-up" at position 4 — /);
    expect(reply[2]).toBe('2. huge.wav: That file is 250 MB; Mini-DJ takes files up to 100 MB.');
    expect(reply[3]).toMatch(/^3\. closing time\.wav: Added "closing time" at position 5 — /);
    // The one over the limit was never fetched.
    expect(gets.slice(before).filter((g) => g.includes('huge'))).toEqual([]);
    expect((await h.store.get(FAKE_GUILD_ID)).playlist.slice(3).map((e) => e.title)).toEqual([
      'warm-up',
      'closing time',
    ]);
  }, 240_000);

  it("answers a streaming link by naming the service and what works instead, with the member's upload limit, fetching nothing", async () => {
    const before = await h.store.get(FAKE_GUILD_ID);
    const youtube = await run(
      queueInteraction({
        subcommand: 'add',
        user: carol,
        options: [{ name: 'url', type: 3, value: 'https://www.youtube.com/watch?v=dQw4w9WgXcQ' }],
      }),
    );
    expect(youtube.data).toMatchObject({ content: streamingAnswer('YouTube', 10 * MIB, BOT_MAX), flags: 64 });
    expect(youtube.data?.content).toContain('YouTube streams its music');
    expect(youtube.data?.content).toContain('up to 10 MB for you here');
    // From a message: a Spotify link, asked by a member whom boosts let upload 50 MB.
    const spotify = await run(
      messageMenuInteraction({
        name: ADD_FROM_MESSAGE,
        user: carol,
        author: bob,
        content: 'this one! https://open.spotify.com/track/4uLU6hMCjMI75M1A2tKUQC',
        attachmentSizeLimit: 50 * MIB,
      }),
    );
    expect(spotify.data).toMatchObject({ content: streamingAnswer('Spotify', 50 * MIB, BOT_MAX), flags: 64 });
    expect(spotify.data?.content).toContain('up to 50 MB for you here');
    for (const [url, service] of [
      ['https://youtu.be/dQw4w9WgXcQ', 'YouTube'],
      ['https://soundcloud.com/artist/song', 'SoundCloud'],
      ['https://music.apple.com/us/album/x/1?i=2', 'Apple Music'],
      ['https://www.deezer.com/track/3135556', 'Deezer'],
      ['https://tidal.com/browse/track/1', 'Tidal'],
      ['https://artist.bandcamp.com/track/song', 'Bandcamp'],
    ]) {
      const answer = await run(
        queueInteraction({ subcommand: 'add', user: carol, options: [{ name: 'url', type: 3, value: url! }] }),
      );
      expect(answer.data?.content).toBe(streamingAnswer(service!, 10 * MIB, BOT_MAX));
    }
    // Nothing reserved, nothing written.
    expect(await h.store.get(FAKE_GUILD_ID)).toEqual(before);
    // A direct link is no service's, whatever its path or a look-alike host says.
    for (const url of [
      'https://cdn.example.org/youtube.com/song.mp3',
      'https://youtube.com.example.org/a.mp3',
      'https://notspotify.com/a.flac',
      'https://f4.bcbits.com/stream/a.mp3',
    ])
      expect(streamingService(url)).toBeUndefined();
  });
});

describe('titles are per server', () => {
  it('shows each server the name its own member gave the same bytes', async () => {
    const file = pulses('shared-bytes.wav', 520, 6);
    const fromA = serve('alpha-name.wav', file);
    const fromB = serve('beta-name.wav', file);
    for (const [guildId, attachment, user] of [
      [FAKE_GUILD_ID, fromA, alice],
      [GUILD_B, fromB, bob],
    ] as const) {
      const payload = queueInteraction({
        subcommand: 'add',
        user,
        guildId,
        options: [{ name: 'file', type: 11, value: String(attachment.id) }],
        resolved: { attachments: { [String(attachment.id)]: attachment } },
      });
      expect((await run(payload)).type).toBe(5);
      await finalReply(payload, (c) => c.startsWith('Added'));
    }
    expect(await choices(GUILD_B, '')).toEqual(['beta-name']);
    expect(await choices(FAKE_GUILD_ID, 'name')).toEqual(['alpha-name']);
    // Found under B's name; the answer is deferred (the add scores how it follows the song before it).
    const again = queueInteraction({
      subcommand: 'add',
      user: bob,
      guildId: GUILD_B,
      options: [{ name: 'track', type: 3, value: 'beta' }],
    });
    expect((await run(again)).type).toBe(5);
    expect((await h.discord.deferredOutcome(again)).content).toBe(
      '"beta-name" is already in the playlist (position 1).',
    );
    const scorer = lazyScorer();
    try {
      // The set's pick when B's playlist has run dry plays it under B's name.
      const pick = await pickNextTrack({ ...(await h.store.get(GUILD_B)), playlist: [] }, undefined, 'smart', {
        analyses: h.analyses,
        files: h.files,
        scorer: () => scorer.get(),
      });
      expect(pick.track?.title).toBe('beta-name');
    } finally {
      await scorer.close();
    }
  }, 240_000);
});

describe('/djset settings', () => {
  it('clears the DJ role: its members lose what it gave them', async () => {
    const manage = { user: alice, permissions: PERMISSIONS.manageGuild };
    // Two of alice's songs at the head of the playlist.
    const seeded = ['First of alice', 'Second of alice'].map((title, i) => ({
      id: `seed-${i}`,
      hash: String(i).repeat(64),
      title,
      requesterId: alice.id,
      addedAt: new Date().toISOString(),
    }));
    await h.store.update(FAKE_GUILD_ID, (s) => ({ ...s, playlist: [...seeded, ...s.playlist] }));
    const role = {
      id: FAKE_DJ_ROLE_ID,
      name: 'DJ',
      permissions: PERMISSIONS.member,
      position: 1,
      color: 0,
      hoist: false,
      managed: false,
      mentionable: false,
      flags: 0,
    };
    await run(
      djsetInteraction({
        subcommand: 'settings',
        ...manage,
        options: [{ name: 'dj_role', type: 8, value: FAKE_DJ_ROLE_ID }],
        resolved: { roles: { [FAKE_DJ_ROLE_ID]: role } },
      }),
    );
    expect((await h.store.get(FAKE_GUILD_ID)).settings.djRoleId).toBe(FAKE_DJ_ROLE_ID);
    const removed = await run(
      queueInteraction({
        subcommand: 'remove',
        user: bob,
        roles: [FAKE_DJ_ROLE_ID],
        options: [{ name: 'position', type: 4, value: 1 }],
      }),
    );
    expect(removed.data?.content).toBe('Removed "First of alice" (position 1).');
    const cleared = await run(
      djsetInteraction({
        subcommand: 'settings',
        ...manage,
        options: [{ name: 'clear_dj_role', type: 5, value: true }],
      }),
    );
    const { settings } = await h.store.get(FAKE_GUILD_ID);
    expect(settings.djRoleId).toBeUndefined();
    expect(cleared.data?.content).toBe(`Settings saved.\n${describeSettings(settings)}`);
    expect(cleared.data?.content).toContain("DJ role: none (Manage Server and the set's starter only)");
    const refused = await run(
      queueInteraction({
        subcommand: 'remove',
        user: bob,
        roles: [FAKE_DJ_ROLE_ID],
        options: [{ name: 'position', type: 4, value: 1 }],
      }),
    );
    expect(refused.data).toMatchObject({
      content: "You can only remove your own songs; removing others' needs the DJ role or Manage Server.",
      flags: 64,
    });
  });

  it("keeps a mix style: whole songs and a transition length, and the planner's choice again", async () => {
    const manage = { user: alice, permissions: PERMISSIONS.manageGuild };
    await run(
      djsetInteraction({
        subcommand: 'settings',
        ...manage,
        options: [
          { name: 'songs', type: 3, value: 'whole' },
          { name: 'transition_bars', type: 4, value: 16 },
        ],
      }),
    );
    expect((await h.store.get(FAKE_GUILD_ID)).settings).toMatchObject({ songs: 'whole', transitionBars: 16 });
    const shown = await run(djsetInteraction({ subcommand: 'settings', user: bob }));
    expect(shown.data?.content).toContain(
      'Songs: whole — each from its first downbeat to its end, mixed over its intro and outro',
    );
    expect(shown.data?.content).toContain('Transitions: 16 bars where both tracks have room');
    await run(
      djsetInteraction({
        subcommand: 'settings',
        ...manage,
        options: [{ name: 'transition_bars', type: 4, value: 0 }],
      }),
    );
    expect((await h.store.get(FAKE_GUILD_ID)).settings).not.toHaveProperty('transitionBars');
  });
});
