import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { AudioInputError } from '../src/audio/io/audio-input-error.ts';
import { AnalyzerPool } from '../src/audio/analysis/analyzer-pool.ts';
import { LIVE_ANALYSIS_NICE } from '../src/util/live-priorities.ts';
import { createBot } from '../src/bot/create-bot.ts';
import type { Bot } from '../src/bot/create-bot.ts';
import {
  alreadyPlaying,
  JOIN_FIRST,
  needsControl,
  NO_SET,
  NOTHING_TO_PLAY,
  onlyListenersVote,
} from '../src/bot/commands/djset/djset-handler.ts';
import type { LiveTrack } from '../src/bot/playlist/next-track.ts';
import { TRACK_GONE } from '../src/bot/commands/suggest/queue-button.ts';
import { VOTE_TOO_OLD } from '../src/bot/commands/djset/vote-button.ts';
import { AnalysisStore } from '../src/db/analysis-store.ts';
import { FeedbackStore } from '../src/db/feedback-store.ts';
import type { FeedbackRecord } from '../src/db/feedback-store.ts';
import { GuildStore } from '../src/db/guild-store.ts';
import { TrackFiles } from '../src/db/track-files.ts';
import { writeSynthTrack } from '../src/synth/synth-cli.ts';
import { structureForBars } from '../src/synth/track-synth.ts';
import { crashDecoders } from './helpers/crash-decoder.ts';
import { makeTempDir } from './helpers/ffmpeg-fixtures.ts';
import { until } from './helpers/until.ts';
import {
  autocompleteInteraction,
  buttonInteraction,
  djsetInteraction,
  FAKE_APP_ID,
  FAKE_GUILD_ID,
  FAKE_OWNER_ID,
  FAKE_TEXT_CHANNEL_ID,
  FAKE_VOICE_CHANNEL_ID,
  queueInteraction,
  startFakeDiscord,
  suggestInteraction,
} from './helpers/fake-discord.ts';
import type { FakeDiscord, RestCall } from './helpers/fake-discord.ts';
import { attachFakeConnection, standInVoiceServer } from './helpers/fake-voice-connection.ts';
import type { VoiceServerStandIn } from './helpers/fake-voice-connection.ts';

interface Callback {
  type: number;
  data?: {
    content?: string;
    flags?: number;
    embeds?: {
      title?: string;
      description?: string;
      fields?: { name: string; value: string }[];
      image?: { url: string };
    }[];
    choices?: { name: string; value: string }[];
  };
}

const alice = { id: '700000000000000001', username: 'alice' };
const bob = { id: '700000000000000002', username: 'bob' };
const owner = { id: FAKE_OWNER_ID, username: 'owner' };

let tmp: ReturnType<typeof makeTempDir>;
let store: GuildStore;
let analyses: AnalysisStore;
let feedback: FeedbackStore;
let files: TrackFiles;
let pool: AnalyzerPool;
let discord: FakeDiscord;
let cdn: Server;
let cdnBase: string;
let bot: Bot;
let voice: VoiceServerStandIn;
const errors: unknown[] = [];

/** multipart/form-data bodies (replies with files) carry the JSON in their `payload_json` part. */
function jsonOf(body: unknown): Callback {
  if (typeof body !== 'string') return body as Callback;
  const match = /name="payload_json"[^\r]*\r\n(?:[^\r]+\r\n)*\r\n(\{[\s\S]*?\})\r\n--/.exec(body);
  if (!match) throw new Error(`no payload_json in ${body.slice(0, 200)}`);
  return JSON.parse(match[1]!) as Callback;
}

async function callbackFor(payload: Record<string, unknown>): Promise<RestCall> {
  discord.pushInteraction(payload);
  return discord.waitForRest(
    (c) =>
      c.method === 'POST' && c.path === `/api/v10/interactions/${String(payload.id)}/${String(payload.token)}/callback`,
    15_000,
  );
}

async function run(payload: Record<string, unknown>): Promise<Callback> {
  return jsonOf((await callbackFor(payload)).body);
}

