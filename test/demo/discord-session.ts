/**
 * `npm run demo:discord`: a scripted session of the bot on the fake Discord, written as what the channel shows —
 * messages, replies (ephemeral ones marked), the panel's edits and buttons, in order — to out/discord-session.md.
 * Real bot, real stores, real audio into a stand-in voice connection; only Discord is the fake one of the tests.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Bot } from '../../src/bot/create-bot.ts';
import { ADD_FROM_MESSAGE } from '../../src/bot/commands/add-from-message/add-from-message-command.ts';
import { openBotHarness } from '../helpers/bot-harness.ts';
import type { BotHarness } from '../helpers/bot-harness.ts';
import { ingestAs, shortSongs } from '../helpers/bot-tracks.ts';
import {
  buttonInteraction,
  djsetInteraction,
  fakeAttachment,
  FAKE_GUILD_ID,
  FAKE_OWNER_ID,
  FAKE_TEXT_CHANNEL_ID,
  FAKE_VOICE_CHANNEL_ID,
  messageMenuInteraction,
  queueInteraction,
} from '../helpers/fake-discord.ts';
import type { FakeUser } from '../helpers/fake-discord.ts';
import { standInVoiceServer } from '../helpers/fake-voice-connection.ts';
import { until } from '../helpers/until.ts';
import { channelTranscript } from './channel-transcript.ts';
import type { Action, MemberPost } from './channel-transcript.ts';

const OUT = path.resolve('out');
const owner: FakeUser = { id: FAKE_OWNER_ID, username: 'owner' };
const alice: FakeUser = { id: '700000000000000031', username: 'alice' };
const bob: FakeUser = { id: '700000000000000032', username: 'bob' };
const SONGS = ['Night Drive', 'Warehouse Sunrise', 'Tidal Lock', 'Afterglow'];

const actions: Action[] = [];
const posts: MemberPost[] = [];

async function session(h: BotHarness): Promise<void> {
  const act = (who: FakeUser, what: string, payload: Record<string, unknown>) => {
    actions.push({ id: String(payload.id), token: String(payload.token), who: who.username, what });
    h.discord.pushInteraction(payload);
    return payload;
  };
  const answered = (payload: Record<string, unknown>) =>
    until(
      () =>
        h.discord.restCalls.some((c) => c.method === 'PATCH' && c.path.includes(String(payload.token))) || undefined,
      'the answer',
      60_000,
    );
  const say = (who: FakeUser, content: string) => {
    h.discord.postMemberMessage(FAKE_TEXT_CHANNEL_ID, who, content);
    posts.push({ at: Date.now(), who: who.username, content });
  };
  const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

  // Songs added from a message: alice posts three files, and the message's Apps menu adds them all.
  const text = 'three tunes for tonight 🎶';
  const attachments = SONGS.slice(0, 3).map((name, i) => fakeAttachment(`${cdnBase}/${i}.wav`, `${name}.wav`, 1000));
  say(
    alice,
    `${text} [${SONGS.slice(0, 3)
      .map((name) => `${name}.wav`)
      .join('] [')}]`,
  );
  const fromMessage = act(
    alice,
    '*Apps → Add to the DJ playlist* on her message',
    messageMenuInteraction({ name: ADD_FROM_MESSAGE, user: alice, content: text, attachments }),
  );
  await until(
    () =>
      h.discord.restCalls.some(
        (c) =>
          c.method === 'PATCH' &&
          c.path.includes(String(fromMessage.token)) &&
          String((c.body as { content?: unknown } | undefined)?.content ?? '').startsWith('Added from'),
      ) || undefined,
    'the three songs added',
    120_000,
  );
  await answered(
    act(
      bob,
      '`/queue add track: Afterglow`',
      queueInteraction({ subcommand: 'add', user: bob, options: [{ name: 'track', type: 3, value: hashes[3]! }] }),
    ),
  );

  await answered(act(owner, '`/djset start`', djsetInteraction({ subcommand: 'start', user: owner })));
  const set = await until(() => bot.sets.get(FAKE_GUILD_ID), 'the set');
  h.discord.pushVoiceState(alice, FAKE_VOICE_CHANNEL_ID);
  h.discord.pushVoiceState(bob, FAKE_VOICE_CHANNEL_ID);
  await until(() => set.listeners() === 3 || undefined, 'three listeners');
  await until(() => set.upcoming(), 'the next transition');
  await answered(act(bob, '`/queue list`', queueInteraction({ subcommand: 'list', user: bob })));

  // Skip by vote: two of the three listeners.
  act(alice, '⏭️ Skip on the panel', buttonInteraction({ customId: 'panel:skip', user: alice }));
  await pause(1500);
  act(bob, '`/djset skip`', djsetInteraction({ subcommand: 'skip', user: bob }));
  const firstMix = await until(() => set.heardTransition(), 'the first transition', 120_000);
  await pause(2500);
  const vote = act(
    bob,
    '👍 Good mix on the panel',
    buttonInteraction({ customId: `vote:up:${firstMix.id}`, user: bob }),
  );
  await until(() => h.discord.answers(String(vote.id)) > 0 || undefined, 'the vote');

  // Pause from the panel, resume by command.
  await answered(act(owner, '⏸️ Pause on the panel', buttonInteraction({ customId: 'panel:pause', user: owner })));
  await pause(3000);
  await answered(act(owner, '`/djset resume`', djsetInteraction({ subcommand: 'resume', user: owner })));
  await until(() => set.upcoming(), 'the next transition after the resume', 60_000);
  await answered(act(alice, '📜 Queue on the panel', buttonInteraction({ customId: 'panel:queue', user: alice })));
  await answered(act(alice, '`/djset status`', djsetInteraction({ subcommand: 'status', user: alice })));

  // The second transition, as planned.
  await until(
    () => (set.heardTransition()?.id ?? firstMix.id) !== firstMix.id || undefined,
    'the second transition',
    150_000,
  );
  await pause(3000);
  act(owner, '⏹️ Stop on the panel', buttonInteraction({ customId: 'panel:stop', user: owner }));
  await until(() => bot.sets.get(FAKE_GUILD_ID) === undefined || undefined, 'the set to end', 30_000);
  await pause(500);
}

let cdnBase = '';
const hashes: string[] = [];
let bot: Bot;

/** The attachments of multipart replies (the status picture), saved beside the transcript. */
function savePictures(h: BotHarness): Record<string, string> {
  const pictures: Record<string, string> = {};
  for (const call of h.discord.restCalls) {
    if (!call.raw) continue;
    const text = call.raw.toString('latin1');
    for (const m of text.matchAll(/filename="([^"]+\.png)"\r\nContent-Type: image\/png\r\n\r\n/g)) {
      const start = m.index! + m[0].length;
      const end = text.indexOf('\r\n--', start);
      const name = `discord-session-${m[1]}`;
      writeFileSync(path.join(OUT, name), call.raw.subarray(start, end));
      pictures[m[1]!] = name;
    }
  }
  return pictures;
}

