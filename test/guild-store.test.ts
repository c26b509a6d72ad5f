import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GuildStore, HISTORY_LIMIT, defaultGuildSettings, defaultGuildState } from '../src/db/guild-store.ts';
import type { PlaylistEntry } from '../src/db/guild-store.ts';
import { openKeyv, storeTarget } from '../src/db/open-keyv.ts';
import { makeTempDir } from './helpers/ffmpeg-fixtures.ts';
import { writeLegacyGuildState } from './helpers/guild-races.ts';
import { checkSavedPosition } from './helpers/saved-position.ts';

let tmp: ReturnType<typeof makeTempDir>;
let db: string;
let store: GuildStore;
beforeAll(async () => {
  tmp = makeTempDir();
  db = path.join(tmp.dir, 'guilds.sqlite');
  store = await GuildStore.open(db);
});
afterAll(async () => {
  await store.close();
  tmp.cleanup();
});

function entry(n: number, requesterId = 'u1'): PlaylistEntry {
  return {
    id: `e${n}`,
    hash: `h${n}`,
    title: `Song ${n}`,
    requesterId,
    addedAt: new Date(Date.UTC(2025, 0, 1, 0, 0, n)).toISOString(),
  };
}

describe('guild store on a real SQLite file', () => {
  it('gives defaults for a new guild', async () => {
    const state = await store.get('new-guild');
    expect(state).toEqual(defaultGuildState('new-guild'));
    expect(state).toMatchObject({
      guildId: 'new-guild',
      playlist: [],
      history: [],
      recentAdds: [],
      transitions: [],
      version: 0,
      settings: { maxQueuePerMember: 10, maxAddsPerMinute: 5, order: 'smart' },
    });
  });

  it('round-trips an update, bumps version, and keeps it across reopen', async () => {
    const written = await store.update('g-round', (s) => ({
      ...s,
      playlist: [entry(1), entry(2, 'u2')],
      settings: { ...s.settings, djRoleId: 'r1', order: 'queue' },
      setStarterId: 'u2',
    }));
    expect(written.version).toBe(1);
    expect(await store.get('g-round')).toEqual(written);

    const again = await GuildStore.open(db);
    try {
      const reread = await again.get('g-round');
      expect(reread).toEqual(written);
      expect(reread.playlist.map((e) => e.id)).toEqual(['e1', 'e2']);
      expect(reread.settings).toEqual({ ...defaultGuildSettings(), order: 'queue', djRoleId: 'r1' });
    } finally {
      await again.close();
    }
  });

  it("saves a live set's position beside the record, read over the session while it is the newest of its song", async () => {
    await checkSavedPosition(store, 'g-position');
    await store.close();
    store = await GuildStore.open(db);
    expect((await store.get('g-position')).session).toBeUndefined();
  });

  it('keeps guilds apart', async () => {
    await store.update('g-a', (s) => ({ ...s, playlist: [entry(1)] }));
    await store.update('g-b', (s) => ({ ...s, playlist: [entry(2)] }));
    expect((await store.get('g-a')).playlist.map((e) => e.id)).toEqual(['e1']);
    expect((await store.get('g-b')).playlist.map((e) => e.id)).toEqual(['e2']);
  });

  it('serializes 20 concurrent updates to one guild without losing any', async () => {
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        store.update('g-concurrent', async (s) => {
          // Yield between read and write, as a real handler would, so an unserialized store would interleave here.
          await new Promise((resolve) => setTimeout(resolve, 2));
          return { ...s, playlist: [...s.playlist, entry(i, `member-${i}`)] };
        }),
      ),
    );
    const state = await store.get('g-concurrent');
    expect(state.playlist).toHaveLength(20);
    expect(new Set(state.playlist.map((e) => e.id)).size).toBe(20);
    expect(state.version).toBe(20);
    expect(results.map((r) => r.version).sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
  });

  it('writes nothing when the update changes nothing', async () => {
    const first = await store.update('g-noop', (s) => ({ ...s, playlist: [entry(1)] }));
    const same = await store.update('g-noop', (s) => s);
    const mutatedBack = await store.update('g-noop', (s) => ({ ...s, playlist: [...s.playlist] }));
    expect(same).toEqual(first);
    expect(mutatedBack.version).toBe(1);
    expect(await store.get('g-noop')).toEqual(first);
  });

  it('writes nothing when the update throws, and later updates still run', async () => {
    const before = await store.update('g-throw', (s) => ({ ...s, playlist: [entry(1)] }));
    await expect(
      store.update('g-throw', (s) => {
        s.playlist.push(entry(2));
        throw new Error('handler failed');
      }),
    ).rejects.toThrow('handler failed');
    expect(await store.get('g-throw')).toEqual(before);
    const after = await store.update('g-throw', (s) => ({ ...s, playlist: [...s.playlist, entry(3)] }));
    expect(after.playlist.map((e) => e.id)).toEqual(['e1', 'e3']);
    expect(after.version).toBe(2);
  });

  it(`keeps at most ${HISTORY_LIMIT} history entries, dropping the oldest`, async () => {
    const played = (n: number) => ({
      hash: `h${n}`,
      playedAt: new Date(Date.UTC(2025, 0, 1) + n * 1000).toISOString(),
    });
    await store.update('g-history', (s) => ({ ...s, history: Array.from({ length: 495 }, (_, i) => played(i)) }));
    const state = await store.update('g-history', (s) => ({
      ...s,
      history: [...s.history, ...Array.from({ length: 10 }, (_, i) => played(495 + i))],
    }));
    expect(state.history).toHaveLength(HISTORY_LIMIT);
    expect(state.history[0]?.hash).toBe('h5');
    expect(state.history.at(-1)?.hash).toBe('h504');
    expect((await store.get('g-history')).history).toEqual(state.history);
  });
});