/** A deferred command: the text of its edited reply. */
async function runDeferred(payload: Record<string, unknown>, timeoutMs = 120_000): Promise<string> {
  const callback = await run(payload);
  expect(callback.type).toBe(5);
  // Progress edits ("Waiting for the analyser", "Analysing…") come first on a busy machine: the final text is wanted.
  const edit = await discord.waitForRest(
    (c) =>
      c.method === 'PATCH' &&
      decodeURIComponent(c.path) === `/api/v10/webhooks/${FAKE_APP_ID}/${String(payload.token)}/messages/@original` &&
      !/^(Waiting for the analyser|Analysing)/.test(String((c.body as { content?: string }).content)),
    timeoutMs,
  );
  return (edit.body as { content: string }).content;
}

async function allFeedback(): Promise<FeedbackRecord[]> {
  const out: FeedbackRecord[] = [];
  for await (const r of feedback.all()) out.push(r);
  return out;
}

beforeAll(async () => {
  tmp = makeTempDir();
  store = await GuildStore.open(path.join(tmp.dir, 'guilds.sqlite'));
  analyses = await AnalysisStore.open(path.join(tmp.dir, 'analyses.sqlite'));
  feedback = await FeedbackStore.open(path.join(tmp.dir, 'feedback.sqlite'));
  files = new TrackFiles(path.join(tmp.dir, 'tracks'));
  pool = new AnalyzerPool({ size: 2, nice: LIVE_ANALYSIS_NICE });
  const media: Record<string, Buffer> = {};
  // 16 bars at 170 BPM: the set's first transition comes 11 s after its start (its 8 bars before the exit).
  const recipes = [
    { name: 'first-light', bpm: 170, key: 'A', seed: 11 },
    { name: 'second-wind', bpm: 170, key: 'E', seed: 12 },
  ];
  for (const r of recipes) {
    const file = path.join(tmp.dir, `${r.name}.wav`);
    await writeSynthTrack(file, {
      bpm: r.bpm,
      key: r.key,
      scale: 'minor',
      seed: r.seed,
      sections: structureForBars(16),
    });
    media[`/${r.name}.wav`] = readFileSync(file);
  }
  cdn = createServer((req, res) => {
    const body = media[req.url ?? ''];
    if (!body) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'audio/wav', 'content-length': body.length }).end(body);
  });
  await new Promise<void>((resolve) => cdn.listen(0, '127.0.0.1', () => resolve()));
  cdnBase = `http://127.0.0.1:${(cdn.address() as AddressInfo).port}`;
  discord = await startFakeDiscord();
  voice = standInVoiceServer();
  bot = createBot({
    config: { token: 'MTIz.abc.def', clientId: FAKE_APP_ID },
    store,
    analyses,
    feedback,
    files,
    pool,
    isAllowedAddress: (ip) => ip === '127.0.0.1',
    restApi: discord.apiBase,
    onError: (e) => errors.push(e),
    timing: { emptyGraceMs: 300, saveEveryMs: 200 },
  });
  // A line per transition beside the panel (the server's setting; the panel alone is the default), and 4-bar
  // transitions (6 s), so a skip during one is soon over.
  await store.update(FAKE_GUILD_ID, (s) => ({
    ...s,
    settings: { ...s.settings, announce: 'line', transitionBars: 4 },
  }));
  await bot.start();
}, 120_000);

afterAll(async () => {
  await bot?.stop();
  voice?.stop();
  await discord?.close();
  await new Promise((r) => cdn?.close(r));
  await pool?.close();
  await analyses?.close();
  await feedback?.close();
  await store?.close();
  tmp?.cleanup();
});

