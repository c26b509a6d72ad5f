import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pickNextTrack } from '../src/bot/playlist/next-track.ts';
import { findTrack, tempoCandidates } from '../src/library/server-library.ts';
import { AnalysisStore } from '../src/db/analysis-store.ts';
import { GuildStore } from '../src/db/guild-store.ts';
import type { GuildState } from '../src/db/guild-store.ts';
import type { GuildStateBackend } from '../src/db/guild-state-backend.ts';
import { withTrack } from '../src/library/server-library.ts';
import { SHARED_GUILD } from '../src/db/library-index.ts';
import type { IndexedTrack } from '../src/db/library-index.ts';
import { openPostgresClient, openSqliteClient } from '../src/db/sql-client.ts';
import type { SqlClient } from '../src/db/sql-client.ts';
import { SCAN_ROWS, SqlLibraryIndex, TRIGRAM_MATCHES } from '../src/db/sql-library-index.ts';
import { openKeyv, storeTarget } from '../src/db/open-keyv.ts';
import { SqliteDatabase } from '../src/db/sqlite-database.ts';
import { openSqliteGuildBackend } from '../src/db/sqlite-guild-backend.ts';
import { TrackFiles } from '../src/db/track-files.ts';
import { analysisFromDescriptor } from './helpers/analysis-from-descriptor.ts';
import { hasPostgres, hasRedis, startPostgres, startRedis } from './helpers/db-servers.ts';
import type { Server } from './helpers/db-servers.ts';
import { makeTempDir } from './helpers/ffmpeg-fixtures.ts';
import { legacyEntry, writeLegacyGuildState } from './helpers/guild-races.ts';
import { MIGRATION_2026_12_07 } from '../src/db/migration-2026-12-07.ts';
import { syntheticCrate } from '../src/ai/synthetic-crate.ts';

const hashOf = (n: number) => n.toString(16).padStart(64, '0');
const crate = syntheticCrate(64, 7);
/** Track n: a stored analysis at `bpm`, shown as `title`. */
async function putTrack(analyses: AnalysisStore, n: number, title: string, bpm: number): Promise<void> {
  const analysis = analysisFromDescriptor({ ...crate[n % crate.length]!, bpm });
  await analyses.put({ hash: hashOf(n), sourceName: `${title}.mp3`, bytes: 1000, analysis });
}

const G1 = '100000000000000001';
const G2 = '200000000000000002';

