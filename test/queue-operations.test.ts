import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canControlSet, canRemoveEntry } from '../src/bot/playlist/permissions.ts';
import type { MemberInfo } from '../src/bot/playlist/permissions.ts';
import { MAX_GUILD_DOWNLOADS, MAX_MEMBER_DOWNLOADS } from '../src/util/add-policy.ts';
import {
  addToQueue,
  clearQueue,
  completeAdd,
  moveInQueue,
  releaseAdd,
  removeFromQueue,
  reserveAdd,
  RESERVATION_LAPSE_MS,
} from '../src/bot/playlist/queue-operations.ts';
import { ReservationKeeper } from '../src/bot/adds/reservation-keeper.ts';
import { linkKey } from '../src/bot/playlist/stored-link.ts';
import { GuildStore, defaultGuildState } from '../src/db/guild-store.ts';
import type { GuildState, GuildSettings } from '../src/db/guild-store.ts';
import { makeTempDir } from './helpers/ffmpeg-fixtures.ts';

let tmp: ReturnType<typeof makeTempDir>;
let store: GuildStore;
beforeAll(async () => {
  tmp = makeTempDir();
  store = await GuildStore.open(path.join(tmp.dir, 'queue.sqlite'));
});
afterAll(async () => {
  await store.close();
  tmp.cleanup();
});

const alice: MemberInfo = { id: 'alice', roleIds: ['listener'], manageGuild: false };
const bob: MemberInfo = { id: 'bob', roleIds: [], manageGuild: false };
const dj: MemberInfo = { id: 'dj', roleIds: ['dj-role'], manageGuild: false };
const admin: MemberInfo = { id: 'admin', roleIds: [], manageGuild: true };

const T0 = Date.UTC(2025, 5, 1, 20, 0, 0);
const at = (seconds: number) => new Date(T0 + seconds * 1000);

let guildCounter = 0;
/** A fresh guild with the DJ role set and, unless a test is about the rate limit, a generous one. */
async function freshGuild(settings: Partial<GuildSettings> = {}): Promise<string> {
  const guildId = `guild-${++guildCounter}`;
  await store.update(guildId, (s) => ({
    ...s,
    settings: { ...s.settings, djRoleId: 'dj-role', maxAddsPerMinute: 1000, ...settings },
  }));
  return guildId;
}

/** Adds `Song n` (hash hn) for each member in turn, one second apart. */
async function seed(guildId: string, requesters: MemberInfo[]): Promise<void> {
  for (const [i, member] of requesters.entries()) {
    expect(
      await addToQueue(store, guildId, member, { hash: `h${i + 1}`, title: `Song ${i + 1}` }, at(i)),
    ).toMatchObject({ ok: true });
  }
}

/** Runs a refused operation and checks it left the stored state exactly as it was. */
async function expectRefused(guildId: string, op: () => Promise<unknown>, message: string): Promise<void> {
  const before = await store.get(guildId);
  const result = await op();
  expect(result).toEqual({ ok: false, message });
  expect(await store.get(guildId)).toEqual(before);
}

async function titles(guildId: string): Promise<string[]> {
  return (await store.get(guildId)).playlist.map((e) => e.title);
}

