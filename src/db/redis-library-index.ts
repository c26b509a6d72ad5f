import type Keyv from 'keyv';
import {
  CANDIDATE_LIMIT,
  indexedTrack,
  MIN_HASH_PREFIX,
  SEARCH_LIMIT,
  SHARED_GUILD,
  tempoDistance,
  uniqueByHash,
} from './library-index.ts';
import type { AnalysisLookup, IndexedTrack, LibraryIndex } from './library-index.ts';
import { libraryKey, redisClient, RedisQuotaIndex } from './redis-quota-index.ts';
import type { RedisClient } from './redis-quota-index.ts';

/** A track's libraries: a set of guild ids, kept in step with the rows (every write changes both atomically). */
const holdersKey = (hash: string): string => `minidj:library-holders:${hash}`;
/** The one-time steps that ran: step → when. */
const META = 'minidj:library-meta';
/** The step that moved the keyv-era rows (one keyv value per library) into the hashes. */
const ROWS_MOVED = 'rows-from-keyv';

/** KEYS[1]: the track's holders; ARGV[1]: its hash, ARGV[2]: the library key prefix. Every library drops its row. */
const REMOVE_EVERYWHERE = `
for _, guild in ipairs(redis.call('SMEMBERS', KEYS[1])) do redis.call('HDEL', ARGV[2] .. guild, ARGV[1]) end
redis.call('DEL', KEYS[1])
return 1`;
/**
 * KEYS[1]: the track's holders; ARGV: its hash, its new row, the library key prefix. Each row it has is replaced,
 * keeping the row's title (its server's name for the track).
 */
const REFRESH_EVERYWHERE = `
for _, guild in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local old = redis.call('HGET', ARGV[3] .. guild, ARGV[1])
  if old then
    local row = cjson.decode(ARGV[2])
    row.title = cjson.decode(old).title
    redis.call('HSET', ARGV[3] .. guild, ARGV[1], cjson.encode(row))
  end
end
return 1`;

/** The keyv-era marks' keys (apart from the libraries' guild ids). */
const MARK = '\u0000';
const stepOfMark = (key: string): string => (key === `${MARK}imported` ? 'keyv-import' : key.slice(MARK.length));

/**
 * The index on Redis, which has no SQL: each library is a Redis hash of rows (read whole and filtered in memory:
 * right for small libraries; a large one belongs in PostgreSQL), and each track's set of libraries is kept beside
 * it. Every write touches only the rows it changes, in one MULTI or Lua script, so writers in several processes
 * never overwrite each other's rows (a whole-library rewrite lost adds that raced an eviction).
 */
export class RedisLibraryIndex extends RedisQuotaIndex implements LibraryIndex {
  private readonly lookup: AnalysisLookup;
  private readonly closeLookup: () => Promise<void>;

  private constructor(client: RedisClient, lookup: AnalysisLookup, closeLookup: () => Promise<void>) {
    super(client);
    this.lookup = lookup;
    this.closeLookup = closeLookup;
  }

  /** Connects, and moves the rows a keyv-era index left (`legacy`) into the hashes the first time. */
  static async open(
    url: string,
    legacy: Keyv,
    lookup: AnalysisLookup,
    closeLookup: () => Promise<void>,
  ): Promise<RedisLibraryIndex> {
    const client = redisClient(url);
    try {
      await client.connect();
      const index = new RedisLibraryIndex(client, lookup, closeLookup);
      if (!(await index.imported(ROWS_MOVED))) await index.moveKeyvRows(legacy);
      return index;
    } catch (error) {
      // Best effort: the error that stopped the open is the one thrown.
      await client.close().catch(() => undefined);
      await closeLookup().catch(() => undefined); // likewise
      throw error;
    } finally {
      await legacy.disconnect();
    }
  }

  /** Idempotent (a row already there stays), so processes starting together do no harm. */
  private async moveKeyvRows(legacy: Keyv): Promise<void> {
    if (!legacy.iterator) throw new Error('the keyv-era library index cannot be listed');
    for await (const [key, value] of legacy.iterator(undefined)) {
      const name = String(key);
      if (name.startsWith(MARK)) await this.client.hSetNX(META, stepOfMark(name), String(value));
      else await this.add(name, value as IndexedTrack[]);
    }
    await this.markImported(ROWS_MOVED);
  }

  private async rows(guildId: string): Promise<IndexedTrack[]> {
    return (await this.client.hVals(libraryKey(guildId))).map((json) => JSON.parse(json) as IndexedTrack);
  }

  private async seen(guildId: string, sharedOnly = false): Promise<IndexedTrack[]> {
    const ids = sharedOnly || guildId === SHARED_GUILD ? [SHARED_GUILD] : [guildId, SHARED_GUILD];
    return uniqueByHash((await Promise.all(ids.map((id) => this.rows(id)))).flat()).sort((a, b) =>
      a.hash.localeCompare(b.hash),
    );
  }

  async add(guildId: string, tracks: readonly IndexedTrack[]): Promise<void> {
    const fresh = uniqueByHash(tracks);
    if (fresh.length === 0) return;
    const tx = this.client.multi();
    for (const t of fresh) tx.hSetNX(libraryKey(guildId), t.hash, JSON.stringify(t)).sAdd(holdersKey(t.hash), guildId);
    await tx.exec();
  }

