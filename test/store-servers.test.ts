import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TrackAnalysis } from '../src/audio/analysis/analysis-types.ts';
import { ANALYZER_VERSION } from '../src/audio/analysis/analyzer-version.ts';
import { AnalysisStore } from '../src/db/analysis-store.ts';
import { FeedbackStore } from '../src/db/feedback-store.ts';
import { GuildStore } from '../src/db/guild-store.ts';
import { hasPostgres, hasRedis, startPostgres, startRedis } from './helpers/db-servers.ts';
import type { Server } from './helpers/db-servers.ts';
import { concurrentAdds, legacyEntry, writeLegacyGuildState } from './helpers/guild-races.ts';
import { checkSavedPosition } from './helpers/saved-position.ts';

const analysis = (): TrackAnalysis => ({
  analyzerVersion: ANALYZER_VERSION,
  durationSec: 200,
  bpm: 124,
  bpmConfidence: 0.9,
  beatJitterMs: 1,
  beats: [0.5],
  beatPositions: [1],
  downbeats: [0.5],
  beatsPerBar: 4,
  key: 'D',
  scale: 'minor',
  camelot: '7A',
  keyStrength: 0.8,
  loudnessLufs: -9,
  loudnessRangeLu: 4,
  truePeakDb: -0.5,
  energy: [1],
  brightnessHz: 2000,
  timbre: { mfccMean: [1], mfccVar: [1] },
  danceability: 1.4,
  phraseBars: 8,
  phrases: [0.5],
  segments: [],
  cues: { mixIn: 0.5, mixOut: 150 },
});

const servers = [
  { name: 'Redis', kind: 'redis', available: hasRedis, start: startRedis },
  { name: 'PostgreSQL', kind: 'postgres', available: hasPostgres, start: startPostgres },
] as const;