/** The checks, on a store that already has G1's and the shared library's tracks. */
function libraryChecks(setting: () => string) {
  let store: GuildStore;
  let analyses: AnalysisStore;
  beforeAll(async () => {
    store = await GuildStore.open(setting());
    analyses = await AnalysisStore.open(setting());
    // G1: six tracks of its own; the shared library: one; G2: one of its own.
    const titles = ['Night Bus', 'night shift', 'Midnight Train', 'Dawn Patrol', 'Half Step', 'Double Up'];
    const bpms = [124, 126, 125, 140, 62, 250];
    for (const [i, t] of titles.entries()) await putTrack(analyses, i + 1, t, bpms[i]!);
    await store.update(G1, (s) => ({ ...s, library: [1, 2, 3, 4, 5, 6].map(hashOf) }));
    await putTrack(analyses, 20, 'Shared Nightfall', 123);
    await analyses.setShared(hashOf(20), true);
    await putTrack(analyses, 30, 'Private Night', 124);
    await store.update(G2, (s) => ({ ...s, library: [hashOf(30)] }));
  });
  afterAll(async () => {
    await analyses?.close();
    await store?.close();
  });

  it('searches titles by prefix first, then substring, case-insensitively', async () => {
    const titles = (await analyses.library.search(G1, 'NIGHT')).map((t) => t.title);
    expect(titles).toEqual(['Night Bus', 'night shift', 'Midnight Train', 'Shared Nightfall']);
    expect((await analyses.library.search(G1, 'train')).map((t) => t.title)).toEqual(['Midnight Train']);
    expect((await analyses.library.search(G1, '')).length).toBe(7);
    expect(await analyses.library.search(G1, 'zzz')).toEqual([]);
    // A LIKE wildcard typed is a character, not a wildcard.
    expect(await analyses.library.search(G1, '%')).toEqual([]);
  });

  it("keeps each server's own title for the same bytes, through a re-analysis", async () => {
    await putTrack(analyses, 40, 'uploaded-as-a', 128);
    await analyses.library.addHashes(G1, [hashOf(40)], undefined, new Map([[hashOf(40), 'Name A gave']]));
    await analyses.library.addHashes(G2, [hashOf(40)], undefined, new Map([[hashOf(40), 'Name B gave']]));
    await analyses.library.refresh({
      hash: hashOf(40),
      title: 'uploaded-as-a',
      bpm: 129,
      camelot: '8A',
      keyStrength: 0.5,
    });
    expect(await analyses.library.titles(G1, [hashOf(40)])).toEqual(new Map([[hashOf(40), 'Name A gave']]));
    expect(await analyses.library.titles(G2, [hashOf(40)])).toEqual(new Map([[hashOf(40), 'Name B gave']]));
    expect((await analyses.library.find(G2, 'name b gave'))?.bpm).toBe(129);
    expect(await analyses.library.find(G2, 'name a gave')).toBeUndefined();
    await analyses.library.removeFrom(G1, hashOf(40));
    await analyses.library.removeFrom(G2, hashOf(40));
  });

  it('limits a search to 25 rows (Discord autocomplete)', async () => {
    const many = Array.from({ length: 30 }, (_, i) => 100 + i);
    for (const n of many) await putTrack(analyses, n, `Loop ${String(n).padStart(3, '0')}`, 120);
    await analyses.library.addHashes(G1, many.map(hashOf));
    const found = await analyses.library.search(G1, 'loop');
    expect(found).toHaveLength(25);
    expect(found[0]!.title).toBe('Loop 100');
    for (const n of many) await analyses.delete(hashOf(n));
  });

  it("never shows another server's tracks; shows the shared library to every server", async () => {
    expect((await analyses.library.search(G2, 'night')).map((t) => t.title)).toEqual([
      'Private Night',
      'Shared Nightfall',
    ]);
    expect(await analyses.library.search(G1, 'private')).toEqual([]);
    expect(await findTrack(analyses, G1, 'Private Night')).toBeUndefined();
    expect((await findTrack(analyses, G2, 'private night'))?.hash).toBe(hashOf(30));
    expect((await findTrack(analyses, '300000000000000003', 'shared nightfall'))?.hash).toBe(hashOf(20));
    expect([...(await analyses.library.visible(G2, [hashOf(1), hashOf(20), hashOf(30)]))].sort()).toEqual([
      hashOf(20),
      hashOf(30),
    ]);
    expect(await analyses.sharedHashes()).toEqual([hashOf(20)]);
  });

  it('finds a track by exact title, hash prefix or a fragment only one title has', async () => {
    expect((await findTrack(analyses, G1, 'night bus'))?.hash).toBe(hashOf(1));
    expect((await findTrack(analyses, G1, hashOf(4).slice(0, 64)))?.hash).toBe(hashOf(4));
    expect((await findTrack(analyses, G1, 'patrol'))?.hash).toBe(hashOf(4));
    expect(await findTrack(analyses, G1, 'night')).toBeUndefined(); // several
  });

  it('gives tempo candidates nearest first, counting half and double time', async () => {
    const near = await analyses.library.candidates(G1, 125, 5, new Set([hashOf(3)]));
    // 250 is exactly double time; 62 half of 124.
    expect(near.map((t) => t.bpm)).toEqual([250, 124, 126, 62, 123]);
    // The best three by tempo and key together: never the 140 BPM track while closer ones are there.
    const records = await tempoCandidates(analyses, G1, { bpm: 125, camelot: '8A' }, new Set(), 3);
    expect(records).toHaveLength(3);
    expect(records.map((r) => r.analysis.bpm)).not.toContain(140);
    // Stored as a library, the record itself keeps no list.
    expect((await store.get(G1)).library).toEqual([]);
  });

  quotaIndexChecks(() => ({ store, analyses }));

  it("the next pick after the playlist runs dry comes from the server's own library and the shared one", async () => {
    const files = new TrackFiles(path.join(makeTempDir().dir, 'none'));
    const state = await store.get(G2);
    // No audio kept: nothing is playable, but the pick reads only what G2 sees.
    expect(
      (
        await pickNextTrack(state, undefined, 'smart', {
          analyses,
          files,
          scorer: () => Promise.reject(new Error('unused')),
        })
      ).track,
    ).toBeUndefined();
  });
}

