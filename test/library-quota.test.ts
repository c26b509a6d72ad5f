import { existsSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { syntheticCrate } from '../src/ai/synthetic-crate.ts';
import { LibraryQuota, quotaLimitsFromEnv, RECOUNT_MS } from '../src/library/library-quota.ts';
import type { QuotaLimits } from '../src/library/library-quota.ts';
import { planRoom } from '../src/library/quota-plan.ts';
import type { QuotaTrack } from '../src/library/quota-plan.ts';
import { AnalysisStore } from '../src/db/analysis-store.ts';
import { GuildStore } from '../src/db/guild-store.ts';
import type { PlaylistEntry } from '../src/db/guild-store.ts';
import { SHARED_GUILD } from '../src/db/library-index.ts';
import { TrackFiles, TrackStorageError } from '../src/db/track-files.ts';
import { BotMetrics } from '../src/ops/metrics.ts';
import { analysisFromDescriptor } from './helpers/analysis-from-descriptor.ts';
import { makeTempDir } from './helpers/ffmpeg-fixtures.ts';
import { createRng } from '../src/util/prng.ts';

const A = '100000000000000001';
const B = '200000000000000002';
const KB = 1000;
const crate = syntheticCrate(16, 3);
const hashOf = (n: number) => n.toString(16).padStart(64, '0');

/** A fresh store (one SQLite file), library audio and quota with these limits. */
async function library(limits: QuotaLimits) {
  const tmp = makeTempDir();
  const db = path.join(tmp.dir, 'store.sqlite');
  const store = await GuildStore.open(db);
  const analyses = await AnalysisStore.open(db);
  const files = new TrackFiles(path.join(tmp.dir, 'tracks'));
  const log: string[] = [];
  const quota = new LibraryQuota({ files, analyses, store, limits, log: (line) => log.push(line) });
  /** Track n kept: `bytes` of audio last played `playedAgoSec` ago, analysed, in `owner`'s library. */
  const keep = async (n: number, bytes: number, playedAgoSec: number, owner: string) => {
    const source = path.join(tmp.dir, `source-${n}.mp3`);
    writeFileSync(source, Buffer.alloc(bytes, n));
    const file = await files.keep(source, hashOf(n), 'song.mp3');
    const when = new Date(Date.now() - playedAgoSec * 1000);
    utimesSync(file, when, when);
    await analyses.put({
      hash: hashOf(n),
      sourceName: `song-${n}.mp3`,
      bytes,
      analysis: analysisFromDescriptor({ ...crate[n % crate.length]!, bpm: 120 }),
    });
    if (owner === SHARED_GUILD) await analyses.setShared(hashOf(n), true);
    else await analyses.library.addHashes(owner, [hashOf(n)]);
  };
  return {
    store,
    analyses,
    files,
    quota,
    log,
    keep,
    /** What the bot does for a new song: room made (or refused), then the audio kept and put in the library. */
    add: async (owner: string, n: number, bytes: number, pendingId?: string) => {
      const removed = await quota.makeRoom({
        hash: hashOf(n),
        bytes,
        library: owner,
        ...(pendingId ? { pendingId } : {}),
      });
      await keep(n, bytes, 0, owner);
      return removed;
    },
    /** Where track n is: its libraries, and whether its audio and analysis are still kept. */
    where: async (n: number) => ({
      libraries: (await analyses.library.libraryOwners([hashOf(n)])).get(hashOf(n)) ?? [],
      kept: existsSync(path.join(files.dir, `${hashOf(n)}.mp3`)) && (await analyses.get(hashOf(n))) !== undefined,
    }),
    queue: (guildId: string, ...tracks: number[]) =>
      store.update(guildId, (s) => ({
        ...s,
        playlist: tracks.map((n): PlaylistEntry => ({
          id: `e${n}`,
          hash: hashOf(n),
          title: `Song ${n}`,
          requesterId: 'm',
          addedAt: new Date().toISOString(),
        })),
      })),
    close: async () => {
      await analyses.close();
      await store.close();
      tmp.cleanup();
    },
  };
}

let open: Awaited<ReturnType<typeof library>> | undefined;
afterEach(async () => {
  await open?.close();
  open = undefined;
});

describe('the library disk quota, by server', () => {
  it('has a default (20 GB in all, 2 GB a server, 5 GB shared) and reads the variables', () => {
    expect(quotaLimitsFromEnv({})).toEqual({ totalBytes: 20e9, serverBytes: 2e9, sharedBytes: 5e9 });
    expect(
      quotaLimitsFromEnv({
        MINIDJ_MAX_LIBRARY_GB: '100',
        MINIDJ_SERVER_LIBRARY_GB: '0.5',
        MINIDJ_SHARED_LIBRARY_GB: '10',
      }),
    ).toEqual({ totalBytes: 100e9, serverBytes: 0.5e9, sharedBytes: 10e9 });
    expect(() => quotaLimitsFromEnv({ MINIDJ_SERVER_LIBRARY_GB: 'lots' })).toThrow(
      'MINIDJ_SERVER_LIBRARY_GB is "lots"; it takes a number of gigabytes, above 0.',
    );
  });

  it("two servers and a small quota: neither takes the other's tracks or the shared library's, nor a track a set is about to play", async () => {
    const lib = (open = await library({ totalBytes: 17.2 * KB, serverBytes: 8 * KB, sharedBytes: 8 * KB }));
    // Played longest ago first: the shared track, then B's, then A's.
    await lib.keep(1, 4 * KB, 900, SHARED_GUILD);
    await lib.keep(2, 3 * KB, 800, B);
    await lib.keep(3, 3 * KB, 700, B);
    await lib.keep(4, 3 * KB, 600, A);
    await lib.keep(5, 3 * KB, 500, A);
    // B's set plays track 3, and its playlist is empty: track 2, from its library, is the one it plays next.
    const at = new Date().toISOString();
    await lib.store.update(B, (s) => ({
      ...s,
      session: {
        voiceChannelId: 'v',
        textChannelId: 't',
        order: 'smart',
        startedAt: at,
        current: { hash: hashOf(3), title: 'Song 3', positionSec: 10, savedAt: at },
        nextHash: hashOf(2),
      },
    }));

    // A's share (8 kB) takes A's own least recently played track, never the older shared or B tracks.
    expect(await lib.add(A, 10, 3 * KB)).toBe(1);
    expect(await lib.where(4)).toEqual({ libraries: [], kept: false });
    expect(await lib.add(A, 11, 4 * KB)).toBe(1);
    expect(await lib.where(5)).toEqual({ libraries: [], kept: false });
    for (const [n, owner] of [
      [1, SHARED_GUILD],
      [2, B],
      [3, B],
    ] as const)
      expect(await lib.where(n)).toEqual({ libraries: [owner], kept: true });

    // A's songs wait in its playlist: its share is full of what it holds, and the refusal says whose and what to do.
    await lib.queue(A, 10, 11);
    await expect(lib.add(A, 12, 2 * KB)).rejects.toThrow(
      "This server's library is full: it may keep 8 kB of music, and 7 kB of that is songs waiting in its playlist, playing or being added, so this song (2 kB) was not added. Remove some with /queue remove, or wait until some have played.",
    );

    // B is within its share, but the disk is full (17 of 17.2 kB): B's own tracks are playing or next, and A's are
    // waiting in its playlist, so B is refused rather than given any of them.
    await expect(lib.add(B, 13, 0.5 * KB)).rejects.toThrow(
      "The bot's music library is full (17.2 kB for every server together) with songs waiting in the servers' playlists, so this song (500 bytes) was not added. Try again once some have played; if this keeps happening, tell the bot owner.",
    );
    // Past its even part of the disk ((17.2 - 4) / 2 = 6.6 kB), B is told it keeps its part.
    await expect(lib.add(B, 13, 1.5 * KB)).rejects.toThrow(
      "The bot's music library is full (17.2 kB for every server together) and this server keeps its part of it (6.6 kB, 6 kB of that waiting in its playlist, playing or being added), so this song (1.5 kB) was not added.",
    );
    for (const n of [1, 2, 3, 10, 11]) expect((await lib.where(n)).kept).toBe(true);
    expect(lib.log.filter((l) => l.includes('refused'))).toHaveLength(3);
  });

  it("holds a track another server's pending add downloaded (already analysed: it only needs the audio)", async () => {
    const lib = (open = await library({ totalBytes: 100 * KB, serverBytes: 6 * KB, sharedBytes: 8 * KB }));
    await lib.keep(1, 3 * KB, 900, A);
    await lib.keep(2, 3 * KB, 800, A);
    // B's member added the same bytes as A's track 1: downloaded, hashed, its add not yet in B's playlist.
    await lib.store.update(B, (s) => ({
      ...s,
      pendingAdds: [{ id: 'p1', requesterId: 'm', source: 'https://example.com/1.mp3', at: new Date().toISOString() }],
    }));
    await lib.quota.check({ hash: hashOf(1), bytes: 3 * KB, library: B, pendingId: 'p1' });
    expect((await lib.store.get(B)).pendingAdds[0]!.hash).toBe(hashOf(1));
    // A's next add takes A's track 2, not the older track 1 that B's add is about to use.
    expect(await lib.add(A, 3, 3 * KB)).toBe(1);
    expect(await lib.where(1)).toEqual({ libraries: [A], kept: true });
    expect(await lib.where(2)).toEqual({ libraries: [], kept: false });
  });

  it("takes a track two servers have out of the adder's library only: the audio stays for the other", async () => {
    const lib = (open = await library({ totalBytes: 100 * KB, serverBytes: 6 * KB, sharedBytes: 8 * KB }));
    await lib.keep(1, 3 * KB, 900, A);
    await lib.analyses.library.addHashes(B, [hashOf(1)]);
    await lib.keep(2, 3 * KB, 800, A);
    expect(await lib.add(A, 3, 3 * KB)).toBe(1);
    expect(await lib.where(1)).toEqual({ libraries: [B], kept: true });
    // An add of bytes already kept for another server counts against the adder's share, and needs no new disk.
    expect(await lib.add(A, 1, 3 * KB)).toBe(1);
    expect(await lib.where(1)).toEqual({ libraries: [A, B], kept: true });
    expect(await lib.where(2)).toEqual({ libraries: [], kept: false });
  });

  it('when the whole library is full, a server keeping more than an even part gives its unheld tracks to one under it', async () => {
    const lib = (open = await library({ totalBytes: 12 * KB, serverBytes: 10 * KB, sharedBytes: 4 * KB }));
    await lib.keep(1, 2 * KB, 900, SHARED_GUILD);
    for (const n of [2, 3, 4]) await lib.keep(n, 3 * KB, 800 - n, A);
    // 11 of 12 kB used; B's first song needs 3: A keeps 9 kB, more than its even part ((12 - 2) / 2 = 5 kB).
    expect(await lib.add(B, 5, 3 * KB)).toBe(0);
    expect(await lib.where(2)).toEqual({ libraries: [], kept: false });
    for (const n of [1, 3, 4, 5]) expect((await lib.where(n)).kept).toBe(true);
    // Up to its even part, B gets room that way; past it, only from its own tracks, and with those waiting, none.
    expect(await lib.add(B, 6, 2 * KB)).toBe(0);
    expect(await lib.where(3)).toEqual({ libraries: [], kept: false });
    await lib.queue(B, 5, 6);
    await expect(lib.add(B, 7, 3 * KB)).rejects.toThrow(
      'and this server keeps its part of it (5 kB, 5 kB of that waiting in its playlist, playing or being added)',
    );
    expect(await lib.where(4)).toEqual({ libraries: [A], kept: true });
    expect(lib.log.some((l) => l.includes(`1 from server ${A}`))).toBe(true);
  });

  it("fills the shared library (the operator's) from its own share only, and reports the usage in /metrics", async () => {
    const lib = (open = await library({ totalBytes: 100 * KB, serverBytes: 5 * KB, sharedBytes: 6 * KB }));
    await lib.keep(1, 3 * KB, 900, A);
    await lib.keep(2, 3 * KB, 800, SHARED_GUILD);
    await lib.keep(3, 3 * KB, 700, SHARED_GUILD);
    await lib.queue(A, 1);
    expect(await lib.add(SHARED_GUILD, 4, 3 * KB)).toBe(1);
    expect(await lib.where(1)).toEqual({ libraries: [A], kept: true });
    expect(await lib.where(2)).toEqual({ libraries: [], kept: false });

    const metrics = new BotMetrics({
      guilds: () => 1,
      liveSets: () => 0,
      analysisQueueDepth: () => 0,
      library: () => lib.quota.usage(),
    });
    const text = await metrics.registry.metrics();
    expect(text).toContain(`minidj_library_bytes ${9 * KB}`);
    expect(text).toContain(`minidj_library_shared_bytes ${6 * KB}`);
    expect(text).toContain(`minidj_library_largest_server_bytes ${3 * KB}`);
    expect(text).toContain('minidj_library_servers 1');
    expect(text).toContain(`minidj_library_quota_bytes{scope="server"} ${5 * KB}`);
  });
});

/** Every kept file with its libraries and holders, read whole: what the quota planned with before it read less. */
async function everyKept(lib: Awaited<ReturnType<typeof library>>): Promise<QuotaTrack[]> {
  const names = existsSync(lib.files.dir) ? readdirSync(lib.files.dir) : [];
  const files = (await Promise.all(names.map((name) => lib.files.keptFile(name)))).filter((f) => f !== undefined);
  const owners = await lib.analyses.library.libraryOwners(files.map((f) => f.hash));
  const holds = await lib.store.trackHolds();
  return files.map((f) => ({ ...f, libraries: owners.get(f.hash) ?? [], heldBy: [...(holds.get(f.hash) ?? [])] }));
}

describe('what an add reads', () => {
  it("an add that fits reads no other server's state and lists no file; one that evicts, its own library and those tracks' holders", async () => {
    const lib = (open = await library({ totalBytes: 1000 * KB, serverBytes: 9 * KB, sharedBytes: 8 * KB }));
    // Twenty other servers, each with two tracks waiting in its playlist.
    const others = Array.from({ length: 20 }, (_, i) => String(300000000000000000n + BigInt(i)));
    for (const [i, g] of others.entries()) {
      await lib.keep(100 + 2 * i, KB, 1000, g);
      await lib.keep(101 + 2 * i, KB, 1000, g);
      await lib.queue(g, 100 + 2 * i, 101 + 2 * i);
    }
    // A: 7 kB of its own; its oldest, track 1, waits in B's playlist.
    await lib.keep(1, 3 * KB, 900, A);
    await lib.keep(2, 3 * KB, 800, A);
    await lib.keep(3, KB, 700, A);
    await lib.queue(B, 1);
    await lib.quota.recount();
    const reads = vi.spyOn(lib.store, 'get');
    const everyServer = vi.spyOn(lib.store, 'trackHolds');
    const listings = vi.spyOn(lib.files, 'batches');

    expect(await lib.add(A, 10, KB)).toBe(0);
    expect(new Set(reads.mock.calls.map(([id]) => id))).toEqual(new Set([A]));
    expect(everyServer).not.toHaveBeenCalled();
    expect(listings).not.toHaveBeenCalled();

    // 8 of 9 kB and 3 more: A's track 2 goes (B holds track 1); read: A's state, and B's, which the holds name.
    reads.mockClear();
    expect(await lib.add(A, 11, 3 * KB)).toBe(1);
    expect(await lib.where(2)).toEqual({ libraries: [], kept: false });
    expect(await lib.where(1)).toEqual({ libraries: [A], kept: true });
    expect(new Set(reads.mock.calls.map(([id]) => id))).toEqual(new Set([A, B]));
    expect(everyServer).not.toHaveBeenCalled();
    expect(listings).not.toHaveBeenCalled();
    // What B holds of A's counts against B too: 3 kB of its 9 leave no room for 7 more.
    await expect(lib.add(B, 12, 7 * KB)).rejects.toThrow(
      "This server's library is full: it may keep 9 kB of music, and 3 kB of that",
    );
  });

  it('logs a background recount that fails, and still reports the last one', async () => {
    const lib = (open = await library({ totalBytes: 30 * KB, serverBytes: 14 * KB, sharedBytes: 8 * KB }));
    await lib.keep(1, 2 * KB, 100, A);
    await lib.quota.recount();
    const later = Date.now() + RECOUNT_MS + 1000;
    vi.spyOn(Date, 'now').mockReturnValue(later);
    vi.spyOn(lib.files, 'batches').mockImplementation(async function* () {
      yield* [];
      throw new Error('EIO: i/o error, opendir');
    });
    try {
      expect((await lib.quota.usage()).totalBytes).toBe(2 * KB);
      await vi.waitFor(() =>
        expect(lib.log).toContain('[mini-dj] library quota: the background recount failed: EIO: i/o error, opendir'),
      );
    } finally {
      vi.restoreAllMocks();
    }
  });

  it('decides as planRoom over every kept file does, add after add (servers, sizes, holds and plays at random)', async () => {
    const limits = { totalBytes: 30 * KB, serverBytes: 14 * KB, sharedBytes: 8 * KB };
    const lib = (open = await library(limits));
    const rng = createRng(25, 'quota-decisions');
    const servers = [A, B, '300000000000000003'];
    const seen = { fits: 0, evicts: 0, othersGive: 0, refused: 0 };
    let fresh = 1;
    for (let step = 0; step < 70; step++) {
      const kept = await everyKept(lib);
      const pick = () => Number.parseInt(rng.pick(kept).hash, 16);
      const roll = rng.next();
      if (roll < 0.3 && kept.length > 2) {
        const g = rng.pick(servers);
        const now = new Date().toISOString();
        if (roll < 0.12)
          await lib.queue(g, ...kept.filter(() => rng.chance(0.1)).map((k) => Number.parseInt(k.hash, 16)));
        else if (roll < 0.2)
          await lib.store.update(g, (st) => ({
            ...st,
            session: {
              voiceChannelId: 'v',
              textChannelId: 't',
              order: 'smart',
              startedAt: now,
              current: { hash: hashOf(pick()), title: 'x', positionSec: 1, savedAt: now },
              nextHash: hashOf(pick()),
            },
          }));
        else if (roll < 0.25)
          await lib.store.update(g, (st) => ({
            ...st,
            pendingAdds: [
              {
                id: `p${step}`,
                requesterId: 'm',
                source: 's',
                at: rng.chance(0.5) ? now : '2020-01-01T00:00:00Z',
                hash: hashOf(pick()),
              },
            ],
          }));
        else {
          // Played now (a step is a second of the run's own clock, so no two plays tie).
          const when = new Date(Date.now() - (1000 - step) * 1000);
          utimesSync(path.join(lib.files.dir, `${hashOf(pick())}.mp3`), when, when);
        }
        continue;
      }
      // A adds the most at first, so that later the disk fills with A over its even part.
      const owner = rng.pick(step < 35 ? [A, A, A, B, SHARED_GUILD] : [B, servers[2]!, SHARED_GUILD]);
      const reused = kept.length > 0 && rng.chance(0.25) ? rng.pick(kept) : undefined;
      const n = reused ? Number.parseInt(reused.hash, 16) : fresh++;
      const bytes = reused?.bytes ?? rng.int(step < 35 ? 1 : 3, 6) * KB;
      const expected = planRoom(kept, owner, { hash: hashOf(n), bytes }, limits);
      const got = await lib.quota.makeRoom({ hash: hashOf(n), bytes, library: owner }).catch((error: unknown) => error);
      if (!expected.ok) {
        expect(got, `step ${step}`).toBeInstanceOf(TrackStorageError);
        seen.refused++;
        continue;
      }
      expect(got, `step ${step}`).toBe(expected.fromAdder);
      const now = await everyKept(lib);
      expect(now.map((k) => k.hash).sort(), `step ${step}`).toEqual(
        kept
          .map((k) => k.hash)
          .filter((h) => !expected.remove.includes(h))
          .sort(),
      );
      for (const d of expected.drop)
        expect(now.find((k) => k.hash === d.hash)?.libraries ?? [], `step ${step}`).not.toContain(d.library);
      seen[
        expected.drop.length === 0 ? 'fits' : expected.drop.some((d) => d.library !== owner) ? 'othersGive' : 'evicts'
      ]++;
      await lib.keep(n, bytes, 1000 - step, owner);
    }
    // The run went through every kind of decision.
    for (const count of Object.values(seen)) expect(count).toBeGreaterThan(0);
  });
});