for (const server of servers) {
  describe.skipIf(!server.available)(
    `the stores on a real ${server.name} server (MINIDJ_DB=${server.kind}://…)`,
    () => {
      let running: Server;
      beforeAll(async () => {
        running = await server.start();
      }, 60_000);
      afterAll(async () => {
        await running?.stop();
      });

      it('stores, lists and reads back analyses by content hash, across a reopen', async () => {
        const store = await AnalysisStore.open(running.url);
        expect(store.target.kind).toBe(server.kind);
        await store.put({ hash: 'abc', sourceName: 'a.mp3', bytes: 5, analysis: analysis() });
        await store.close();
        const again = await AnalysisStore.open(running.url);
        expect((await again.get('abc'))?.analysis.camelot).toBe('7A');
        expect(await again.get('missing')).toBeUndefined();
        const hashes: string[] = [];
        for await (const r of again.entries()) hashes.push(r.hash);
        expect(hashes).toEqual(['abc']);
        expect(await again.delete('abc')).toBe(true);
        expect(await again.get('abc')).toBeUndefined();
        await again.close();
      });

      it("saves a live set's position beside the guild record", async () => {
        const guilds = await GuildStore.open(running.url);
        try {
          await checkSavedPosition(guilds, 'g-position');
        } finally {
          await guilds.close();
        }
      });

      it("keeps a guild's playlist and the listeners' feedback, each in its own namespace", async () => {
        const guilds = await GuildStore.open(running.url);
        const entry = {
          id: 'e1',
          hash: 'abc',
          title: 'night drive',
          requesterId: 'u1',
          addedAt: new Date(0).toISOString(),
        };
        const written = await guilds.update('g1', (s) => ({ ...s, playlist: [...s.playlist, entry] }));
        expect(written.version).toBe(1);
        await guilds.close();
        const feedback = await FeedbackStore.open(running.url);
        await feedback.add({
          id: 'f1',
          guildId: 'g1',
          fromHash: 'abc',
          toHash: 'def',
          liked: true,
          source: 'vote',
          userId: 'u1',
          at: new Date(0).toISOString(),
        });
        await feedback.close();

        const guildsAgain = await GuildStore.open(running.url);
        const state = await guildsAgain.get('g1');
        expect(state.playlist).toEqual([entry]);
        expect(state.version).toBe(1);
        expect((await guildsAgain.get('g2')).playlist).toEqual([]);
        await guildsAgain.close();
        const feedbackAgain = await FeedbackStore.open(running.url);
        const records = [];
        for await (const r of feedbackAgain.all()) records.push(r);
        expect(records.map((r) => [r.fromHash, r.toHash, r.liked])).toEqual([['abc', 'def', true]]);
        await feedbackAgain.close();
      });

      it('keeps a store working when another store on the same server closes (the bot holds three at once)', async () => {
        const analyses = await AnalysisStore.open(running.url);
        const guilds = await GuildStore.open(running.url);
        await analyses.put({ hash: 'h2', sourceName: 'b.mp3', bytes: 5, analysis: analysis() });
        await guilds.close();
        expect((await analyses.get('h2'))?.sourceName).toBe('b.mp3');
        await analyses.close();
      });

      describe('two GuildStores on the server', () => {
        let first: GuildStore;
        let second: GuildStore;
        beforeAll(async () => {
          [first, second] = await Promise.all([GuildStore.open(running.url), GuildStore.open(running.url)]);
        });
        afterAll(async () => {
          await Promise.all([first?.close(), second?.close()]);
        });

        it('lose none of 2 × 20 concurrent adds by different members', async () => {
          const accepted = await Promise.all([
            concurrentAdds(first, 'race-many', { tag: 'a', count: 20 }),
            concurrentAdds(second, 'race-many', { tag: 'b', count: 20 }),
          ]);
          expect(accepted).toEqual([20, 20]);
          const state = await first.get('race-many');
          expect(state.playlist).toHaveLength(40);
          expect(new Set(state.playlist.map((e) => e.hash)).size).toBe(40);
          expect(state.version).toBe(40);
        });

        it('hold one member to 5 adds a minute: of 2 × 8 concurrent adds exactly 5 are accepted and stored', async () => {
          const accepted = await Promise.all([
            concurrentAdds(first, 'race-limit', { tag: 'a', count: 8, memberId: 'eager' }),
            concurrentAdds(second, 'race-limit', { tag: 'b', count: 8, memberId: 'eager' }),
          ]);
          expect(accepted[0]! + accepted[1]!).toBe(5);
          expect((await second.get('race-limit')).playlist).toHaveLength(5);
        });

        it('list every guild they hold, and the tracks waiting in any playlist', async () => {
          expect(await second.guildIds()).toEqual(expect.arrayContaining(['race-many', 'race-limit']));
          const held = await second.trackHolds();
          const waiting = await Promise.all(
            ['race-many', 'race-limit'].map(async (id) => (await first.get(id)).playlist.map((e) => e.hash)),
          );
          expect(waiting.flat().every((hash) => held.has(hash))).toBe(true);
        });
      });

      // After the two above are closed: this one's stores are on another database of the server, and @keyv/postgres
      // keeps one pool per process, which moves to the newest database and leaves the other's connections open until
      // they idle out (10 s), which PostgreSQL's shutdown then waits for.
      describe('two GuildStores on a store the keyv GuildStore wrote', () => {
        it('migrate it, both starting at once: playlist intact, and then lose no adds', async () => {
          const url = await running.emptyStore();
          const playlist = [legacyEntry(1), legacyEntry(2)];
          await writeLegacyGuildState(url, {
            guildId: 'legacy',
            playlist,
            settings: { maxQueuePerMember: 10, maxAddsPerMinute: 5, order: 'smart' },
            history: [],
            recentAdds: [],
            transitions: [],
            version: 4,
          });
          const [one, two] = await Promise.all([GuildStore.open(url), GuildStore.open(url)]);
          try {
            const [a, b] = await Promise.all([one.get('legacy'), two.get('legacy')]);
            expect(a).toEqual(b);
            expect(a.playlist).toEqual(playlist);
            expect(a.version).toBe(4);
            expect((await one.trackHolds()).has(legacyEntry(1).hash)).toBe(true);
            await Promise.all([
              concurrentAdds(one, 'legacy', { tag: 'a', count: 10 }),
              concurrentAdds(two, 'legacy', { tag: 'b', count: 10 }),
            ]);
            const state = await one.get('legacy');
            expect(state.playlist.slice(0, 2)).toEqual(playlist);
            expect(state.playlist).toHaveLength(22);
            expect(state.version).toBe(24);
          } finally {
            await Promise.all([one.close(), two.close()]);
          }
        });
      });
    },
  );
}