/** The disk quota's side of the index: the kept audio it counts and the holds it looks up (on the libraries above). */
function quotaIndexChecks(open: () => { store: GuildStore; analyses: AnalysisStore }) {
  it('notes the kept audio the disk quota counts: its bytes in all, by library, and what a server holds beyond it', async () => {
    const { analyses } = open();
    const index = analyses.library;
    const h = hashOf;
    // G1's tracks 1 and 2, the shared track 20, G2's track 30, and 99 in no library.
    await index.noteAudio([
      { hash: h(1), bytes: 1000, notedMs: 1 },
      { hash: h(2), bytes: 2000, file: `${h(2)}.mp3`, notedMs: 1 },
      { hash: h(20), bytes: 5000, notedMs: 1 },
      { hash: h(30), bytes: 7000, notedMs: 1 },
      { hash: h(99), bytes: 100, notedMs: 1 },
    ]);
    // Noted again (its size read by a recount): the name stays, the total follows.
    await index.noteAudio([{ hash: h(2), bytes: 2500, notedMs: 5 }]);
    expect((await index.audio([h(2), h(3)])).get(h(2))).toEqual({
      hash: h(2),
      bytes: 2500,
      file: `${h(2)}.mp3`,
      notedMs: 5,
    });
    expect(await index.audioBytes()).toBe(15_600);
    expect(await index.libraryBytes(G1, [], '')).toBe(3500);
    // What G1 holds beyond its library counts (G2's track, one in no library), the shared track never; nor `except`.
    expect(await index.libraryBytes(G1, [h(30), h(20), h(99), h(2)], h(1))).toBe(2500 + 7000 + 100);
    expect(await index.libraryBytes(SHARED_GUILD, [], '')).toBe(5000);
    expect((await index.libraryAudio(G1)).map((a) => a.hash).sort()).toEqual([h(1), h(2)]);
    const batches: string[][] = [];
    for await (const batch of index.audioBatches(2)) batches.push(batch.map((a) => a.hash));
    expect(batches.flat().sort()).toEqual([1, 2, 20, 30, 99].map(h).sort());
    // Forgotten if noted by then: track 2 was noted again since.
    await index.forgetAudio([h(1), h(2)], 1);
    expect([...(await index.audio([h(1), h(2)])).keys()]).toEqual([h(2)]);
    expect(await index.audioBytes()).toBe(14_600);
    await index.forgetAudio([2, 20, 30, 99].map(h), Number.MAX_SAFE_INTEGER);
    expect(await index.audioBytes()).toBe(0);
  });

  it("keeps which servers may hold a track beside each write, so a track's holds are read from those servers alone", async () => {
    const { store, analyses } = open();
    const index = analyses.library;
    const G = '400000000000000004';
    const entry = (n: number) => ({
      id: `e${n}`,
      hash: hashOf(n),
      title: `Song ${n}`,
      requesterId: 'm',
      addedAt: new Date().toISOString(),
    });
    // An entry noted by a later write stays when an earlier one drops what it no longer holds.
    await index.noteHolds(G, 3, [hashOf(61), hashOf(62)]);
    await index.noteHolds(G, 2, [hashOf(61)]);
    await index.dropHolds(G, 2, []);
    expect(await index.holders([hashOf(61), hashOf(62), hashOf(63)])).toEqual(
      new Map([
        [hashOf(61), [G]],
        [hashOf(62), [G]],
      ]),
    );
    await index.dropHolds(G, 4, [hashOf(62)]);
    expect(await index.holders([hashOf(61), hashOf(62)])).toEqual(new Map([[hashOf(62), [G]]]));
    await index.dropHolds(G, 4, []);

    // Through the store: the playlist, the set's next track and a pending add hold; a lapsed pending add does not.
    const lapsed = new Date(Date.now() - 3_600_000).toISOString();
    await store.update(G, (s) => ({
      ...s,
      playlist: [entry(64)],
      pendingAdds: [{ id: 'p', requesterId: 'm', source: 'x', at: lapsed, hash: hashOf(65) }],
    }));
    await store.update(G2, (s) => ({ ...s, playlist: [entry(64)] }));
    const holds = await store.holdsOf([64, 65, 66].map(hashOf));
    expect(holds).toEqual(new Map([[hashOf(64), new Set([G, G2])]]));
    expect((await store.trackHolds()).get(hashOf(64))).toEqual(new Set([G, G2]));
    expect((await index.holders([hashOf(65)])).get(hashOf(65))).toEqual([G]);
    await store.update(G, (s) => ({ ...s, playlist: [], pendingAdds: [] }));
    await store.update(G2, (s) => ({ ...s, playlist: [] }));
    expect(await index.holders([64, 65].map(hashOf))).toEqual(new Map());
  });
}

