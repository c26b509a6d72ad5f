import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import type { Bot } from '../src/bot/create-bot.ts';
import { needsControl, onlyListenersVote } from '../src/bot/commands/djset/djset-handler.ts';
import { answerTo, openBotHarness } from './helpers/bot-harness.ts';
import type { BotHarness } from './helpers/bot-harness.ts';
import { ingestAs, shortSongs } from './helpers/bot-tracks.ts';
import {
  activeTokens,
  HOSTILE_SHORT,
  HOSTILE_SHORT_TOKENS,
  renderedTexts,
  shownText,
} from './helpers/discord-markdown.ts';
import { until } from './helpers/until.ts';
import {
  buttonInteraction,
  djsetInteraction,
  FAKE_GUILD_ID,
  PERMISSIONS,
  FAKE_OWNER_ID,
  FAKE_TEXT_CHANNEL_ID,
  FAKE_VOICE_CHANNEL_ID,
  queueInteraction,
  suggestInteraction,
} from './helpers/fake-discord.ts';
import type { RestCall } from './helpers/fake-discord.ts';
import { standInVoiceServer } from './helpers/fake-voice-connection.ts';
import type { VoiceServerStandIn } from './helpers/fake-voice-connection.ts';

const owner = { id: FAKE_OWNER_ID, username: 'owner' };
const bob = { id: '700000000000000021', username: 'bob' };
const carol = { id: '700000000000000022', username: 'carol' };
/** Who queued each of the four songs. */
const REQUESTERS = [bob.id, carol.id, owner.id, bob.id];
/** Every title is made of markdown (as a file's tags may be): the whole session must show them as plain text. */
const titleOf = (i: number) => `${HOSTILE_SHORT} ${i}`;
/** The library's own names (file names: no slashes). */
const fileOf = (i: number) => `${i} <@123456789012345678> @everyone **NITRO** ||x|| <t:0:R> ~~gone~~.wav`;
const FILE_TOKENS = ['<@123456789012345678>', '@everyone', '**NITRO**', '||x||', '<t:0:R>', '~~gone~~'];
const BURY_AFTER = 10;

let h: BotHarness;
let voice: VoiceServerStandIn;
let bot: Bot;
const hashes: string[] = [];

interface Callback {
  type: number;
  data?: {
    content?: string;
    flags?: number;
    components?: { components: { custom_id: string; label?: string; disabled?: boolean }[] }[];
  };
}

const run = (payload: Record<string, unknown>): Promise<Callback> => answerTo<Callback>(h.discord, payload);
const press = (customId: string, user: { id: string; username: string }) => run(buttonInteraction({ customId, user }));

/** An ephemeral deferral's edited answer (a button's pause, resume or queue). */
async function deferredText(payload: Record<string, unknown>): Promise<string> {
  const callback = await run(payload);
  expect(callback.type).toBe(5);
  return (await h.discord.deferredOutcome(payload, 30_000)).content;
}

/** The panel: the channel messages that are it, and the edits of each. */
const panels = () => h.discord.channelMessages().filter((m) => String(m.body.content).includes('**Now playing:**'));
const editsOf = (id: string) => h.discord.messageEdits().filter((e) => e.messageId === id);
const latestOf = (id: string) =>
  String(editsOf(id).at(-1)?.body.content ?? h.discord.channelMessages().find((m) => m.id === id)?.body.content);
const buttonsOf = (body: Record<string, unknown>) =>
  ((body.components ?? []) as { components: { custom_id: string }[] }[]).flatMap((row) =>
    row.components.map((c) => c.custom_id),
  );

/** The number each song's title ends with, in the order a message lists them. */
const numbersIn = (text: string) => [...shownText(text).matchAll(/ (\d) — <@/g)].map((m) => Number(m[1]));

