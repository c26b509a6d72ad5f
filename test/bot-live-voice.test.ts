import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { getVoiceConnection, VoiceConnectionStatus } from '@discordjs/voice';
import type { Bot } from '../src/bot/create-bot.ts';
import { onlyListenersVote } from '../src/bot/commands/djset/djset-handler.ts';
import { notReadyInTime } from '../src/bot/live/live-sets.ts';
import { cannotSpeakOnStage, channelFull } from '../src/bot/live/voice-checks.ts';
import { sharedOpusPool } from '../src/voice/opus-encoder.ts';
import { answerTo, openBotHarness } from './helpers/bot-harness.ts';
import { seedBotPlaylist } from './helpers/bot-tracks.ts';
import type { BotHarness } from './helpers/bot-harness.ts';
import { until } from './helpers/until.ts';
import {
  djsetInteraction,
  FAKE_FULL_CHANNEL_ID,
  FAKE_GUILD_ID,
  FAKE_MOD_ROLE_ID,
  FAKE_OWNER_ID,
  FAKE_SPEAKER_ROLE_ID,
  FAKE_STAGE_CHANNEL_ID,
  FAKE_TEXT_CHANNEL_ID,
  FAKE_VOICE_CHANNEL_2_ID,
  FAKE_VOICE_CHANNEL_ID,
  PERMISSIONS,
  queueInteraction,
} from './helpers/fake-discord.ts';
import { standInVoiceServer } from './helpers/fake-voice-connection.ts';
import type { VoiceServerStandIn } from './helpers/fake-voice-connection.ts';
import { formatClock } from '../src/util/format-clock.ts';

const owner = { id: FAKE_OWNER_ID, username: 'owner' };
const alice = { id: '700000000000000011', username: 'alice' };
const bob = { id: '700000000000000012', username: 'bob' };
const carol = { id: '700000000000000013', username: 'carol' };
// A start that is never Ready is given up after this long; the others are Ready and heard within a second or two.
const READY_TIMEOUT_MS = 5000;
const BOARD_EVERY_MS = 600;
const MINUTE_MS = 300;
const EMPTY_GRACE_MS = 300;

let h: BotHarness;
let voice: VoiceServerStandIn;
let bot: Bot;

interface Callback {
  type: number;
  data?: { content?: string; flags?: number };
}

const run = (payload: Record<string, unknown>): Promise<Callback> => answerTo<Callback>(h.discord, payload);

function channelOption(channelId: string, type: number) {
  return {
    options: [{ name: 'channel', type: 7, value: channelId }],
    resolved: { channels: { [channelId]: { id: channelId, type, name: 'named', permissions: PERMISSIONS.member } } },
  };
}

/** `/djset start` by the owner: the callback, and what the deferred reply finally said. */
async function start(extra: Partial<Parameters<typeof djsetInteraction>[0]> = {}) {
  const payload = djsetInteraction({ subcommand: 'start', user: owner, ...extra });
  const callback = await run(payload);
  if (callback.type !== 5) return { callback, outcome: undefined };
  return { callback, outcome: await h.discord.deferredOutcome(payload, 30_000) };
}

async function endSet(): Promise<void> {
  await bot.sets.get(FAKE_GUILD_ID)?.end('stopped');
  await until(() => bot.sets.get(FAKE_GUILD_ID) === undefined || undefined, 'the set to end');
}

const said = () => h.discord.channelMessages().map((m) => String(m.body.content));
const packets = () => voice.packets.get(FAKE_GUILD_ID)?.length ?? 0;

/** Opus encoders open in this process now (one per live set). */
const encoders = (): number => sharedOpusPool().openEncoders;

/** The library's tracks, as seeded (the store keeps them in the library index). */
const seeded: string[] = [];
beforeAll(async () => {
  h = await openBotHarness();
  seeded.push(...(await seedBotPlaylist(h, FAKE_GUILD_ID, alice.id)));
  voice = standInVoiceServer();
  bot = await h.start({
    resumeSets: false,
    timing: {
      emptyGraceMs: EMPTY_GRACE_MS,
      saveEveryMs: 200,
      readyTimeoutMs: READY_TIMEOUT_MS,
      boardEveryMs: BOARD_EVERY_MS,
      // Below the board's period: each tick edits, rather than every fourth past the default 2 s gap.
      panelGapMs: 300,
      minuteMs: MINUTE_MS,
    },
  });
}, 180_000);

