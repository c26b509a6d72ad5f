import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TrackAnalysis } from '../src/audio/analysis/analysis-types.ts';
import { ANALYZER_VERSION } from '../src/audio/analysis/analyzer-version.ts';
import { AnalysisStore } from '../src/db/analysis-store.ts';
import { FeedbackStore } from '../src/db/feedback-store.ts';
import { GuildStore } from '../src/db/guild-store.ts';
import { concurrentAdds, legacyEntry, writeLegacyGuildState } from './helpers/guild-races.ts';

const onPath = (command: string): boolean => spawnSync('bash', ['-c', `command -v ${command}`]).status === 0;
const hasRedis = onPath('redis-server');
// PostgreSQL refuses to run as root: as root, the cluster belongs to Debian's `postgres` user.
const isRoot = process.getuid?.() === 0;
const postgresUid = isRoot ? Number(spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).stdout.trim() || NaN) : undefined;
/** Debian keeps PostgreSQL's server programs off PATH, in /usr/lib/postgresql/<version>/bin. */
function postgresProgram(name: string): string | undefined {
  if (onPath(name)) return name;
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).sort((a, b) => Number(b) - Number(a)) : [];
  return versions.map((v) => path.join(root, v, 'bin', name)).find((file) => existsSync(file));
}
const initdb = postgresProgram('initdb');
const postgres = postgresProgram('postgres');
const hasPostgres = initdb !== undefined && postgres !== undefined && (!isRoot || Number.isInteger(postgresUid));

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => {
        socket.end();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`nothing listening on 127.0.0.1:${port} after ${timeoutMs} ms`);
}

const analysis = (): TrackAnalysis => ({
  analyzerVersion: ANALYZER_VERSION, durationSec: 200, bpm: 124, bpmConfidence: 0.9, beatJitterMs: 1, beats: [0.5], beatPositions: [1], downbeats: [0.5], beatsPerBar: 4,
  key: 'D', scale: 'minor', camelot: '7A', keyStrength: 0.8, loudnessLufs: -9, loudnessRangeLu: 4, truePeakDb: -0.5, energy: [1],
  brightnessHz: 2000, timbre: { mfccMean: [1], mfccVar: [1] }, danceability: 1.4, phraseBars: 8, phrases: [0.5], segments: [], cues: { mixIn: 0.5, mixOut: 150 },
});

interface Server {
  url: string;
  stop(): Promise<void>;
}

async function startRedis(): Promise<Server> {
  const port = await freePort();
  const redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  await waitForPort(port, 10_000);
  return { url: `redis://127.0.0.1:${port}`, stop: () => stopProcess(redis, 'SIGKILL') };
}

/** A throwaway cluster in a temp dir, trusted on loopback, without fsync. */
async function startPostgres(): Promise<Server> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'minidj-pg-'));
  // setpriv execs (no fork), so signals reach PostgreSQL itself.
  const asOwner = (command: string): [string, string[]] => (isRoot ? ['setpriv', ['--reuid=postgres', '--regid=postgres', '--init-groups', command]] : [command, []]);
  if (isRoot) chownSync(dir, postgresUid!, -1);
  const data = path.join(dir, 'data');
  const [initCmd, initPre] = asOwner(initdb!);
  const init = spawnSync(initCmd, [...initPre, '-D', data, '-A', 'trust', '-U', 'minidj', '--no-sync'], { encoding: 'utf8' });
  if (init.status !== 0) throw new Error(`initdb failed: ${init.stderr}`);
  const port = await freePort();
  const [pgCmd, pgPre] = asOwner(postgres!);
  const server = spawn(pgCmd, [...pgPre, '-D', data, '-p', String(port), '-h', '127.0.0.1', '-k', dir, '-F'], { stdio: 'ignore' });
  await waitForPort(port, 20_000);
  return {
    url: `postgres://minidj@127.0.0.1:${port}/postgres`,
    stop: async () => {
      // SIGTERM is PostgreSQL's smart shutdown: it waits for the clients to go. Fast shutdown (SIGINT) sent a FATAL
      // message to a pg client still closing its socket, an uncaught error in the test run; it is the fallback.
      // (SIGKILL would leave the backends behind.)
      const fallback = setTimeout(() => server.kill('SIGINT'), 10_000);
      await stopProcess(server, 'SIGTERM');
      clearTimeout(fallback);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function stopProcess(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill(signal);
  await exited;
}

const servers = [
  { name: 'Redis', kind: 'redis', available: hasRedis, start: startRedis },
  { name: 'PostgreSQL', kind: 'postgres', available: hasPostgres, start: startPostgres },
] as const;

for (const server of servers) {
  describe.skipIf(!server.available)(`the stores on a real ${server.name} server (MINIDJ_DB=${server.kind}://…)`, () => {
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

    it('keeps a guild\'s playlist and the listeners\' feedback, each in its own namespace', async () => {
      const guilds = await GuildStore.open(running.url);
      const entry = { id: 'e1', hash: 'abc', title: 'night drive', requesterId: 'u1', addedAt: new Date(0).toISOString() };
      const written = await guilds.update('g1', (s) => ({ ...s, playlist: [...s.playlist, entry] }));
      expect(written.version).toBe(1);
      await guilds.close();
      const feedback = await FeedbackStore.open(running.url);
      await feedback.add({ id: 'f1', guildId: 'g1', fromHash: 'abc', toHash: 'def', liked: true, source: 'vote', userId: 'u1', at: new Date(0).toISOString() });
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

      it('import a guild the keyv GuildStore wrote, playlist intact, and then lose no adds', async () => {
        const playlist = [legacyEntry(1), legacyEntry(2)];
        await writeLegacyGuildState(running.url, { guildId: 'legacy', playlist, settings: { maxQueuePerMember: 10, maxAddsPerMinute: 5, order: 'smart' }, history: [], recentAdds: [], transitions: [], version: 4 });
        const [a, b] = await Promise.all([first.get('legacy'), second.get('legacy')]);
        expect(a).toEqual(b);
        expect(a.playlist).toEqual(playlist);
        expect(a.version).toBe(4);
        await Promise.all([concurrentAdds(first, 'legacy', { tag: 'a', count: 10 }), concurrentAdds(second, 'legacy', { tag: 'b', count: 10 })]);
        const state = await first.get('legacy');
        expect(state.playlist.slice(0, 2)).toEqual(playlist);
        expect(state.playlist).toHaveLength(22);
        expect(state.version).toBe(24);
      });

      it('list every guild they hold, and the tracks waiting in any playlist', async () => {
        expect(await second.guildIds()).toEqual(expect.arrayContaining(['race-many', 'race-limit', 'legacy']));
        const held = await second.heldTracks();
        expect(held.has(legacyEntry(1).hash)).toBe(true);
        const waiting = await Promise.all(['race-many', 'race-limit', 'legacy'].map(async (id) => (await first.get(id)).playlist.map((e) => e.hash)));
        expect(waiting.flat().every((hash) => held.has(hash))).toBe(true);
      });
    });
  });
}