describe('permissions', () => {
  const state: GuildState = {
    ...defaultGuildState('g'),
    settings: { ...defaultGuildState('g').settings, djRoleId: 'dj-role' },
    setStarterId: 'starter',
  };
  const noDjRole: GuildState = { ...state, settings: { ...state.settings, djRoleId: undefined } };
  const starter: MemberInfo = { id: 'starter', roleIds: [], manageGuild: false, startedLiveSet: true };
  const aliceEntry = { id: 'e1', hash: 'h1', title: 'Song', requesterId: 'alice', addedAt: new Date(T0).toISOString() };

  it.each([
    ['plain member', alice, state, false, true, false],
    ['other plain member', bob, state, false, false, false],
    ['DJ role', dj, state, true, true, true],
    ['Manage Server', admin, state, true, true, true],
    ['set starter', starter, state, true, true, true],
    ['DJ role member when no DJ role is configured', dj, noDjRole, false, false, false],
    // A set saved as started by them but not playing (killed, or not resumed) gives no rights.
    ['set starter when no set is running', { ...starter, startedLiveSet: false }, state, false, false, false],
  ] as const)('%s', (_name, member, s, control, removeAlices, removeBobs) => {
    expect(canControlSet(member, s)).toBe(control);
    expect(canRemoveEntry(member, aliceEntry, s)).toBe(removeAlices);
    expect(canRemoveEntry(member, { ...aliceEntry, requesterId: 'bob' }, s)).toBe(removeBobs || member.id === 'bob');
  });
});

describe('addToQueue', () => {
  it('adds at the end and says where', async () => {
    const g = await freshGuild();
    const first = await addToQueue(store, g, alice, { hash: 'h1', title: 'One' }, at(0));
    const second = await addToQueue(store, g, bob, { hash: 'h2', title: 'Two' }, at(1));
    expect(first).toMatchObject({ ok: true, message: 'Added "One" at position 1.', position: 1 });
    expect(second).toMatchObject({ ok: true, message: 'Added "Two" at position 2.', position: 2 });
    // The entry it follows, for "how it fits its neighbour"; the first has none.
    expect(first.ok && first.previous).toBeUndefined();
    expect(second.ok && second.previous?.title).toBe('One');
    const state = await store.get(g);
    expect(state.playlist).toEqual([
      { id: expect.any(String), hash: 'h1', title: 'One', requesterId: 'alice', addedAt: at(0).toISOString() },
      { id: expect.any(String), hash: 'h2', title: 'Two', requesterId: 'bob', addedAt: at(1).toISOString() },
    ]);
    expect(state.playlist[0]?.id).not.toBe(state.playlist[1]?.id);
  });

  it('refuses a song that is already waiting, naming its position', async () => {
    const g = await freshGuild();
    await seed(g, [alice, bob, alice]);
    await expectRefused(
      g,
      () => addToQueue(store, g, bob, { hash: 'h3', title: 'Song 3 (other upload name)' }, at(10)),
      '"Song 3" is already in the playlist (position 3).',
    );
  });

  it("refuses the 11th waiting song of one member, but not another member's", async () => {
    const g = await freshGuild();
    await seed(
      g,
      Array.from({ length: 10 }, () => alice),
    );
    await expectRefused(
      g,
      () => addToQueue(store, g, alice, { hash: 'h11', title: 'Eleven' }, at(20)),
      'You already have 10 songs waiting; remove one or wait until one plays.',
    );
    expect(await addToQueue(store, g, bob, { hash: 'h11', title: 'Eleven' }, at(21))).toMatchObject({
      ok: true,
      position: 11,
    });
  });

  it("uses the server's own queue limit", async () => {
    const g = await freshGuild({ maxQueuePerMember: 1 });
    await seed(g, [alice]);
    await expectRefused(
      g,
      () => addToQueue(store, g, alice, { hash: 'h2', title: 'Two' }, at(5)),
      'You already have 1 song waiting; remove it or wait until it plays.',
    );
  });

  it('limits adds per minute and says how long to wait', async () => {
    const g = await freshGuild({ maxAddsPerMinute: 5 });
    for (let i = 0; i < 5; i++) {
      expect((await addToQueue(store, g, alice, { hash: `h${i}`, title: `Song ${i}` }, at(i * 2))).ok).toBe(true);
    }
    await expectRefused(
      g,
      () => addToQueue(store, g, alice, { hash: 'h5', title: 'Six' }, at(18)),
      'Slow down: at most 5 songs per minute. Try again in 42 s.',
    );
    // Removing a song does not reset the limit.
    expect((await removeFromQueue(store, g, alice, 1)).ok).toBe(true);
    await expectRefused(
      g,
      () => addToQueue(store, g, alice, { hash: 'h5', title: 'Six' }, at(59.5)),
      'Slow down: at most 5 songs per minute. Try again in 1 s.',
    );
    // Other members have their own allowance.
    expect((await addToQueue(store, g, bob, { hash: 'h6', title: 'Bob' }, at(19))).ok).toBe(true);
    // A minute after the first add, one slot is free again.
    expect(await addToQueue(store, g, alice, { hash: 'h5', title: 'Six' }, at(60))).toMatchObject({
      ok: true,
      message: 'Added "Six" at position 6.',
    });
    await expectRefused(
      g,
      () => addToQueue(store, g, alice, { hash: 'h7', title: 'Seven' }, at(61)),
      'Slow down: at most 5 songs per minute. Try again in 1 s.',
    );
  });

  it('says "1 song" when the limit is one per minute', async () => {
    const g = await freshGuild({ maxAddsPerMinute: 1 });
    await seed(g, [alice]);
    await expectRefused(
      g,
      () => addToQueue(store, g, alice, { hash: 'h2', title: 'Two' }, at(30)),
      'Slow down: at most 1 song per minute. Try again in 30 s.',
    );
  });

  it('keeps all of 20 members adding at once', async () => {
    const g = await freshGuild();
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        addToQueue(
          store,
          g,
          { id: `m${i}`, roleIds: [], manageGuild: false },
          { hash: `h${i}`, title: `Song ${i}` },
          at(0),
        ),
      ),
    );
    const positions = results.map((r) => (r.ok ? r.position : 0)).sort((a, b) => a - b);
    expect(positions).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    const state = await store.get(g);
    expect(state.playlist).toHaveLength(20);
    expect(new Set(state.playlist.map((e) => e.requesterId)).size).toBe(20);
    expect(state.version).toBe(21); // the settings write plus 20 adds
  });
});