async function main(): Promise<void> {
  mkdirSync(OUT, { recursive: true });
  const h = await openBotHarness();
  // The songs are synthesized and analysed once (cached); uploading them again finds their analyses by content hash.
  const crate = await shortSongs();
  hashes.push(
    ...(await ingestAs(
      crate,
      SONGS.map((name) => path.join(h.dir, `${name}.wav`)),
      h.analyses,
      (f, hash, name) => h.files.keep(f, hash, name),
    )),
  );
  await h.store.update(FAKE_GUILD_ID, (s) => ({ ...s, library: [hashes[3]!] }));
  const cdn = createServer((req, res) => {
    const body = readFileSync(crate[Number(/\/(\d)\.wav$/.exec(req.url ?? '')?.[1] ?? 0)]!.file);
    res.writeHead(200, { 'content-type': 'audio/wav', 'content-length': body.length }).end(body);
  });
  await new Promise<void>((resolve) => cdn.listen(0, '127.0.0.1', () => resolve()));
  cdnBase = `http://127.0.0.1:${(cdn.address() as AddressInfo).port}`;
  const voice = standInVoiceServer();
  try {
    bot = await h.start({ resumeSets: false, isAllowedAddress: (ip) => ip === '127.0.0.1' });
    const startedAt = Date.now();
    await session(h);
    const names = {
      [owner.id]: 'owner',
      [alice.id]: 'alice',
      [bob.id]: 'bob',
      [FAKE_VOICE_CHANNEL_ID]: 'Chill Room',
      [FAKE_TEXT_CHANNEL_ID]: 'general',
    };
    const transcript = channelTranscript(
      { startedAt, calls: h.discord.restCalls, actions, posts, names, pictures: savePictures(h) },
      h.discord.channelMessages().map((m) => m.id),
    );
    const head = [
      '# Mini-DJ in #general: a scripted session on the fake Discord',
      '',
      'What the channel showed, in order (`npm run demo:discord`). Replies only their member saw are marked; buttons are in brackets.',
      '',
      '',
    ];
    writeFileSync(path.join(OUT, 'discord-session.md'), head.join('\n') + transcript);
    console.log(
      `wrote ${path.join(OUT, 'discord-session.md')} (${actions.length} interactions, ${h.discord.messageEdits().length} edits)`,
    );
  } finally {
    voice.stop();
    await h.close();
    await new Promise((r) => cdn.close(r));
  }
}

await main();