  async addHashes(
    guildId: string,
    hashes: readonly string[],
    _addedBy?: string,
    titles?: ReadonlyMap<string, string>,
  ): Promise<void> {
    const records = await this.lookup(hashes);
    await this.add(
      guildId,
      records.flatMap((r) => (r ? [indexedTrack(r, titles?.get(r.hash))] : [])),
    );
  }

  async removeFrom(guildId: string, hash: string): Promise<void> {
    await this.client.multi().hDel(libraryKey(guildId), hash).sRem(holdersKey(hash), guildId).exec();
  }

  async removeTrack(hash: string): Promise<void> {
    await this.client.eval(REMOVE_EVERYWHERE, { keys: [holdersKey(hash)], arguments: [hash, libraryKey('')] });
  }

  async refresh(t: IndexedTrack): Promise<void> {
    await this.client.eval(REFRESH_EVERYWHERE, {
      keys: [holdersKey(t.hash)],
      arguments: [t.hash, JSON.stringify(t), libraryKey('')],
    });
  }

  async libraryOwners(hashes: readonly string[]): Promise<Map<string, string[]>> {
    const owners = new Map<string, string[]>();
    const unique = [...new Set(hashes)];
    // A batch of commands at a time, pipelined (one round trip each was 100,000 of them for a recount).
    for (let i = 0; i < unique.length; i += 500) {
      const chunk = unique.slice(i, i + 500);
      const ids = await Promise.all(chunk.map((hash) => this.client.sMembers(holdersKey(hash))));
      chunk.forEach((hash, j) => {
        if (ids[j]!.length > 0) owners.set(hash, ids[j]!.sort());
      });
    }
    return owners;
  }

  async search(guildId: string, typed: string, limit = SEARCH_LIMIT): Promise<IndexedTrack[]> {
    const q = typed.trim().toLowerCase();
    return (await this.seen(guildId))
      .map((r) => ({ r, at: r.title.toLowerCase().indexOf(q) }))
      .filter((x) => x.at >= 0)
      .sort(
        (a, b) =>
          Number(a.at !== 0) - Number(b.at !== 0) ||
          (a.r.title.toLowerCase() < b.r.title.toLowerCase()
            ? -1
            : a.r.title.toLowerCase() > b.r.title.toLowerCase()
              ? 1
              : 0),
      )
      .slice(0, limit)
      .map((x) => x.r);
  }

  async find(guildId: string, query: string): Promise<IndexedTrack | undefined> {
    const q = query.trim().toLowerCase();
    if (q === '') return undefined;
    const library = await this.seen(guildId);
    const exact = library.find((r) => r.title.toLowerCase() === q);
    if (exact) return exact;
    if (q.length >= MIN_HASH_PREFIX && /^[0-9a-f]+$/.test(q)) {
      const byHash = library.filter((r) => r.hash.startsWith(q));
      if (byHash.length === 1) return byHash[0];
    }
    const partial = library.filter((r) => r.title.toLowerCase().includes(q));
    return partial.length === 1 ? partial[0] : undefined;
  }

  async visible(guildId: string, hashes: readonly string[]): Promise<Set<string>> {
    return new Set((await this.titles(guildId, hashes)).keys());
  }

  async titles(guildId: string, hashes: readonly string[]): Promise<Map<string, string>> {
    const found = new Map<string, string>();
    if (hashes.length === 0) return found;
    // The server's own row of a track before the shared library's.
    for (const id of guildId === SHARED_GUILD ? [SHARED_GUILD] : [guildId, SHARED_GUILD]) {
      const rows = await this.client.hmGet(libraryKey(id), [...hashes]);
      rows.forEach((json, i) => {
        if (json && !found.has(hashes[i]!)) found.set(hashes[i]!, (JSON.parse(json) as IndexedTrack).title);
      });
    }
    return found;
  }

  async candidates(
    guildId: string,
    bpm: number,
    limit = CANDIDATE_LIMIT,
    exclude: ReadonlySet<string> = new Set(),
  ): Promise<IndexedTrack[]> {
    return (await this.seen(guildId))
      .filter((r) => !exclude.has(r.hash))
      .sort((a, b) => tempoDistance(a.bpm, bpm) - tempoDistance(b.bpm, bpm) || a.hash.localeCompare(b.hash))
      .slice(0, limit);
  }

  async page(guildId: string, after: string | undefined, limit: number, sharedOnly = false): Promise<IndexedTrack[]> {
    return (await this.seen(guildId, sharedOnly)).filter((r) => after === undefined || r.hash > after).slice(0, limit);
  }

  async imported(step = 'keyv-import'): Promise<boolean> {
    return (await this.client.hExists(META, step)) === 1;
  }

  async markImported(step = 'keyv-import'): Promise<void> {
    await this.client.hSetNX(META, step, new Date().toISOString());
  }

  async close(): Promise<void> {
    await this.client.close();
    await this.closeLookup();
  }
}