describe('adds that need a download: the limits hold the place before a byte is fetched', () => {
  const url = (n: number) => `https://cdn.example/${n}.mp3`;

  it("counts downloads in flight against the member's limits and the server's", async () => {
    const g = await freshGuild({ maxAddsPerMinute: 3 });
    const first = await reserveAdd(store, g, alice, url(1), at(0));
    const second = await reserveAdd(store, g, alice, url(2), at(0));
    expect(first.ok && second.ok).toBe(true);
    await expectRefused(
      g,
      () => reserveAdd(store, g, alice, url(3), at(1)),
      `You already have ${MAX_MEMBER_DOWNLOADS} songs downloading; wait until one is added.`,
    );
    // The same link, by anyone, while it is being fetched.
    await expectRefused(g, () => reserveAdd(store, g, bob, url(1), at(1)), 'That song is already being added.');
    for (let i = 0; i < MAX_GUILD_DOWNLOADS - MAX_MEMBER_DOWNLOADS; i++)
      expect((await reserveAdd(store, g, { ...bob, id: `m${i}` }, url(10 + i), at(1))).ok).toBe(true);
    await expectRefused(
      g,
      () => reserveAdd(store, g, bob, url(20), at(1)),
      `${MAX_GUILD_DOWNLOADS} songs are downloading for this server right now; try again in a minute.`,
    );

    // Landing: the entry keeps its link and the reservation's time; the track joins the server library.
    const landed = await completeAdd(
      store,
      g,
      alice,
      first.ok ? first.pending.id : '',
      { hash: 'h1', title: 'One' },
      at(30),
    );
    expect(landed).toMatchObject({ ok: true, position: 1 });
    let state = await store.get(g);
    expect(state.playlist[0]).toMatchObject({ hash: 'h1', source: linkKey(url(1)) });
    expect(state.recentAdds.filter((a) => a.requesterId === 'alice').map((a) => a.at)).toEqual([at(0).toISOString()]);
    // (Its hash goes to the library index, not the record: h1 has no analysis here, so the index skips it.)
    expect(state.library).toEqual([]);
    await expectRefused(
      g,
      () => reserveAdd(store, g, bob, url(1), at(31)),
      'That song is already in the playlist (position 1).',
    );

    // A failed download gives its place back; the rate limit counts the two that were requested, not the failure.
    await releaseAdd(store, g, second.ok ? second.pending.id : '');
    state = await store.get(g);
    expect(state.pendingAdds.filter((p) => p.requesterId === 'alice')).toEqual([]);
    expect((await reserveAdd(store, g, alice, url(4), at(32))).ok).toBe(true);
    expect((await reserveAdd(store, g, alice, url(5), at(33))).ok).toBe(true);
    await expectRefused(
      g,
      () => addToQueue(store, g, alice, { hash: 'h9', title: 'Nine' }, at(34)),
      'Slow down: at most 3 songs per minute. Try again in 26 s.',
    );
  });

  it('keeps a link as its 50-character digest however long it is, and still knows a link a record from before kept whole', async () => {
    const g = await freshGuild();
    const long = `https://cdn.example/${'x'.repeat(1000)}.mp3`;
    const held = await reserveAdd(store, g, alice, long, at(0));
    expect(held.ok && held.pending.source).toBe(linkKey(long));
    await completeAdd(store, g, alice, held.ok ? held.pending.id : '', { hash: 'h1', title: 'One' }, at(1));
    const [entry] = (await store.get(g)).playlist;
    expect(entry!.source).toMatch(/^sha256:[\w-]{43}$/);
    expect(JSON.stringify(entry).length).toBeLessThan(250);
    await expectRefused(
      g,
      () => reserveAdd(store, g, bob, long, at(2)),
      'That song is already in the playlist (position 1).',
    );
    // An entry and a reservation as an earlier version wrote them: the link itself.
    const old = `https://cdn.example/${'y'.repeat(1000)}.mp3`;
    const pending = 'https://cdn.example/pending.mp3';
    await store.update(g, (s) => ({
      ...s,
      playlist: [
        ...s.playlist,
        { id: 'old', hash: 'h2', title: 'Old', requesterId: 'bob', addedAt: at(3).toISOString(), source: old },
      ],
      pendingAdds: [{ id: 'p-old', requesterId: 'bob', source: pending, at: at(3).toISOString() }],
    }));
    await expectRefused(
      g,
      () => reserveAdd(store, g, alice, old, at(4)),
      'That song is already in the playlist (position 2).',
    );
    await expectRefused(g, () => reserveAdd(store, g, alice, pending, at(4)), 'That song is already being added.');
  });

  it('lets pending adds count toward the waiting limit, and a lost reservation expire', async () => {
    const g = await freshGuild({ maxQueuePerMember: 2 });
    await seed(g, [alice]);
    expect((await reserveAdd(store, g, alice, url(1), at(0))).ok).toBe(true);
    await expectRefused(
      g,
      () => reserveAdd(store, g, alice, url(2), at(1)),
      'You already have 2 songs waiting; remove one or wait until one plays.',
    );
    // Minutes on without a renewal, a reservation whose process died holds nothing.
    expect((await reserveAdd(store, g, alice, url(2), at(RESERVATION_LAPSE_MS / 1000 + 1))).ok).toBe(true);
  });

  it('keeps a reservation as long as its job runs, and lets it lapse minutes after its process is gone', async () => {
    const g = await freshGuild();
    const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000);
    // Alice's two downloads started 25 minutes ago and still run: this process renews them.
    const keeper = new ReservationKeeper(store);
    const running = [
      await reserveAdd(store, g, alice, url(1), minutesAgo(25)),
      await reserveAdd(store, g, alice, url(2), minutesAgo(25)),
    ];
    const stops = running.map((r) => keeper.hold(g, r.ok ? r.pending.id : ''));
    await keeper.renewNow();
    await expectRefused(
      g,
      () => reserveAdd(store, g, alice, url(3), new Date()),
      `You already have ${MAX_MEMBER_DOWNLOADS} songs downloading; wait until one is added.`,
    );
    // Bob's started 6 minutes ago in a process that was killed: nobody renews it, and it holds nothing now.
    expect((await reserveAdd(store, g, bob, url(4), minutesAgo(6))).ok).toBe(true);
    expect((await reserveAdd(store, g, bob, url(5), new Date())).ok).toBe(true);
    expect((await reserveAdd(store, g, bob, url(6), new Date())).ok).toBe(true);
    expect((await store.get(g)).pendingAdds.filter((p) => p.requesterId === 'bob').map((p) => p.source)).toEqual([
      linkKey(url(5)),
      linkKey(url(6)),
    ]);
    for (const stop of stops) stop();
  });

  it('refuses a download that turns out to be a song already waiting, and frees its place', async () => {
    const g = await freshGuild();
    await seed(g, [bob]);
    const held = await reserveAdd(store, g, alice, url(7), at(0));
    const result = await completeAdd(
      store,
      g,
      alice,
      held.ok ? held.pending.id : '',
      { hash: 'h1', title: 'Same bytes' },
      at(5),
    );
    expect(result).toEqual({ ok: false, message: '"Song 1" is already in the playlist (position 1).' });
    const state = await store.get(g);
    expect(state.pendingAdds).toEqual([]);
    expect(state.playlist.map((e) => e.hash)).toEqual(['h1']);
  });

  it('holds exactly under 8 reservations at once from one member', async () => {
    const g = await freshGuild({ maxAddsPerMinute: 5 });
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => reserveAdd(store, g, alice, url(100 + i), at(0))),
    );
    expect(results.filter((r) => r.ok)).toHaveLength(MAX_MEMBER_DOWNLOADS);
    expect((await store.get(g)).pendingAdds).toHaveLength(MAX_MEMBER_DOWNLOADS);
  });
});