/**
 * A process killed between the two writes of an add (the track into the index, the playlist entry into the guild's
 * record), at either one: after a restart every track the record names is in the library, and the add goes through
 * when made again.
 */
function crashChecks(setting: () => string) {
  it.each(['the index write', "the guild's write"])(
    'a process killed at %s leaves no playlist entry the library lacks',
    async (at) => {
      const n = at === 'the index write' ? 40 : 41;
      const G3 = `3000000000000000${n}`;
      let store = await GuildStore.open(setting());
      let analyses = await AnalysisStore.open(setting());
      await putTrack(analyses, n, `Crash ${n}`, 126);
      const entry = {
        id: `e${n}`,
        hash: hashOf(n),
        title: `Crash ${n}`,
        requesterId: 'm1',
        addedAt: new Date().toISOString(),
      };
      const add = (s: GuildState): GuildState => ({
        ...s,
        playlist: [...s.playlist, entry],
        library: withTrack(s.library, entry.hash),
      });
      const killed = () => Promise.reject(new Error('killed'));
      if (at === 'the index write') store.libraryIndex = { ...store.libraryIndex, addHashes: killed };
      else (store as unknown as { backend: GuildStateBackend }).backend.write = killed;
      await expect(store.update(G3, add)).rejects.toThrow('killed');
      await analyses.close();
      await store.close().catch(() => undefined);

      store = await GuildStore.open(setting());
      analyses = await AnalysisStore.open(setting());
      try {
        const named = (await store.get(G3)).playlist.map((e) => e.hash);
        expect([...(await analyses.library.visible(G3, named))].sort()).toEqual(named.sort());
        await store.update(G3, add);
        const now = (await store.get(G3)).playlist.map((e) => e.hash);
        expect(now).toContain(entry.hash);
        expect([...(await analyses.library.visible(G3, now))].sort()).toEqual(now.sort());
      } finally {
        await analyses.close();
        await store.close();
      }
    },
  );
}

describe('the library index on a SQLite file', () => {
  const tmp = makeTempDir();
  const db = path.join(tmp.dir, 'index.sqlite');
  afterAll(() => tmp.cleanup());
  libraryChecks(() => db);
  crashChecks(() => db);

  it('keeps its schema version in schema_version', async () => {
    const db2 = await SqliteDatabase.open(db);
    const rows = await db2.all<{ version: number }>('SELECT version FROM schema_version');
    await db2.close();
    expect(rows.map((r) => r.version)).toEqual([1, 2, 3, 4]);
  });
});

describe.skipIf(!hasPostgres)('the library index on PostgreSQL', () => {
  let server: Server | undefined;
  beforeAll(async () => {
    server = await startPostgres();
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
  });
  libraryChecks(() => server!.url);
  crashChecks(() => server!.url);
  describe('substring search past the first titles', () => {
    largeLibraryChecks(() => Promise.resolve(openPostgresClient(server!.url)));
  });
});

