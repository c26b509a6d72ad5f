import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pickNextTrack } from '../src/bot/playlist/next-track.ts';
import { MAX_MEMBER_DOWNLOADS } from '../src/util/add-policy.ts';
import { EMPTY_LIBRARY } from '../src/bot/commands/suggest/suggest-handler.ts';
import { TRACK_GONE } from '../src/bot/commands/suggest/queue-button.ts';
import { unknownTrack } from '../src/bot/commands/queue/queue-add-handler.ts';
import { lazyScorer } from '../src/ai/lazy-scorer.ts';
import { writeSynthTrack } from '../src/synth/synth-cli.ts';
import { structureForBars } from '../src/synth/track-synth.ts';
import { answerTo, callbackTo, openBotHarness } from './helpers/bot-harness.ts';
import type { BotHarness } from './helpers/bot-harness.ts';
import { ffmpegMake } from './helpers/ffmpeg-fixtures.ts';
import {
  autocompleteInteraction,
  buttonInteraction,
  FAKE_APP_ID,
  fakeAttachment,
  FAKE_GUILD_ID,
  queueInteraction,
  suggestInteraction,
} from './helpers/fake-discord.ts';
import { dashManifest, hlsPlaylist, id3Tag } from './helpers/hostile-media.ts';

interface Callback {
  type: number;
  data?: { content?: string; flags?: number; choices?: { name: string; value: string }[] };
}

const BIN = path.resolve('bin/minidj.js');
const GUILD_A = FAKE_GUILD_ID;
const GUILD_B = '222222222222222299';
const alice = { id: '700000000000000001', username: 'alice' };
const bob = { id: '700000000000000002', username: 'bob' };
const carol = { id: '700000000000000003', username: 'carol' };
const TONES = 8;

let h: BotHarness;
let cdn: Server;
let cdnBase: string;
let sharedFile: string;
/** Every path the loopback CDN was asked for, in order. */
const gets: string[] = [];
const media = new Map<string, Buffer>();

const run = (payload: Record<string, unknown>): Promise<Callback> => answerTo<Callback>(h.discord, payload, 30_000);

/** The final word on a deferral: an edit of the reply matching `match`, or a follow-up (a refusal, to the member alone). */
function editOf(payload: Record<string, unknown>, match: (content: string) => boolean): Promise<string> {
  const hook = `/api/v10/webhooks/${FAKE_APP_ID}/${String(payload.token)}`;
  return h.discord
    .waitForRest(
      (c) =>
        (decodeURIComponent(c.path) === hook && c.method === 'POST') ||
        (c.method === 'PATCH' &&
          decodeURIComponent(c.path) === `${hook}/messages/@original` &&
          match(String((c.body as { content?: string }).content))),
      120_000,
    )
    .then((c) => String((c.body as { content: string }).content));
}

/** A deferred add: the final text of its edited reply (progress edits are skipped). */
async function addUrl(user: typeof alice, url: string, guildId = GUILD_A): Promise<string> {
  const payload = queueInteraction({
    subcommand: 'add',
    user,
    guildId,
    options: [{ name: 'url', type: 3, value: url }],
  });
  const callback = await run(payload);
  if (callback.type !== 5) return String(callback.data?.content);
  return editOf(payload, (content) => !/^(Waiting for the analyser|Analysing)/.test(content));
}

async function choices(guildId: string, typed: string): Promise<string[]> {
  const body = await run(
    autocompleteInteraction({ command: 'queue', subcommand: 'add', option: 'track', typed, user: bob, guildId }),
  );
  expect(body.type).toBe(8);
  return (body.data?.choices ?? []).map((c) => c.name.split(' — ')[0]!);
}

/** How many audio files the library keeps. */
function kept(): number {
  return existsSync(h.files.dir) ? readdirSync(h.files.dir).length : 0;
}

function cli(args: string[]): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    env: { ...process.env, MINIDJ_DB: h.db, MINIDJ_TRACKS_DIR: h.files.dir },
  });
}