describe('/djset against a fake Discord, with the set playing into a stand-in voice connection', () => {
  it('refuses to start for a member who is in no voice channel and names none', async () => {
    const body = await run(djsetInteraction({ subcommand: 'start', user: alice }));
    expect(body.data).toMatchObject({ content: JOIN_FIRST, flags: 64 });
  });

  it('says so when there is nothing to play, and plays nothing', async () => {
    const payload = djsetInteraction({ subcommand: 'start', user: owner });
    expect((await run(payload)).type).toBe(5);
    expect(await discord.deferredOutcome(payload)).toEqual({
      content: NOTHING_TO_PLAY,
      ephemeral: true,
      deletedOriginal: true,
    });
    expect(bot.sets.get(FAKE_GUILD_ID)).toBeUndefined();
    expect((await store.get(FAKE_GUILD_ID)).session).toBeUndefined();
    expect((await run(djsetInteraction({ subcommand: 'status', user: bob }))).data).toMatchObject({
      content: NO_SET,
      flags: 64,
    });
  });

  it('queues two songs by url and keeps their audio in the library by content hash', async () => {
    for (const name of ['first-light', 'second-wind']) {
      const text = await runDeferred(
        queueInteraction({
          subcommand: 'add',
          user: alice,
          options: [{ name: 'url', type: 3, value: `${cdnBase}/${name}.wav` }],
        }),
      );
      expect(text).toMatch(new RegExp(`^Added "${name}" at position \\d — 1[67]\\d\\.\\d BPM`));
    }
    const kept = readdirSync(files.dir).filter((f) => !f.startsWith('.'));
    expect(kept).toHaveLength(2);
    expect(kept.every((f) => /^[0-9a-f]{64}\.wav$/.test(f))).toBe(true);
  });

  it("starts the set in the caller's voice channel: joins it over the gateway (op 4) and saves the session", async () => {
    const text = await runDeferred(djsetInteraction({ subcommand: 'start', user: owner }));
    expect(text).toMatch(
      new RegExp(
        `^Mixing in <#${FAKE_VOICE_CHANNEL_ID}> in smart order\\. Now playing \\*\\*(first-light|second-wind)\\*\\* \\(1[67]\\d BPM, \\d+[AB]\\)\\.$`,
      ),
    );
    const join = await discord.waitForGatewayOp(
      (o) => o.op === 4 && (o.d as { channel_id?: string }).channel_id === FAKE_VOICE_CHANNEL_ID,
    );
    expect(join.d).toMatchObject({ guild_id: FAKE_GUILD_ID, self_deaf: true, self_mute: false });
    const state = await until(async () => {
      const s = await store.get(FAKE_GUILD_ID);
      return s.history.length === 1 ? s : undefined;
    }, 'the first track to be recorded as playing');
    expect(state.session).toMatchObject({
      voiceChannelId: FAKE_VOICE_CHANNEL_ID,
      textChannelId: FAKE_TEXT_CHANNEL_ID,
      order: 'smart',
    });
    expect(state.setStarterId).toBe(FAKE_OWNER_ID);
    // The playing song left the playlist for the session; the other still waits.
    expect(state.playlist).toHaveLength(1);
    expect(state.session!.current.hash).toBe(state.history[0]!.hash);
    expect(state.playlist[0]!.hash).not.toBe(state.session!.current.hash);
  });

  it('refuses a second start while the set plays', async () => {
    expect((await run(djsetInteraction({ subcommand: 'start', user: owner }))).data).toMatchObject({
      content: alreadyPlaying(FAKE_VOICE_CHANNEL_ID),
      flags: 64,
    });
  });

  it('shows the status: now playing, the next transition and its picture', async () => {
    await until(() => bot.sets.get(FAKE_GUILD_ID)?.upcoming(), 'the next transition to be planned');
    // The song it plays next is held in the saved session (the disk quota never removes it).
    const saved = await store.get(FAKE_GUILD_ID);
    expect(saved.session?.nextHash).toBe(saved.playlist[0]!.hash);
    // The picture is drawn after the acknowledgement: the reply is edited with it.
    const status = djsetInteraction({ subcommand: 'status', user: bob });
    expect((await run(status)).type).toBe(5);
    const call = await discord.waitForRest(
      (c) =>
        c.method === 'PATCH' &&
        decodeURIComponent(c.path) === `/api/v10/webhooks/${FAKE_APP_ID}/${String(status.token)}/messages/@original`,
      30_000,
    );
    const body = jsonOf(call.body) as NonNullable<Callback['data']>;
    const embed = body.embeds![0]!;
    expect(embed.title).toMatch(/^Now playing: (first-light|second-wind)$/);
    expect(embed.description).toMatch(
      /^1[67]\d BPM · [A-G]#? (major|minor) \(\d+[AB]\) · 0:\d\d \/ 0:\d\d\nIn <#\d+>, smart order, 1 listening\.\nQueued by <@\d+>\.$/,
    );
    expect(embed.fields![0]!.name).toMatch(/^Next: (first-light|second-wind)$/);
    expect(embed.fields![0]!.value).toMatch(/transition in \d+:\d\d/);
    expect(embed.image?.url).toBe('attachment://next-transition.png');
    expect(String(call.body)).toContain('PNG');
    // /suggest with no track suggests after the song playing.
    const playingTitle = embed.title!.replace('Now playing: ', '');
    const suggest = suggestInteraction({ user: bob });
    expect((await run(suggest)).type).toBe(5);
    const edit = await discord.waitForRest(
      (c) =>
        c.method === 'PATCH' &&
        decodeURIComponent(c.path) === `/api/v10/webhooks/${FAKE_APP_ID}/${String(suggest.token)}/messages/@original`,
    );
    expect((edit.body as { embeds: { title: string }[] }).embeds[0]!.title).toBe(
      `What mixes well after ${playingTitle}`,
    );
  });

  it('lets only listeners vote to skip (the DJ role, Manage Server and the starter skip at once), and the store is unchanged by a refusal', async () => {
    const before = await store.get(FAKE_GUILD_ID);
    expect((await run(djsetInteraction({ subcommand: 'skip', user: bob }))).data).toMatchObject({
      content: onlyListenersVote(FAKE_VOICE_CHANNEL_ID),
      flags: 64,
    });
    expect((await run(djsetInteraction({ subcommand: 'stop', user: bob }))).data).toMatchObject({
      content: needsControl('Stopping'),
      flags: 64,
    });
    expect((await store.get(FAKE_GUILD_ID)).playlist).toEqual(before.playlist);
  });

  it('plays in real time into a voice connection, posts "now mixing" with 👍/👎, and stores votes and a skip as labelled pairs', async () => {
    const set = bot.sets.get(FAKE_GUILD_ID)!;
    const listener = attachFakeConnection(set.broadcast.player);
    const message = await until(
      () => discord.channelMessages().find((m) => String(m.body.content).startsWith('Now mixing')),
      '"now mixing"',
      90_000,
    );
    expect(message.channelId).toBe(FAKE_TEXT_CHANNEL_ID);
    // A sentence on how the transition was checked may follow the style.
    expect(String(message.body.content)).toMatch(
      /^Now mixing \*\*(first-light|second-wind)\*\* → \*\*(first-light|second-wind)\*\* \(.+\)\.( .+\.)? How did it sound\?$/,
    );
    const buttons = (message.body.components as { components: { custom_id: string }[] }[])[0]!.components.map(
      (c) => c.custom_id,
    );
    expect(buttons).toHaveLength(2);
    const [up, down] = buttons as [string, string];
    expect(up).toMatch(/^vote:up:[0-9a-f]{8}$/);
    expect(down).toBe(up.replace('up', 'down'));

    const thanks = await run(buttonInteraction({ customId: up, user: bob }));
    expect(thanks.data?.flags).toBe(64);
    expect(thanks.data?.content).toMatch(
      /^Thanks: 👍 noted for "(first-light|second-wind)" → "(first-light|second-wind)"\./,
    );
    // A second vote by the same member replaces the first.
    await run(buttonInteraction({ customId: down, user: bob }));
    expect((await run(buttonInteraction({ customId: 'vote:up:deadbeef', user: bob }))).data).toMatchObject({
      content: VOTE_TOO_OLD,
      flags: 64,
    });
    const played = (await store.get(FAKE_GUILD_ID)).transitions.at(-1)!;
    const votes = (await allFeedback()).filter((f) => f.source === 'vote');
    expect(votes).toEqual([
      expect.objectContaining({
        fromHash: played.fromHash,
        toHash: played.toHash,
        liked: false,
        userId: bob.id,
        guildId: FAKE_GUILD_ID,
      }),
    ]);

    // A skip during the transition judges it; the set then leaves the new song early.
    const skipped = await run(djsetInteraction({ subcommand: 'skip', user: owner }));
    expect(skipped.data?.content).toMatch(
      /^Skipping \*\*(first-light|second-wind)\*\*: (mixing into \*\*.+\*\* at the next phrase|it mixes out at its next phrase once this transition is over)\.$/,
    );
    const skips = (await allFeedback()).filter((f) => f.source === 'skip');
    expect(skips).toEqual([
      expect.objectContaining({
        fromHash: played.fromHash,
        toHash: played.toHash,
        liked: false,
        userId: FAKE_OWNER_ID,
      }),
    ]);
    // The playlist ran out, so the set carries on from the library, with the song that played before.
    const next = await until(() => set.upcoming(), 'a library pick after the playlist ran out', 90_000);
    const nextTrack = next.to as LiveTrack;
    expect(nextTrack.hash).toBe(played.fromHash);
    expect(nextTrack.entry).toBeUndefined();

    // It really played (frame-exact continuity is checked on a controlled clock in voice-pipeline.test.ts; this one
    // runs in real time on a shared machine).
    expect(listener.packets.length).toBeGreaterThan(500);
    expect(listener.packets.every((p) => p.length > 0)).toBe(true);
    listener.detach();
  }, 150_000);

  it('pauses when the channel empties (after the grace period) and carries on when someone joins', async () => {
    const set = bot.sets.get(FAKE_GUILD_ID)!;
    const listener = attachFakeConnection(set.broadcast.player);
    await until(() => set.broadcast.player.state.status === 'playing', 'playing');
    discord.pushVoiceState(owner, null);
    await until(() => set.paused, 'the pause');
    expect(set.broadcast.player.state.status).toBe('paused');
    const said = () => discord.channelMessages().map((m) => m.body.content);
    await until(
      () =>
        said().includes(
          `Nobody is listening in <#${FAKE_VOICE_CHANNEL_ID}>, so the set is paused. It carries on when someone joins.`,
        ),
      'the pause message',
    );
    discord.pushVoiceState(owner, FAKE_VOICE_CHANNEL_ID);
    await until(() => !set.paused, 'the resume');
    await until(
      () => said().includes(`Welcome back: the set carries on in <#${FAKE_VOICE_CHANNEL_ID}>.`),
      'the welcome back',
    );
    await until(() => set.broadcast.player.state.status === 'playing', 'playing again');
    listener.detach();
  });

  it('autocompletes library tracks by title, with the content hash as the value', async () => {
    const body = await run(
      autocompleteInteraction({ command: 'queue', subcommand: 'add', option: 'track', typed: 'second', user: alice }),
    );
    expect(body.type).toBe(8);
    expect(body.data?.choices).toHaveLength(1);
    expect(body.data!.choices![0]!.name).toMatch(/^second-wind — 1[67]\d BPM · \d+[AB]$/);
    expect(body.data!.choices![0]!.value).toMatch(/^[0-9a-f]{64}$/);
    const none = await run(autocompleteInteraction({ command: 'suggest', option: 'track', typed: 'zzz', user: alice }));
    expect(none.data?.choices).toEqual([]);
  });

  it('queues a suggested track from its button, and explains a button for a track that is gone', async () => {
    const hash = (await store.get(FAKE_GUILD_ID)).history[0]!.hash;
    const added = await run(buttonInteraction({ customId: `queue-add:${hash}`, user: bob }));
    expect(added.data?.content).toMatch(
      /^Added "(first-light|second-wind)" at position 1 — 1[67]\d\.\d BPM, [A-G]#? (major|minor) \(\d+[AB]\), 0:\d\d, energy \d+\/10\.$/,
    );
    expect((await store.get(FAKE_GUILD_ID)).playlist.map((e) => e.hash)).toContain(hash);
    const gone = await run(buttonInteraction({ customId: `queue-add:${'0'.repeat(64)}`, user: bob }));
    expect(gone.data).toMatchObject({ content: TRACK_GONE, flags: 64 });
  });

  it('stops for the starter: fades out, leaves the channel (op 4 with no channel) and forgets the session, keeping the playlist', async () => {
    const playlist = (await store.get(FAKE_GUILD_ID)).playlist;
    const body = await run(djsetInteraction({ subcommand: 'stop', user: owner }));
    expect(body.data?.content).toBe('Stopping: the set fades out on the next downbeat. The playlist stays as it is.');
    await discord.waitForGatewayOp(
      (o) => o.op === 4 && (o.d as { channel_id?: string | null }).channel_id === null,
      15_000,
    );
    await until(() => bot.sets.get(FAKE_GUILD_ID) === undefined || undefined, 'the set to end');
    const state = await store.get(FAKE_GUILD_ID);
    expect(state.session).toBeUndefined();
    expect(state.setStarterId).toBeUndefined();
    expect(state.playlist).toEqual(playlist);
    expect((await run(djsetInteraction({ subcommand: 'stop', user: owner }))).data).toMatchObject({
      content: NO_SET,
      flags: 64,
    });
  });

  it("plays on through a crashed decoder, and cuts to the next song, saying so, when a song's audio is gone", async () => {
    await runDeferred(djsetInteraction({ subcommand: 'start', user: owner }));
    const set = await until(() => bot.sets.get(FAKE_GUILD_ID), 'the set');
    attachFakeConnection(set.broadcast.player);
    const first = await until(() => set.broadcast.playedSec > 0.5 && set.nowPlaying()?.track, 'the set to play');
    // The next transition may take this very song again (a small library): wait for its render, so only the body's deck reads the file.
    await until(() => set.upcoming()?.rendered || undefined, 'the next transition to be rendered', 60_000);
    expect(crashDecoders(first.file, 5)).toBe(1);
    await until(() => errors.length === 1 || undefined, 'the crash to be logged');
    expect(errors[0]).toBeInstanceOf(AudioInputError);
    expect((errors[0] as AudioInputError).code).toBe('decoder-crashed');
    const heard = set.broadcast.playedSec;
    await until(() => set.broadcast.playedSec > heard + 1 || undefined, 'the set to play on');
    expect(set.nowPlaying()?.track.hash).toBe(first.hash);

    // Its audio gone from the library, the song's reopened decoders die too: the set cuts to the other song.
    rmSync(first.file);
    expect(crashDecoders(first.file, 5)).toBe(1);
    const notice = await until(
      () => discord.channelMessages().find((m) => String(m.body.content).includes('could not be played on')),
      'the notice',
    );
    expect(notice.channelId).toBe(FAKE_TEXT_CHANNEL_ID);
    expect(String(notice.body.content)).toBe(
      `**${first.title}** could not be played on (its audio decoder kept stopping), so the set cut to the next track.`,
    );
    await until(() => set.nowPlaying()?.track.hash !== first.hash || undefined, 'the next song to be heard', 15_000);
    expect(bot.sets.get(FAKE_GUILD_ID)).toBe(set);
    // The first crash, the second, then the reopened decoder finding no file.
    expect(errors).toHaveLength(3);
    expect(errors.every((e) => e instanceof AudioInputError)).toBe(true);

    // The other song's audio goes too: nothing playable is left to cut to, so the set stops and says why.
    const second = set.nowPlaying()!.track;
    rmSync(second.file);
    expect(crashDecoders(second.file, Infinity)).toBeGreaterThanOrEqual(1);
    const stopped = await until(
      () => discord.channelMessages().find((m) => String(m.body.content).startsWith('The set stopped')),
      'the stop notice',
      15_000,
    );
    expect(String(stopped.body.content)).toBe(
      'The set stopped: its audio could not be decoded and nothing playable was ready to follow. Add songs with /queue add and /djset start again.',
    );
    await until(() => bot.sets.get(FAKE_GUILD_ID) === undefined || undefined, 'the set to end');
    expect((await store.get(FAKE_GUILD_ID)).session).toBeUndefined();
    expect(discord.channelMessages().some((m) => String(m.body.content).includes('nothing left to play'))).toBe(false);
    expect(errors.length).toBeGreaterThan(3);
    expect(errors.every((e) => e instanceof AudioInputError)).toBe(true);
    errors.length = 0;
  });

  // Each test leaves no handler error behind (one that expects errors clears them), run alone or with the others.
  afterEach(() => {
    expect(errors).toEqual([]);
  });
});