describe.skipIf(!hasRedis)('the library index on Redis (rows in keyv, filtered in memory)', () => {
  let server: Server | undefined;
  beforeAll(async () => {
    server = await startRedis();
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
  });
  libraryChecks(() => server!.url);
  crashChecks(() => server!.url);
});

/**
 * A guild larger than the first titles a substring is looked for in: matches only after them, rare (by trigram) and
 * common (more than the trigram lookup fetches), a 2-character one, punctuation, another guild's and the shared
 * library's titles; each search compared with every title filtered and sorted here.
 */
function largeLibraryChecks(open: () => Promise<SqlClient>) {
  const G = '500000000000000005';
  const OTHER = '600000000000000006';
  const titles = new Map<string, string[]>();
  let index: SqlLibraryIndex;
  const add = async (guild: string, list: string[]) => {
    titles.set(guild, [...(titles.get(guild) ?? []), ...list]);
    await index.add(
      guild,
      list.map((title): IndexedTrack => ({
        hash: `${guild}:${title}`.padEnd(64, '0'),
        title,
        bpm: 120,
        camelot: '8A',
        keyStrength: 0.5,
      })),
    );
  };
  /** search() as specified: titles starting with q by title, then those containing it, by title (hash on a tie). */
  const expected = (q: string) => {
    const seen = [...(titles.get(G) ?? []), ...(titles.get(SHARED_GUILD) ?? [])].map((t) => ({
      t,
      l: t.toLowerCase(),
    }));
    const by = (a: { l: string }, b: { l: string }) => (a.l < b.l ? -1 : a.l > b.l ? 1 : 0);
    const starts = seen.filter((x) => x.l.startsWith(q)).sort(by);
    const inside = seen.filter((x) => !x.l.startsWith(q) && x.l.includes(q)).sort(by);
    return [...starts, ...inside].slice(0, 25).map((x) => x.t);
  };
  beforeAll(async () => {
    index = await SqlLibraryIndex.open(
      await open(),
      () => Promise.resolve([]),
      () => Promise.resolve(),
    );
    const n = (i: number) => String(i).padStart(5, '0');
    await add(
      G,
      Array.from({ length: SCAN_ROWS + 100 }, (_, i) => `A Filler ${n(i)}`),
    );
    await add(
      G,
      Array.from({ length: TRIGRAM_MATCHES + 40 }, (_, i) => `Mid Unit - Track ${n(i)}`),
    );
    await add(
      G,
      Array.from({ length: 12 }, (_, i) => `Rare Q-Zone ${n(12 - i)}`),
    );
    await add(G, ['Zz Last 50% Off', 'Zz Last Track']);
    await add(
      OTHER,
      Array.from({ length: 30 }, (_, i) => `Aaa Q-Zone Elsewhere ${n(i)}`),
    );
    await add(SHARED_GUILD, ['Shared Q-Zone', 'Shared Unit - Track']);
  }, 120_000);
  afterAll(async () => {
    await index?.close();
  });

  it.each([
    ['filler 000', 'found among the first titles'],
    ['q-zone', 'rare, after the first titles: by trigram'],
    ['nit - tr', 'common, after the first titles: the rest in title order'],
    ['t -', 'a trigram of punctuation and spaces, taken as typed'],
    ['-z', 'two characters, no trigram: in title order'],
    ['50%', 'a wildcard typed is a character'],
    ['zone else', "only another server's titles"],
    ['last', 'the last titles'],
  ])('a search for %j (%s) gives what the whole library filtered gives', async (q) => {
    expect((await index.search(G, q)).map((t) => t.title)).toEqual(expected(q));
  });

  it('finds a track by a fragment only one title has, past the first titles', async () => {
    expect((await index.find(G, 'zone 00003'))?.title).toBe('Rare Q-Zone 00003');
    expect(await index.find(G, 'q-zone')).toBeUndefined();
  });
}

describe('substring search past the first titles, SQLite', () => {
  const tmp = makeTempDir();
  afterAll(() => tmp.cleanup());
  largeLibraryChecks(() => openSqliteClient(path.join(tmp.dir, 'large.sqlite')));
});