beforeAll(async () => {
  h = await openBotHarness();
  mkdirSync(path.join(h.dir, 'downloads'));
  const privateTrack = path.join(h.dir, 'alpha-private.wav');
  await writeSynthTrack(privateTrack, { bpm: 124, key: 'A', scale: 'minor', seed: 31, sections: structureForBars(16) });
  media.set('/alpha-private.wav', readFileSync(privateTrack));
  sharedFile = path.join(h.dir, 'house-classic.wav');
  await writeSynthTrack(sharedFile, { bpm: 125, key: 'E', scale: 'minor', seed: 32, sections: structureForBars(16) });
  for (let i = 1; i <= TONES; i++) {
    const tone = ffmpegMake(path.join(h.dir, `tone-${i}.wav`), [
      '-f',
      'lavfi',
      '-i',
      `aevalsrc='0.5*sin(2*PI*${100 + 20 * i}*t)*exp(-8*mod(t,0.5))':s=44100:d=6`,
    ]);
    media.set(`/tone-${i}.wav`, readFileSync(tone));
  }
  cdn = createServer((req, res) => {
    gets.push(req.url ?? '');
    const body = media.get(req.url ?? '');
    if (!body) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'audio/wav', 'content-length': body.length }).end(body);
  });
  await new Promise<void>((resolve) => cdn.listen(0, '127.0.0.1', () => resolve()));
  cdnBase = `http://127.0.0.1:${(cdn.address() as AddressInfo).port}`;
  await h.start({ downloadDir: path.join(h.dir, 'downloads'), isAllowedAddress: (ip) => ip === '127.0.0.1' });
}, 120_000);

afterAll(async () => {
  await new Promise((r) => cdn?.close(r));
  await h?.close();
});

describe('each server has its own library', () => {
  let privateHash: string;

  it('keeps an upload in the server that added it', async () => {
    expect(await addUrl(alice, `${cdnBase}/alpha-private.wav`)).toMatch(/^Added "alpha-private" at position 1/);
    privateHash = (await h.store.get(GUILD_A)).playlist[0]!.hash;
    expect(await choices(GUILD_A, 'alpha')).toEqual(['alpha-private']);
  });

  it('never shows it to another server: autocomplete, /queue add track:, /suggest, the queue button, the dry-playlist pick', async () => {
    expect(await choices(GUILD_B, '')).toEqual([]);
    expect(await choices(GUILD_B, 'alpha')).toEqual([]);
    const byTitle = await run(
      queueInteraction({
        subcommand: 'add',
        user: bob,
        guildId: GUILD_B,
        options: [{ name: 'track', type: 3, value: 'alpha-private' }],
      }),
    );
    expect(byTitle.data?.content).toBe(unknownTrack('alpha-private'));
    const byHash = await run(
      queueInteraction({
        subcommand: 'add',
        user: bob,
        guildId: GUILD_B,
        options: [{ name: 'track', type: 3, value: privateHash }],
      }),
    );
    expect(byHash.data?.content).toBe(unknownTrack(privateHash));
    const suggested = await run(
      suggestInteraction({
        user: bob,
        guildId: GUILD_B,
        options: [{ name: 'track', type: 3, value: 'alpha-private' }],
      }),
    );
    expect(suggested.data?.content).toBe(EMPTY_LIBRARY);
    const button = await run(buttonInteraction({ customId: `queue-add:${privateHash}`, user: bob, guildId: GUILD_B }));
    expect(button.data?.content).toBe(TRACK_GONE);
    expect((await h.store.get(GUILD_B)).playlist).toEqual([]);

    const scorer = lazyScorer();
    try {
      const deps = { analyses: h.analyses, files: h.files, scorer: () => scorer.get() };
      expect((await pickNextTrack(await h.store.get(GUILD_B), undefined, 'smart', deps)).track).toBeUndefined();
      const stateA = await h.store.get(GUILD_A);
      expect((await pickNextTrack({ ...stateA, playlist: [] }, undefined, 'smart', deps)).track?.hash).toBe(
        privateHash,
      );
    } finally {
      await scorer.close();
    }
    const cliB = cli(['suggest', privateHash, '--library', 'db', '--guild', GUILD_B, '--json']);
    expect(cliB.status, cliB.stderr).toBe(0);
    expect(JSON.parse(cliB.stdout)).toMatchObject({ librarySize: 0, suggestions: [] });
  });

  it('shows a track the operator put in the shared library to every server', async () => {
    const added = cli(['library', 'add', '--shared', sharedFile, '--json']);
    expect(added.status, added.stderr).toBe(0);
    const sharedHash = (JSON.parse(added.stdout) as { contentHash: string }).contentHash;
    expect(await choices(GUILD_B, '')).toEqual(['house-classic']);
    expect(await choices(GUILD_A, '')).toEqual(['alpha-private', 'house-classic']);
    const listed = cli(['library', 'list', '--guild', GUILD_B, '--json']);
    expect(
      listed.stdout
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as { title: string }).title),
    ).toEqual(['house-classic']);
    const scorer = lazyScorer();
    try {
      const pick = await pickNextTrack(await h.store.get(GUILD_B), undefined, 'smart', {
        analyses: h.analyses,
        files: h.files,
        scorer: () => scorer.get(),
      });
      expect(pick.track?.hash).toBe(sharedHash);
    } finally {
      await scorer.close();
    }
    const cliA = cli(['suggest', privateHash, '--library', 'db', '--guild', GUILD_A, '--json']);
    expect((JSON.parse(cliA.stdout) as { suggestions: { id: string }[] }).suggestions.map((s) => s.id)).toEqual([
      sharedHash,
    ]);
  });
});