describe('removeFromQueue', () => {
  it("removes one's own song and closes the gap", async () => {
    const g = await freshGuild();
    await seed(g, [alice, bob, alice]);
    expect(await removeFromQueue(store, g, alice, 3)).toMatchObject({
      ok: true,
      message: 'Removed "Song 3" (position 3).',
      entry: { title: 'Song 3' },
    });
    expect(await titles(g)).toEqual(['Song 1', 'Song 2']);
  });

  it.each([
    ['DJ role', dj],
    ['Manage Server', admin],
  ] as const)("lets %s remove others' songs", async (_name, member) => {
    const g = await freshGuild();
    await seed(g, [alice, bob]);
    expect(await removeFromQueue(store, g, member, 1)).toMatchObject({
      ok: true,
      message: 'Removed "Song 1" (position 1).',
    });
    expect(await titles(g)).toEqual(['Song 2']);
  });

  it("lets the starter of the set playing remove others' songs, and nobody once it is gone", async () => {
    const g = await freshGuild();
    await seed(g, [alice, bob]);
    await store.update(g, (s) => ({ ...s, setStarterId: 'bob' }));
    await expectRefused(
      g,
      () => removeFromQueue(store, g, { ...bob, startedLiveSet: false }, 1),
      "You can only remove your own songs; removing others' needs the DJ role or Manage Server.",
    );
    expect((await removeFromQueue(store, g, { ...bob, startedLiveSet: true }, 1)).ok).toBe(true);
    expect(await titles(g)).toEqual(['Song 2']);
  });

  it("refuses someone else's song", async () => {
    const g = await freshGuild();
    await seed(g, [alice, bob]);
    await expectRefused(
      g,
      () => removeFromQueue(store, g, bob, 1),
      "You can only remove your own songs; removing others' needs the DJ role or Manage Server.",
    );
  });

  it('refuses a position with no song', async () => {
    const g = await freshGuild();
    await expectRefused(
      g,
      () => removeFromQueue(store, g, admin, 1),
      'There is no song at position 1; the playlist is empty.',
    );
    await seed(g, [alice, alice, alice, alice]);
    await expectRefused(
      g,
      () => removeFromQueue(store, g, alice, 7),
      'There is no song at position 7; the playlist has 4.',
    );
    await expectRefused(
      g,
      () => removeFromQueue(store, g, alice, 0),
      'There is no song at position 0; the playlist has 4.',
    );
  });
});

