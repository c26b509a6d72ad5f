import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acquireLibraryIndex } from '../src/db/library-index.ts';
import type { IndexedTrack, LibraryIndex } from '../src/db/library-index.ts';
import { openKeyv, storeTarget } from '../src/db/open-keyv.ts';
import { hasRedis, startRedis } from './helpers/db-servers.ts';
import type { Server } from './helpers/db-servers.ts';

const EVICTOR = new URL('./helpers/library-index-evictor.ts', import.meta.url).pathname;
const G = '100000000000000001';
const OTHER = '200000000000000002';
const ROUNDS = 50;
const row = (tag: string, n: number): IndexedTrack => ({
  hash: `${tag}${n}`.padStart(64, '0'),
  title: `${tag} ${n}`,
  bpm: 120 + n,
  camelot: '8A',
  keyStrength: 0.5,
});

/** Every hash in a server's library, page by page. */
async function hashesOf(index: LibraryIndex, guildId: string): Promise<Set<string>> {
  const seen = new Set<string>();
  for (
    let page = await index.page(guildId, undefined, 100);
    page.length > 0;
    page = await index.page(guildId, page.at(-1)!.hash, 100)
  )
    for (const t of page) seen.add(t.hash);
  return seen;
}

describe.skipIf(!hasRedis)('the library index on Redis, written by two processes at once', () => {
  let server: Server | undefined;
  beforeAll(async () => {
    server = await startRedis();
  }, 30_000);
  afterAll(async () => {
    await server?.stop();
  });

  it(`loses none of ${ROUNDS} adds made while another process evicts ${ROUNDS} tracks from the same libraries`, async () => {
    const index = await acquireLibraryIndex(storeTarget(server!.url));
    try {
      const old = Array.from({ length: ROUNDS }, (_, i) => row('a', i));
      await index.add(G, old);
      await index.add(OTHER, old);
      const evictor = spawn(process.execPath, [EVICTOR, server!.url, ...old.map((t) => t.hash)], {
        stdio: ['pipe', 'pipe', 'inherit'],
      });
      const said = createInterface({ input: evictor.stdout! })[Symbol.asyncIterator]();
      expect((await said.next()).value).toBe('ready');
      const exited = once(evictor, 'exit');
      evictor.stdin!.write('go\n');
      const added = Array.from({ length: ROUNDS }, (_, i) => row('b', i));
      for (const t of added) await index.add(G, [t]);
      const [code] = await exited;
      expect(code).toBe(0);

      const left = await hashesOf(index, G);
      const lost = added.filter((t) => !left.has(t.hash));
      expect(lost.length, `adds lost: ${lost.length} of ${ROUNDS}`).toBe(0);
      // And every eviction took: nothing of the old tracks is left in either library.
      expect(old.filter((t) => left.has(t.hash))).toEqual([]);
      expect(await hashesOf(index, OTHER)).toEqual(new Set());
    } finally {
      await index.close();
    }
  }, 30_000);

  it('moves the rows a keyv-era index left (one value per library) into its own keys, once', async () => {
    const url = `${server!.url}/1`;
    const legacy = await openKeyv(storeTarget(url), 'library-index');
    await legacy.set(G, [row('c', 1), row('c', 2)]);
    await legacy.set('*', [row('c', 3)]);
    await legacy.set('\u0000imported', '2025-01-01T00:00:00.000Z');
    await legacy.disconnect();
    const index = await acquireLibraryIndex(storeTarget(url));
    try {
      expect([...(await hashesOf(index, G))].sort()).toEqual(
        [row('c', 1), row('c', 2), row('c', 3)].map((t) => t.hash).sort(),
      );
      expect(await index.imported()).toBe(true);
      expect(await index.libraryOwners([row('c', 1).hash, row('c', 3).hash, row('c', 9).hash])).toEqual(
        new Map([
          [row('c', 1).hash, [G]],
          [row('c', 3).hash, ['*']],
        ]),
      );
      // Taken out once moved: a later start does not move it back.
      await index.removeFrom(G, row('c', 1).hash);
    } finally {
      await index.close();
    }
    const again = await acquireLibraryIndex(storeTarget(url));
    try {
      expect(await hashesOf(again, G)).toEqual(new Set([row('c', 2).hash, row('c', 3).hash]));
    } finally {
      await again.close();
    }
  });
});