beforeAll(async () => {
  h = await openBotHarness();
  // Four 16-bar songs in three keys: smart order plays them otherwise than queued.
  const songs = await shortSongs();
  hashes.push(
    ...(await ingestAs(
      songs,
      songs.map((_, i) => path.join(h.dir, fileOf(i))),
      h.analyses,
      (f, hash, name) => h.files.keep(f, hash, name),
    )),
  );
  const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s)).toISOString();
  await h.store.update(FAKE_GUILD_ID, (s) => ({
    ...s,
    library: hashes,
    playlist: hashes.map((hash, i) => ({
      id: `entry-${i}`,
      hash,
      title: titleOf(i),
      requesterId: REQUESTERS[i]!,
      addedAt: at(i),
    })),
  }));
  voice = standInVoiceServer();
  bot = await h.start({
    resumeSets: true,
    timing: { boardEveryMs: 1000, panelGapMs: 300, saveEveryMs: 300, buryAfter: BURY_AFTER },
  });
  h.discord.pushVoiceState(bob, FAKE_VOICE_CHANNEL_ID);
}, 180_000);

afterAll(async () => {
  await h?.close();
  voice?.stop();
});

describe('one live panel per set, on a fake Discord', () => {
  let panelId: string;
  let planned: number[];

  it('posts one panel when the set is heard, and /queue list shows the smart play order with times', async () => {
    const start = djsetInteraction({ subcommand: 'start', user: owner });
    expect((await run(start)).type).toBe(5);
    expect((await h.discord.deferredOutcome(start, 30_000)).content).toMatch(/^Mixing in <#\d+> in smart order\./);
    const set = bot.sets.get(FAKE_GUILD_ID)!;
    const panel = await until(() => panels()[0], 'the panel');
    panelId = panel.id;
    expect(panel.channelId).toBe(FAKE_TEXT_CHANNEL_ID);
    expect(buttonsOf(panel.body)).toEqual(['panel:pause', 'panel:skip', 'panel:stop', 'panel:queue']);
    expect(String(panel.body.content)).toMatch(
      new RegExp(
        `^\\*\\*Now playing:\\*\\* .+ \\d \\(17\\d BPM, \\d+A\\) — 0:\\d\\d / 0:2\\d, queued by <@\\d+>\\n\\*\\*Next:\\*\\* .+\\n<#${FAKE_VOICE_CHANNEL_ID}> · 2 listening · live$`,
      ),
    );

    const next = await until(() => set.upcoming(), 'the next transition to be planned');
    const list = queueInteraction({ subcommand: 'list', user: bob });
    expect((await run(list)).type).toBe(5);
    const listed = (await h.discord.deferredOutcome(list)).content;
    const lines = shownText(listed).split('\n');
    expect(lines[0]).toBe(
      'Coming up (smart order: the planned picks; times are estimates; #: position for /queue remove and /queue move):',
    );
    planned = numbersIn(listed);
    const first = hashes.indexOf(set.nowPlaying()!.track.hash);
    expect(planned).toHaveLength(3);
    expect(new Set([first, ...planned])).toEqual(new Set([0, 1, 2, 3]));
    expect(planned[0]).toBe(hashes.indexOf(next.to.hash));
    // Not the playlist as queued: the order the set will play.
    expect(planned).not.toEqual([0, 1, 2, 3].filter((i) => i !== first));
    // Times rise from the planned transition's; bob's own songs are marked.
    const times = lines
      .slice(1, 4)
      .map((l) => /in ~(\d+):(\d\d)/.exec(l)!)
      .map((m) => Number(m[1]) * 60 + Number(m[2]));
    expect(times[0]!).toBeLessThanOrEqual(Math.ceil(next.inSec));
    expect(times[0]!).toBeGreaterThan(next.inSec - 30);
    expect(times[1]!).toBeGreaterThan(times[0]!);
    expect(times[2]!).toBeGreaterThan(times[1]!);
    for (const line of lines.slice(1, 4))
      expect(line.includes(`<@${bob.id}> (yours)`)).toBe(REQUESTERS[Number(/ (\d) — /.exec(line)![1])] === bob.id);
    // The panel's Queue button shows the same, to the member alone.
    const queueButton = buttonInteraction({ customId: 'panel:queue', user: bob });
    const shown = await deferredText(queueButton);
    expect(numbersIn(shown)).toEqual(planned);
    expect(
      ((await h.discord.waitForRest((c) => c.path.includes(String(queueButton.id)))).body as Callback).data?.flags,
    ).toBe(64);
  }, 120_000);

  it('its buttons do what their commands do, with the same permissions', async () => {
    const set = bot.sets.get(FAKE_GUILD_ID)!;
    // Stop and pause need the DJ role, Manage Server or the starter; skip from a listener is a vote; from someone not listening, refused.
    expect((await press('panel:stop', bob)).data).toMatchObject({ content: needsControl('Stopping'), flags: 64 });
    expect((await press('panel:pause', bob)).data).toMatchObject({ content: needsControl('Pausing'), flags: 64 });
    expect((await press('panel:skip', carol)).data).toMatchObject({
      content: onlyListenersVote(FAKE_VOICE_CHANNEL_ID),
      flags: 64,
    });
    const vote = await press('panel:skip', bob);
    expect(vote.data?.flags).toBe(64);
    expect(shownText(vote.data!.content!)).toMatch(
      new RegExp(`^<@${bob.id}> votes to skip \\*\\*${escapeRegExp(HOSTILE_SHORT)} \\d\\*\\*: 1 of 2 votes needed\\.$`),
    );
    await until(() => latestOf(panelId).endsWith('· skip votes 1 of 2') || undefined, 'the panel to show the vote');
    expect(set.status.status).toBe('playing');

    // The starter pauses from the panel: acknowledged at once, the fade after; the panel offers Resume.
    expect(await deferredText(buttonInteraction({ customId: 'panel:pause', user: owner }))).toMatch(
      /^Paused: the set faded out on a downbeat and holds its place\./,
    );
    expect(set.status).toEqual({ status: 'paused', by: 'member' });
    await until(
      () => buttonsOf(editsOf(panelId).at(-1)?.body ?? {})[0] === 'panel:resume' || undefined,
      'the Resume button',
    );
    expect(latestOf(panelId)).toMatch(/· paused \(Resume or \/djset resume carries on\)/);
    expect(await deferredText(buttonInteraction({ customId: 'panel:resume', user: owner }))).toMatch(
      /^Resuming \*\*.+\*\* at \d:\d\d, fading in on the downbeat\.$/,
    );
    await until(() => set.status.status === 'playing' || undefined, 'the resume');
    await until(
      () => buttonsOf(editsOf(panelId).at(-1)?.body ?? {})[0] === 'panel:pause' || undefined,
      'the Pause button again',
    );
  }, 60_000);

  it('is edited in place through two transitions (one message, not three), the last mix with 👍/👎, and /queue list equal to what the set then played', async () => {
    const set = bot.sets.get(FAKE_GUILD_ID)!;
    // The resumed set plans its next transition again.
    await until(() => set.upcoming(), 'the next transition to be planned again');
    const skip = await press('panel:skip', owner);
    expect(skip.data?.content).toMatch(/^Skipping \*\*.+\*\*: mixing into \*\*.+\*\* at the next phrase\.$/);
    await until(
      () => /\*\*Last mix:\*\* /.test(latestOf(panelId)) || undefined,
      'the first transition in the panel',
      90_000,
    );
    const vote = buttonsOf(editsOf(panelId).at(-1)!.body).find((id) => id.startsWith('vote:up:'))!;
    expect(vote).toMatch(/^vote:up:[0-9a-f]{8}$/);
    expect((await press(vote, bob)).data?.content).toMatch(/^Thanks: 👍 noted for/);
    // The first mix was in the panel alone (the default); from now on the server wants a line each, in a thread.
    expect(h.discord.channelMessages().filter((m) => String(m.body.content).startsWith('Now mixing'))).toEqual([]);
    const settings = await run(
      djsetInteraction({
        subcommand: 'settings',
        user: owner,
        permissions: PERMISSIONS.manageGuild,
        options: [{ name: 'announce', type: 3, value: 'thread' }],
      }),
    );
    expect(settings.data?.content).toContain(
      "Transitions: shown in the set's panel and a line each in a thread of the set",
    );
    // The second: the set mixes out of the song it mixed into, at its next phrase.
    await until(() => set.upcoming(), 'the second transition to be planned', 60_000);
    expect((await run(djsetInteraction({ subcommand: 'skip', user: owner }))).data?.content).toMatch(/^Skipping/);
    // Each song of the plan is picked as the one before it plays: the third once the second transition is over.
    const history = await until(
      async () => {
        const played = (await h.store.get(FAKE_GUILD_ID)).history;
        return played.length >= 4 ? played.map((e) => hashes.indexOf(e.hash)) : undefined;
      },
      'the three planned songs to play',
      150_000,
    );
    expect(history.slice(1, 4)).toEqual(planned);
    // Heard a moment after it is produced (the stream's lead): the panel shows the second mix then.
    const mixesShown = () =>
      new Set(editsOf(panelId).flatMap((e) => buttonsOf(e.body).filter((id) => id.startsWith('vote:up:'))));
    await until(() => mixesShown().size >= 2 || undefined, 'the second mix in the panel', 15_000);

    // One panel, edited in place, through both; the second mix's line went to the set's thread, not the channel.
    expect(panels()).toHaveLength(1);
    // The line follows the panel's edit (the setting is read first).
    const lineInThread = () => h.discord.channelMessages().find((m) => String(m.body.content).startsWith('Now mixing'));
    await until(() => lineInThread(), 'the line in the thread', 15_000);
    const [thread] = h.discord.threads();
    expect(thread).toMatchObject({
      parentId: FAKE_TEXT_CHANNEL_ID,
      name: expect.stringMatching(/^Mini-DJ mixes \d{4}-\d\d-\d\d$/),
    });
    const lines = h.discord.channelMessages().filter((m) => String(m.body.content).startsWith('Now mixing'));
    expect(lines.length).toBeGreaterThanOrEqual(1);
    expect(lines.every((m) => m.channelId === thread!.id)).toBe(true);
    expect(buttonsOf(lines[0]!.body)[0]).toMatch(/^vote:up:/);
    expect((await h.store.get(FAKE_GUILD_ID)).session?.threadId).toBe(thread!.id);
    expect(editsOf(panelId).length).toBeGreaterThan(10);
    expect((await h.store.get(FAKE_GUILD_ID)).session?.panelMessageId).toBe(panelId);
  }, 240_000);

  it('is posted again at the bottom when the channel has buried it, the old one deleted', async () => {
    for (let i = 0; i < BURY_AFTER; i++) h.discord.postMemberMessage(FAKE_TEXT_CHANNEL_ID, carol, `chatter ${i}`);
    const reposted = await until(() => panels().find((m) => m.id !== panelId), 'the panel at the bottom', 15_000);
    await until(
      () => h.discord.deletedMessages().some((d) => d.messageId === panelId) || undefined,
      'the old panel to be deleted',
    );
    expect(panels()).toHaveLength(2);
    expect(buttonsOf(reposted.body)).toContain('panel:skip');
    panelId = reposted.id;
    await until(
      async () => (await h.store.get(FAKE_GUILD_ID)).session?.panelMessageId === panelId || undefined,
      'the new panel saved with the session',
    );
  }, 30_000);

  it('is the same message after a restart, and says when the set has ended (its buttons gone)', async () => {
    // Restarted once the playing song's exit is planned: a stop asked mid-transition is taken up only once the
    // transition is over, and the next song's pick may then start a render the shutdown cuts off (told as an error).
    await until(() => bot.sets.get(FAKE_GUILD_ID)?.upcoming(), 'the next transition to be planned', 30_000);
    await bot.stop();
    const restarting = editsOf(panelId).at(-1)!.body;
    expect(String(restarting.content)).toMatch(/Mini-DJ is restarting: the set resumes here in a moment$/);
    expect(restarting.components).toEqual([]);
    const posted = panels().length;
    bot = await h.start({
      resumeSets: true,
      timing: { boardEveryMs: 1000, panelGapMs: 300, saveEveryMs: 300, buryAfter: BURY_AFTER },
    });
    await until(() => /· live$/.test(latestOf(panelId)) || undefined, 'the same panel to go live again', 30_000);
    expect(panels()).toHaveLength(posted);
    expect(buttonsOf(editsOf(panelId).at(-1)!.body)).toContain('panel:stop');

    expect((await press('panel:stop', owner)).data).toMatchObject({
      content: 'Stopping: the set fades out on the next downbeat. The playlist stays as it is.',
      flags: 64,
    });
    await until(() => bot.sets.get(FAKE_GUILD_ID) === undefined || undefined, 'the set to end', 20_000);
    const last = editsOf(panelId).at(-1)!.body;
    expect(String(last.content)).toMatch(
      /^\*\*The set has ended\.\*\* \/djset start carries on\.\n<#\d+> · \d listening · the set has ended$/,
    );
    expect(last.components).toEqual([]);
    expect(panels()).toHaveLength(posted);
  }, 90_000);

  it('shows every title, made of markdown, as plain text in every message of the session', async () => {
    // The rest of what names a song: history, suggestions, an add from the library (a song that has played).
    const replayed = (await h.store.get(FAKE_GUILD_ID)).history[0]!.hash;
    for (const payload of [
      queueInteraction({ subcommand: 'history', user: bob }),
      suggestInteraction({ user: bob, options: [{ name: 'track', type: 3, value: hashes[0]!.slice(0, 12) }] }),
      queueInteraction({ subcommand: 'add', user: carol, options: [{ name: 'track', type: 3, value: replayed }] }),
    ]) {
      const callback = await run(payload);
      if (callback.type === 5) await h.discord.deferredOutcome(payload, 30_000);
    }
    const said = h.discord.restCalls
      .filter((c) => ['POST', 'PATCH'].includes(c.method))
      .flatMap((c: RestCall) => renderedTexts(c.body));
    const naming = said.filter((t) => t.includes('NITRO'));
    for (const text of naming)
      expect(activeTokens(text, [...HOSTILE_SHORT_TOKENS.filter((t) => t !== '# '), ...FILE_TOKENS]), text).toEqual([]);
    // Every kind of message that names a song says it: the start, the panel, /queue list and the Queue button, skip and
    // vote replies, resume, the restart notice, history, the suggestions, the add reply.
    const kinds = [
      'Mixing in',
      '**Now playing:**',
      'Coming up',
      'votes to skip',
      'Skipping',
      'Thanks: 👍',
      'Resuming',
      'Mini-DJ restarted',
      'Played here',
      'What mixes well after',
      'Added "',
    ];
    for (const kind of kinds)
      expect(
        naming.some((t) => t.startsWith(kind) || t.includes(kind)),
        kind,
      ).toBe(true);
    expect(naming.length).toBeGreaterThan(20);
    // And the title reads as it was given, each message showing it whole.
    expect(
      naming.every((t) =>
        [0, 1, 2, 3].some((i) => shownText(t).includes(titleOf(i)) || shownText(t).includes(fileOf(i).slice(0, -4))),
      ),
    ).toBe(true);
    expect(h.errors).toEqual([]);
  }, 60_000);
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