describe('limits before work', () => {
  it('downloads only the adds it accepted when one member sends 8 at once', async () => {
    const before = gets.length;
    const tracksBefore = kept();
    const payloads = Array.from({ length: TONES }, (_, i) =>
      queueInteraction({
        subcommand: 'add',
        user: carol,
        options: [{ name: 'url', type: 3, value: `${cdnBase}/tone-${i + 1}.wav` }],
      }),
    );
    for (const p of payloads) h.discord.pushInteraction(p);
    const callbacks = await Promise.all(
      payloads.map(async (p) => (await h.discord.waitForRest(callbackTo(p), 30_000)).body as Callback),
    );
    const accepted = payloads.filter((_, i) => callbacks[i]!.type === 5);
    const refused = callbacks.filter((c) => c.type === 4);
    expect(accepted).toHaveLength(MAX_MEMBER_DOWNLOADS);
    expect(refused).toHaveLength(TONES - MAX_MEMBER_DOWNLOADS);
    for (const r of refused) {
      expect(r.data?.content).toBe(
        `You already have ${MAX_MEMBER_DOWNLOADS} songs downloading; wait until one is added.`,
      );
      expect(r.data?.flags).toBe(64);
    }
    const edits = await Promise.all(accepted.map((p) => editOf(p, (content) => content.startsWith('Added'))));
    expect(edits).toHaveLength(MAX_MEMBER_DOWNLOADS);
    // Only the accepted adds reached the CDN, and only they are kept.
    expect(gets.slice(before)).toHaveLength(MAX_MEMBER_DOWNLOADS);
    expect(kept() - tracksBefore).toBe(MAX_MEMBER_DOWNLOADS);
    const state = await h.store.get(GUILD_A);
    expect(state.pendingAdds).toEqual([]);
    expect(state.playlist.filter((e) => e.requesterId === carol.id)).toHaveLength(MAX_MEMBER_DOWNLOADS);
  });

  it('refuses an attachment Discord says is over the size limit without fetching it', async () => {
    const before = gets.length;
    const attachment = fakeAttachment(`${cdnBase}/tone-1.wav`, 'huge.wav', 250e6);
    const reply = await run(
      queueInteraction({
        subcommand: 'add',
        user: bob,
        options: [{ name: 'file', type: 11, value: String(attachment.id) }],
        resolved: { attachments: { [String(attachment.id)]: attachment } },
      }),
    );
    expect(reply.type).toBe(4);
    expect(reply.data?.content).toBe('That file is 250 MB; Mini-DJ takes files up to 100 MB.');
    expect(gets.length).toBe(before);
  });

  it('refuses a link already in the playlist before fetching it again', async () => {
    const before = gets.length;
    expect(await addUrl(bob, `${cdnBase}/alpha-private.wav`)).toBe(
      'That song is already in the playlist (position 1).',
    );
    expect(gets.length).toBe(before);
  });
});

describe('a hostile upload through /queue add', () => {
  it('refuses DASH and HLS manifests behind an ID3 tag without a request or a kept file', async () => {
    const before = gets.length;
    const tracksBefore = kept();
    media.set('/dash.mp3', Buffer.concat([id3Tag(), Buffer.from(dashManifest(`${cdnBase}/dash-target.wav`))]));
    media.set(
      '/hls.mp3',
      Buffer.concat([id3Tag(), Buffer.from(hlsPlaylist([`${cdnBase}/hls-segment.wav`, 'file:///etc/passwd']))]),
    );
    for (const name of ['dash', 'hls']) {
      const reply = await addUrl(bob, `${cdnBase}/${name}.mp3`);
      expect(reply).not.toMatch(/^Added/);
      expect(reply.length).toBeGreaterThan(20);
      expect(reply).not.toContain(h.dir);
    }
    // Only the two uploads themselves were fetched: nothing the manifests point at.
    expect(gets.slice(before)).toEqual(['/dash.mp3', '/hls.mp3']);
    expect(kept()).toBe(tracksBefore);
    expect((await h.store.get(GUILD_A)).pendingAdds).toEqual([]);
    expect(h.errors).toEqual([]);
  });
});