describe('moveInQueue', () => {
  it("moves one's own song back, and ahead of one's own songs only", async () => {
    const g = await freshGuild();
    await seed(g, [bob, alice, alice, bob]);
    await expectRefused(
      g,
      () => moveInQueue(store, g, alice, 3, 1),
      "You can move a song ahead of your own songs only; moving it ahead of others' needs the DJ role or Manage Server.",
    );
    expect(await moveInQueue(store, g, alice, 3, 2)).toMatchObject({
      ok: true,
      message: 'Moved "Song 3" from position 3 to position 2.',
      position: 2,
    });
    expect(await titles(g)).toEqual(['Song 1', 'Song 3', 'Song 2', 'Song 4']);
    expect((await moveInQueue(store, g, alice, 2, 4)).ok).toBe(true);
    expect(await titles(g)).toEqual(['Song 1', 'Song 2', 'Song 4', 'Song 3']);
    expect((await moveInQueue(store, g, dj, 4, 1)).ok).toBe(true);
    expect(await titles(g)).toEqual(['Song 3', 'Song 1', 'Song 2', 'Song 4']);
  });

  it("lets the DJ move anyone's song", async () => {
    const g = await freshGuild();
    await seed(g, [alice, bob, bob]);
    expect((await moveInQueue(store, g, dj, 1, 3)).ok).toBe(true);
    expect(await titles(g)).toEqual(['Song 2', 'Song 3', 'Song 1']);
  });

  it("refuses someone else's song", async () => {
    const g = await freshGuild();
    await seed(g, [alice, bob]);
    await expectRefused(
      g,
      () => moveInQueue(store, g, bob, 1, 2),
      "You can only move your own songs; moving others' needs the DJ role or Manage Server.",
    );
  });

  it('refuses positions with no song', async () => {
    const g = await freshGuild();
    await seed(g, [alice, alice, alice, alice]);
    await expectRefused(
      g,
      () => moveInQueue(store, g, alice, 7, 1),
      'There is no song at position 7; the playlist has 4.',
    );
    await expectRefused(
      g,
      () => moveInQueue(store, g, alice, 1, 5),
      'There is no song at position 5; the playlist has 4.',
    );
  });

  it('writes nothing when the song is already there', async () => {
    const g = await freshGuild();
    await seed(g, [alice, alice]);
    const before = await store.get(g);
    expect(await moveInQueue(store, g, alice, 2, 2)).toMatchObject({
      ok: true,
      message: '"Song 2" is already at position 2.',
    });
    expect(await store.get(g)).toEqual(before);
  });
});

describe('clearQueue', () => {
  it('lets the DJ clear the playlist and says how many went', async () => {
    const g = await freshGuild();
    await seed(g, [alice, bob, alice]);
    expect(await clearQueue(store, g, dj)).toEqual({
      ok: true,
      message: 'Cleared the playlist: removed 3 songs.',
      removed: 3,
    });
    expect(await titles(g)).toEqual([]);
  });

  it('refuses members without the DJ role or Manage Server, even for their own songs', async () => {
    const g = await freshGuild();
    await seed(g, [alice]);
    await expectRefused(
      g,
      () => clearQueue(store, g, alice),
      'Clearing the playlist needs the DJ role or Manage Server.',
    );
  });

  it('says when there is nothing to clear', async () => {
    const g = await freshGuild();
    await expectRefused(g, () => clearQueue(store, g, admin), 'The playlist is already empty.');
  });
});