afterAll(async () => {
  await h?.close();
  voice?.stop();
});

describe('the live set on a fake Discord: it never claims to play what nobody can hear', () => {
  it('gives up within the timeout when the voice connection never gets Ready: an ephemeral error, and nothing left behind', async () => {
    voice.setAnswering(false);
    const t0 = Date.now();
    const { callback, outcome } = await start().finally(() => voice.setAnswering(true));
    expect(callback.type).toBe(5);
    expect(outcome).toEqual({
      content: notReadyInTime(FAKE_VOICE_CHANNEL_ID, READY_TIMEOUT_MS / 1000),
      ephemeral: true,
      deletedOriginal: true,
    });
    expect(Date.now() - t0).toBeLessThan(READY_TIMEOUT_MS + 5000);
    await h.discord.waitForGatewayOp((o) => o.op === 4 && (o.d as { channel_id?: string | null }).channel_id === null);
    expect(bot.sets.get(FAKE_GUILD_ID)).toBeUndefined();
    const state = await h.store.get(FAKE_GUILD_ID);
    expect(state.session).toBeUndefined();
    expect(state.setStarterId).toBeUndefined();
    await until(() => encoders() === 0 || undefined, 'the encoder to be killed');
    expect(said().some((m) => m.startsWith('Mixing in'))).toBe(false);
  }, 60_000);

  it('says "Mixing in …" only once the connection is Ready and audio is going out, then keeps one now-playing message up to date', async () => {
    const { outcome } = await start();
    expect(outcome?.content).toMatch(/^Mixing in/);
    expect(outcome?.ephemeral).toBe(false);
    expect(outcome?.content).toMatch(
      new RegExp(
        `^Mixing in <#${FAKE_VOICE_CHANNEL_ID}> in smart order\\. Now playing \\*\\*(sunrise-loop|tide-line)\\*\\*`,
      ),
    );
    // At the moment of the reply, the connection was Ready and packets had gone out.
    expect(packets()).toBeGreaterThan(0);
    expect(getVoiceConnection(FAKE_GUILD_ID)?.state.status).toBe(VoiceConnectionStatus.Ready);

    const board = await until(
      () => h.discord.channelMessages().find((m) => String(m.body.content).startsWith('**Now playing:**')),
      'the now-playing message',
    );
    expect(board.channelId).toBe(FAKE_TEXT_CHANNEL_ID);
    expect(String(board.body.content)).toMatch(new RegExp(`\\n<#${FAKE_VOICE_CHANNEL_ID}> · 1 listening · live$`));
    const edits = await until(
      () => (h.discord.messageEdits().length >= 3 ? h.discord.messageEdits() : undefined),
      'three edits',
      20_000,
    );
    for (let i = 1; i < edits.length; i++)
      expect(edits[i]!.at - edits[i - 1]!.at).toBeGreaterThanOrEqual(BOARD_EVERY_MS - 50);
    expect(String(edits.at(-1)!.body.content)).toMatch(
      /^\*\*Now playing:\*\* (sunrise-loop|tide-line) \(12\d BPM, \d+[AB]\) — 0:\d\d \/ 1:\d\d, queued by <@\d+>\n\*\*Next:\*\* /,
    );
  }, 60_000);

  it('follows the channel a moderator moves it to: counts the listeners there, does not pause, saves that channel', async () => {
    h.discord.pushVoiceState(owner, FAKE_VOICE_CHANNEL_2_ID);
    h.discord.moveBot(FAKE_VOICE_CHANNEL_2_ID);
    const set = bot.sets.get(FAKE_GUILD_ID)!;
    await until(() => set.voiceChannelId === FAKE_VOICE_CHANNEL_2_ID || undefined, 'the set to follow');
    await new Promise((r) => setTimeout(r, EMPTY_GRACE_MS * 4));
    expect(set.paused).toBe(false);
    expect(set.listeners()).toBe(1);
    expect(said().some((m) => m.startsWith('Nobody is listening'))).toBe(false);
    await until(
      async () => (await h.store.get(FAKE_GUILD_ID)).session?.voiceChannelId === FAKE_VOICE_CHANNEL_2_ID || undefined,
      'the saved session to follow',
    );
  });

  it('lets listeners vote to skip: more than half of those in the channel skips; others cannot vote', async () => {
    const set = bot.sets.get(FAKE_GUILD_ID)!;
    await until(() => set.canSkip || undefined, 'a next transition to be planned', 60_000);
    h.discord.pushVoiceState(alice, FAKE_VOICE_CHANNEL_2_ID);
    h.discord.pushVoiceState(bob, FAKE_VOICE_CHANNEL_2_ID);
    await until(() => set.listeners() === 3 || undefined, 'three listeners');
    const skip = vi.spyOn(set.engine, 'skip');
    const first = await run(djsetInteraction({ subcommand: 'skip', user: bob }));
    expect(first.data?.content).toMatch(
      new RegExp(`^<@${bob.id}> votes to skip \\*\\*(sunrise-loop|tide-line)\\*\\*: 1 of 2 votes needed\\.$`),
    );
    expect(skip).not.toHaveBeenCalled();
    const outsider = await run(djsetInteraction({ subcommand: 'skip', user: carol }));
    expect(outsider.data).toMatchObject({ content: onlyListenersVote(FAKE_VOICE_CHANNEL_2_ID), flags: 64 });
    const second = await run(djsetInteraction({ subcommand: 'skip', user: alice }));
    expect(second.data?.content).toMatch(/^Skipping \*\*(sunrise-loop|tide-line)\*\* \(2 of 3 listeners voted\): /);
    expect(skip).toHaveBeenCalledTimes(1);
    skip.mockRestore();
  }, 90_000);

  it('pauses on a downbeat holding its place, resumes from that downbeat with the same song, and a paused set leaves after pause_minutes', async () => {
    await endSet();
    const [first] = seeded;
    await h.store.update(FAKE_GUILD_ID, (s) => ({
      ...s,
      history: [],
      playlist: [
        {
          id: 'entry-again',
          hash: first!,
          title: 'sunrise-loop',
          requesterId: alice.id,
          addedAt: new Date().toISOString(),
        },
      ],
    }));
    const { outcome } = await start();
    expect(outcome?.content).toMatch(/^Mixing in/);
    const set = bot.sets.get(FAKE_GUILD_ID)!;
    const changes: string[] = [];
    set.on('stateChange', (from, to) => changes.push(`${JSON.stringify(from)} -> ${JSON.stringify(to)}`));
    await until(() => (set.nowPlaying()?.positionSec ?? 0) > 3 || undefined, 'a few seconds of the song');
    // Acknowledged at once; the answer once the fade is over.
    const pause = djsetInteraction({ subcommand: 'pause', user: owner });
    expect((await run(pause)).type).toBe(5);
    expect((await h.discord.deferredOutcome(pause)).content).toMatch(
      /^Paused: the set faded out on a downbeat and holds its place\./,
    );
    expect(set.status).toEqual({ status: 'paused', by: 'member' });
    const held = set.nowPlaying()!;
    const sent = packets();
    await new Promise((r) => setTimeout(r, 1000));
    expect(packets() - sent).toBeLessThan(5);
    const downbeat = held.track.analysis.downbeats.findLast((d) => d <= held.positionSec)!;
    expect(held.positionSec - downbeat).toBeLessThan((2 * 4 * 60) / held.track.analysis.bpm);

    const resume = djsetInteraction({ subcommand: 'resume', user: owner });
    expect((await run(resume)).type).toBe(5);
    expect((await h.discord.deferredOutcome(resume)).content).toBe(
      `Resuming **${held.track.title}** at ${formatClock(downbeat)}, fading in on the downbeat.`,
    );
    expect(set.status).toEqual({ status: 'playing' });
    await until(() => packets() > sent + 50 || undefined, 'audio again');
    const now = await until(() => set.nowPlaying(), 'the song again');
    expect(now.track.hash).toBe(held.track.hash);
    expect(now.positionSec).toBeGreaterThanOrEqual(downbeat);
    // Resuming the same song does not count it twice.
    expect((await h.store.get(FAKE_GUILD_ID)).history).toHaveLength(1);

    const settings = await run(
      djsetInteraction({
        subcommand: 'settings',
        user: owner,
        permissions: PERMISSIONS.manageGuild,
        options: [{ name: 'pause_minutes', type: 4, value: 1 }],
      }),
    );
    expect(settings.data?.content).toContain('Paused with /djset pause: leaves after 1 minute');
    await run(djsetInteraction({ subcommand: 'pause', user: owner }));
    await until(() => bot.sets.get(FAKE_GUILD_ID) === undefined || undefined, 'the paused set to leave');
    await until(
      () =>
        said().includes(
          `The set was paused for 1 minute, so Mini-DJ left <#${FAKE_VOICE_CHANNEL_2_ID}>. The playlist stays; /djset start carries on.`,
        ) || undefined,
      'the notice',
    );
    expect((await h.store.get(FAKE_GUILD_ID)).session).toBeUndefined();
    expect(changes).toEqual([
      '{"status":"playing"} -> {"status":"paused","by":"member"}',
      '{"status":"paused","by":"member"} -> {"status":"playing"}',
      '{"status":"playing"} -> {"status":"paused","by":"member"}',
      '{"status":"paused","by":"member"} -> {"status":"ended","reason":"idle"}',
    ]);
  }, 90_000);

  it('lists the history: what played, who added it, how the transition into it was voted', async () => {
    const state = await h.store.get(FAKE_GUILD_ID);
    const body = await run(queueInteraction({ subcommand: 'history', user: bob }));
    expect(body.data?.content).toMatch(
      new RegExp(
        `^Played here \\(page 1 of 1, newest first\\):\\n1\\. \\*\\*sunrise-loop\\*\\* — added by <@${alice.id}>, <t:\\d+:R>$`,
      ),
    );
    expect(state.history[0]).toMatchObject({ requesterId: alice.id });
    expect(
      (
        await run(
          queueInteraction({ subcommand: 'history', user: bob, options: [{ name: 'page', type: 4, value: 2 }] }),
        )
      ).data,
    ).toMatchObject({ content: 'There is 1 page of history.', flags: 64 });
  });

  it('with stay set, leaves an empty channel after that many minutes; 24/7 (stay 0) stays', async () => {
    await endSet();
    await run(
      djsetInteraction({
        subcommand: 'settings',
        user: owner,
        permissions: PERMISSIONS.manageGuild,
        options: [{ name: 'stay', type: 4, value: 1 }],
      }),
    );
    expect((await h.store.get(FAKE_GUILD_ID)).settings.stayMinutes).toBe(1);
    const { outcome } = await start();
    expect(outcome?.content).toMatch(new RegExp(`^Mixing in <#${FAKE_VOICE_CHANNEL_2_ID}>`));
    for (const member of [owner, alice, bob]) h.discord.pushVoiceState(member, null);
    await until(() => bot.sets.get(FAKE_GUILD_ID) === undefined || undefined, 'the set to leave the empty channel');
    expect(said()).toContain(
      `Nobody listened in <#${FAKE_VOICE_CHANNEL_2_ID}> for 1 minute, so Mini-DJ left. The playlist stays; /djset start carries on.`,
    );
    const shown = await run(
      djsetInteraction({
        subcommand: 'settings',
        user: owner,
        permissions: PERMISSIONS.manageGuild,
        options: [{ name: 'stay', type: 4, value: 0 }],
      }),
    );
    expect(shown.data?.content).toContain('Empty channel: stays 24/7, paused until someone joins');
    expect((await h.store.get(FAKE_GUILD_ID)).settings.stayMinutes).toBeUndefined();
  }, 60_000);

  it('ends the set when the connection is destroyed (removed from the server): encoder killed, session cleared; after a re-invite it starts again', async () => {
    await endSet();
    h.discord.pushVoiceState(owner, FAKE_VOICE_CHANNEL_ID);
    const { outcome } = await start();
    expect(outcome?.content).toMatch(/^Mixing in/);
    expect(encoders()).toBe(1);
    h.discord.removeBot();
    await until(() => bot.sets.get(FAKE_GUILD_ID) === undefined || undefined, 'the set to end');
    await until(() => encoders() === 0 || undefined, 'the encoder to be killed');
    expect((await h.store.get(FAKE_GUILD_ID)).session).toBeUndefined();
    h.discord.inviteBot();
    await until(() => bot.client.guilds.cache.get(FAKE_GUILD_ID), 'the server again');
    const again = await start();
    expect(again.outcome?.content).toMatch(/^Mixing in/);
    await endSet();
  }, 60_000);

  it('on a stage: refuses without a way to speak; with Request to Speak asks to; with Mute Members becomes a speaker', async () => {
    await endSet();
    const refused = await start(channelOption(FAKE_STAGE_CHANNEL_ID, 13));
    expect(refused.callback.data).toMatchObject({ content: cannotSpeakOnStage(FAKE_STAGE_CHANNEL_ID), flags: 64 });

    h.discord.setBotRoles([FAKE_SPEAKER_ROLE_ID]);
    await until(
      () => bot.client.guilds.cache.get(FAKE_GUILD_ID)?.members.me?.roles.cache.has(FAKE_SPEAKER_ROLE_ID) || undefined,
      'the role',
    );
    const asked = await start(channelOption(FAKE_STAGE_CHANNEL_ID, 13));
    expect(asked.outcome?.content).toMatch(
      new RegExp(
        `^Mixing in <#${FAKE_STAGE_CHANNEL_ID}>.* Mini-DJ asked to speak on the stage: a stage moderator must accept`,
      ),
    );
    const request = h.discord.restCalls.find(
      (c) => c.method === 'PATCH' && decodeURIComponent(c.path) === `/api/v10/guilds/${FAKE_GUILD_ID}/voice-states/@me`,
    );
    expect(request?.body).toMatchObject({
      channel_id: FAKE_STAGE_CHANNEL_ID,
      request_to_speak_timestamp: expect.stringMatching(/^\d{4}-/),
    });
    await endSet();

    h.discord.setBotRoles([FAKE_MOD_ROLE_ID]);
    await until(
      () => bot.client.guilds.cache.get(FAKE_GUILD_ID)?.members.me?.roles.cache.has(FAKE_MOD_ROLE_ID) || undefined,
      'the role',
    );
    const speaker = await start(channelOption(FAKE_STAGE_CHANNEL_ID, 13));
    expect(speaker.outcome?.content).toMatch(/ Mini-DJ is a speaker on the stage\.$/);
    expect(
      h.discord.restCalls.some(
        (c) =>
          c.method === 'PATCH' &&
          decodeURIComponent(c.path).endsWith('/voice-states/@me') &&
          (c.body as { suppress?: boolean }).suppress === false,
      ),
    ).toBe(true);
    await until(
      () => bot.client.guilds.cache.get(FAKE_GUILD_ID)?.members.me?.voice.suppress === false || undefined,
      'the bot un-suppressed',
    );
    await endSet();
  }, 90_000);

  it('refuses a full channel unless it may move members', async () => {
    await endSet();
    h.discord.setBotRoles([]);
    await until(
      () => bot.client.guilds.cache.get(FAKE_GUILD_ID)?.members.me?.roles.cache.size === 1 || undefined,
      'the roles gone',
    );
    const refused = await start(channelOption(FAKE_FULL_CHANNEL_ID, 2));
    expect(refused.callback.data).toMatchObject({ content: channelFull(FAKE_FULL_CHANNEL_ID, 1), flags: 64 });
    h.discord.setBotRoles([FAKE_MOD_ROLE_ID]);
    await until(
      () => bot.client.guilds.cache.get(FAKE_GUILD_ID)?.members.me?.roles.cache.has(FAKE_MOD_ROLE_ID) || undefined,
      'the role',
    );
    const allowed = await start(channelOption(FAKE_FULL_CHANNEL_ID, 2));
    expect(allowed.outcome?.content).toMatch(new RegExp(`^Mixing in <#${FAKE_FULL_CHANNEL_ID}>`));
    await endSet();
  }, 60_000);

  it('does not resume a saved set where it may no longer be heard, and says so in the text channel', async () => {
    await endSet();
    h.discord.setBotRoles([]);
    await until(
      () => bot.client.guilds.cache.get(FAKE_GUILD_ID)?.members.me?.roles.cache.size === 1 || undefined,
      'the roles gone',
    );
    const hash = seeded[0]!;
    const now = new Date().toISOString();
    await h.store.update(FAKE_GUILD_ID, (s) => ({
      ...s,
      setStarterId: FAKE_OWNER_ID,
      session: {
        voiceChannelId: FAKE_STAGE_CHANNEL_ID,
        textChannelId: FAKE_TEXT_CHANNEL_ID,
        order: 'smart',
        startedAt: now,
        current: { hash, title: 'sunrise-loop', positionSec: 0, savedAt: now },
      },
    }));
    const guild = bot.client.guilds.cache.get(FAKE_GUILD_ID)!;
    expect(await bot.sets.resumeAll([guild])).toBe(0);
    expect(bot.sets.get(FAKE_GUILD_ID)).toBeUndefined();
    expect(said()).toContain(
      `Mini-DJ restarted but did not resume the set: ${cannotSpeakOnStage(FAKE_STAGE_CHANNEL_ID)}`,
    );
    expect((await h.store.get(FAKE_GUILD_ID)).session).toBeUndefined();
  });

  it('hit no unexpected errors', () => {
    expect(h.errors).toEqual([]);
  });
});