describe('a store from before the guild table, migrated when it opens (2026-12-07)', () => {
  let old: string;
  let migrated: GuildStore;
  beforeAll(async () => {
    old = path.join(tmp.dir, 'keyv-era.sqlite');
    const keyv = await openKeyv(storeTarget(old), 'guild');
    try {
      await keyv.set('g-old', {
        guildId: 'g-old',
        playlist: [entry(1)],
        settings: { djRoleId: 'r9' },
        history: [],
        version: 3,
      });
    } finally {
      await keyv.disconnect();
    }
    const at = new Date(Date.UTC(2025, 0, 2)).toISOString();
    await writeLegacyGuildState(old, {
      guildId: 'g-pre-library',
      playlist: [entry(1)],
      history: [{ hash: 'h-played', playedAt: at }],
      transitions: [{ id: 't1', fromHash: 'h-from', toHash: 'h-to', fromTitle: 'F', toTitle: 'T', at }],
      session: {
        voiceChannelId: 'v',
        textChannelId: 't',
        order: 'smart',
        startedAt: at,
        current: { hash: 'h-now', title: 'Now', positionSec: 12, savedAt: at },
      },
      version: 2,
    });
    await writeLegacyGuildState(old, { guildId: 'g-legacy-held', playlist: [entry(7)], version: 1 });
    migrated = await GuildStore.open(old);
  });
  afterAll(async () => {
    await migrated?.close();
  });

  it('fills fields an older record lacks', async () => {
    const state = await migrated.get('g-old');
    expect(Object.keys(state).sort()).toEqual(Object.keys(defaultGuildState('g-old')).sort());
    expect(state).toMatchObject({
      guildId: 'g-old',
      playlist: [entry(1)],
      history: [],
      recentAdds: [],
      transitions: [],
      version: 3,
      settings: { maxQueuePerMember: 10, maxAddsPerMinute: 5, order: 'smart', djRoleId: 'r9' },
    });
  });

  it('gives a record from before per-server libraries the tracks its playlist, history, session and transitions name', async () => {
    expect((await migrated.get('g-pre-library')).library.sort()).toEqual(['h-from', 'h-now', 'h-played', 'h-to', 'h1']);
    // Written again, the record keeps no list: a library lives in the library index (test/library-index.test.ts).
    await migrated.update('g-pre-library', (s) => ({
      ...s,
      library: ['h-only'],
      settings: { ...s.settings, order: 'queue' },
    }));
    expect((await migrated.get('g-pre-library')).library).toEqual([]);
  });

  it('lists every guild, and the tracks some playlist or set still holds', async () => {
    await migrated.update('g-held', (s) => ({ ...s, playlist: [entry(8)] }));
    expect(await migrated.guildIds()).toEqual(expect.arrayContaining(['g-legacy-held', 'g-held', 'g-pre-library']));
    const held = await migrated.trackHolds();
    expect(held.get('h7')).toContain('g-legacy-held');
    expect(held.get('h8')).toContain('g-held');
    expect(held.has('h-played')).toBe(false);
  });

  it('reads keyv no more once migrated: a record keyv gets later is not imported', async () => {
    await writeLegacyGuildState(old, { guildId: 'g-too-late', playlist: [entry(9)], version: 1 });
    await migrated.close();
    migrated = await GuildStore.open(old);
    expect(await migrated.guildIds()).not.toContain('g-too-late');
    expect((await migrated.get('g-too-late')).playlist).toEqual([]);
    expect((await migrated.get('g-old')).playlist).toEqual([entry(1)]);
  });
});