describe('importing a keyv-era store', () => {
  it('imports every server library and the shared list once, at the first start', async () => {
    const tmp = makeTempDir();
    const db = path.join(tmp.dir, 'old.sqlite');
    try {
      // The store as the version before the index left it: analyses and the shared list in keyv, guild rows with
      // `library`, and a still older record (keyv 'guild', no `library`: its playlist says what it owns).
      const target = storeTarget(db);
      const analysisKeyv = await openKeyv(target, 'analysis');
      const { ANALYZER_VERSION } = await import('../src/audio/analysis/analyzer-version.ts');
      for (const [n, title, bpm] of [
        [1, 'Alpha', 120],
        [2, 'Bravo', 122],
        [3, 'Charlie', 124],
        [9, 'Shared One', 128],
      ] as const) {
        const analysis = analysisFromDescriptor({ ...crate[n]!, bpm });
        await analysisKeyv.set(hashOf(n), {
          hash: hashOf(n),
          sourceName: `${title}.flac`,
          bytes: 1,
          analysis,
          analyzerVersion: ANALYZER_VERSION,
          analyzedAt: new Date().toISOString(),
        });
      }
      await analysisKeyv.disconnect();
      const shared = await openKeyv(target, 'shared-library');
      await shared.set('hashes', [hashOf(9)]);
      await shared.disconnect();
      const backend = await openSqliteGuildBackend(db);
      await backend.write(G1, undefined, {
        version: 3,
        value: JSON.stringify({ guildId: G1, playlist: [], library: [hashOf(1), hashOf(2)], version: 3 }),
      });
      await backend.close();
      await writeLegacyGuildState(db, { guildId: G2, playlist: [{ ...legacyEntry(1), hash: hashOf(3) }] });

      const store = await GuildStore.open(db);
      const analyses = await AnalysisStore.open(db);
      expect((await analyses.library.search(G1, '')).map((t) => t.title)).toEqual(['Alpha', 'Bravo', 'Shared One']);
      expect((await analyses.library.search(G2, '')).map((t) => t.title)).toEqual(['Charlie', 'Shared One']);
      expect(await analyses.library.imported(MIGRATION_2026_12_07)).toBe(true);
      // Taken out of the index by hand: a second start does not import again.
      await analyses.library.removeTrack(hashOf(2));
      await analyses.close();
      await store.close();
      const again = await GuildStore.open(db);
      expect((await again.libraryIndex.search(G1, '')).map((t) => t.title)).toEqual(['Alpha', 'Shared One']);
      expect((await again.libraryIndex.page(SHARED_GUILD, undefined, 10, true)).map((t) => t.hash)).toEqual([
        hashOf(9),
      ]);
      await again.close();
    } finally {
      tmp.cleanup();
    }
  });
});

describe('a store written by a version that wrote the guild record before the index', () => {
  it("puts the tracks its playlists name in their server's library at the next start, once", async () => {
    const tmp = makeTempDir();
    const db = path.join(tmp.dir, 'torn.sqlite');
    try {
      let analyses = await AnalysisStore.open(db);
      await putTrack(analyses, 50, 'Torn Add', 124);
      await analyses.close();
      // The record with its entry written, the process killed before the index row was.
      const backend = await openSqliteGuildBackend(db);
      const entry = {
        id: 'e50',
        hash: hashOf(50),
        title: 'Torn Add',
        requesterId: 'm50',
        addedAt: new Date().toISOString(),
      };
      await backend.write(G1, undefined, {
        version: 1,
        value: JSON.stringify({ guildId: G1, playlist: [entry], library: [], version: 1 }),
      });
      await backend.close();

      const store = await GuildStore.open(db);
      analyses = await AnalysisStore.open(db);
      expect([...(await analyses.library.visible(G1, [hashOf(50)]))]).toEqual([hashOf(50)]);
      expect(await analyses.library.imported(MIGRATION_2026_12_07)).toBe(true);
      await analyses.close();
      await store.close();
    } finally {
      tmp.cleanup();
    }
  });
});
