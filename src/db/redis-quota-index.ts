import { createClient } from '@redis/client';
import { SHARED_GUILD } from './library-index.ts';
import type { NotedAudio, QuotaIndex } from './library-index.ts';

export function redisClient(url: string) {
  const client = createClient({ url });
  client.on('error', () => {
    // The client reconnects by itself; a command that cannot complete fails on its own.
  });
  return client;
}
export type RedisClient = ReturnType<typeof redisClient>;

/** A library: a Redis hash, one field per track (its row as JSON). */
export const libraryKey = (guildId: string): string => `minidj:library:${guildId}`;

/** The noted audio: three hashes by track (bytes, file name, when noted) and the bytes of all of it. */
const AUDIO = {
  bytes: 'minidj:audio:bytes',
  file: 'minidj:audio:file',
  at: 'minidj:audio:noted',
  total: 'minidj:audio:total',
} as const;
const AUDIO_KEYS = [AUDIO.bytes, AUDIO.file, AUDIO.at, AUDIO.total];
/** A server's holds: a hash, track → the state version that noted it; and each track's servers, a set. */
const holdsKey = (guildId: string): string => `minidj:holds:${guildId}`;
const HELD_BY = 'minidj:held-by:';

/** ARGV: (hash, bytes, file or '', noted ms) for each track. The total moves by each track's change. */
const NOTE_AUDIO = `
for i = 1, #ARGV, 4 do
  local h = ARGV[i]
  local before = tonumber(redis.call('HGET', KEYS[1], h) or '0')
  redis.call('HSET', KEYS[1], h, ARGV[i + 1])
  if ARGV[i + 2] ~= '' then redis.call('HSET', KEYS[2], h, ARGV[i + 2]) end
  redis.call('HSET', KEYS[3], h, ARGV[i + 3])
  redis.call('INCRBY', KEYS[4], tonumber(ARGV[i + 1]) - before)
end
return 1`;
/** ARGV[1]: noted at or before (ms); the rest: hashes. */
const FORGET_AUDIO = `
for i = 2, #ARGV do
  local at = redis.call('HGET', KEYS[3], ARGV[i])
  if at and tonumber(at) <= tonumber(ARGV[1]) then
    redis.call('DECRBY', KEYS[4], tonumber(redis.call('HGET', KEYS[1], ARGV[i]) or '0'))
    redis.call('HDEL', KEYS[1], ARGV[i])
    redis.call('HDEL', KEYS[2], ARGV[i])
    redis.call('HDEL', KEYS[3], ARGV[i])
  end
end
return 1`;
/** KEYS[1]: the server's holds; ARGV: version, guild id, held-by prefix, hashes. An entry keeps its newest version. */
const NOTE_HOLDS = `
for i = 4, #ARGV do
  local at = redis.call('HGET', KEYS[1], ARGV[i])
  if not at or tonumber(at) < tonumber(ARGV[1]) then redis.call('HSET', KEYS[1], ARGV[i], ARGV[1]) end
  redis.call('SADD', ARGV[3] .. ARGV[i], ARGV[2])
end
return 1`;
/** KEYS[1]: the server's holds; ARGV: version, guild id, held-by prefix, the hashes kept. */
const DROP_HOLDS = `
local keep = {}
for i = 4, #ARGV do keep[ARGV[i]] = true end
local all = redis.call('HGETALL', KEYS[1])
for i = 1, #all, 2 do
  if not keep[all[i]] and tonumber(all[i + 1]) <= tonumber(ARGV[1]) then
    redis.call('HDEL', KEYS[1], all[i])
    redis.call('SREM', ARGV[3] .. all[i], ARGV[2])
  end
end
return 1`;

const sum = (values: readonly (string | null)[]): number => values.reduce((n, v) => n + Number(v ?? 0), 0);

/** The quota's side of the Redis library index (RedisLibraryIndex adds the rows' side); each write one Lua script. */
export class RedisQuotaIndex implements QuotaIndex {
  protected readonly client: RedisClient;

  protected constructor(client: RedisClient) {
    this.client = client;
  }

  async noteAudio(entries: readonly NotedAudio[]): Promise<void> {
    if (entries.length === 0) return;
    await this.client.eval(NOTE_AUDIO, {
      keys: AUDIO_KEYS,
      arguments: entries.flatMap((e) => [e.hash, String(e.bytes), e.file ?? '', String(e.notedMs)]),
    });
  }

  async forgetAudio(hashes: readonly string[], notedByMs: number): Promise<void> {
    if (hashes.length === 0) return;
    await this.client.eval(FORGET_AUDIO, { keys: AUDIO_KEYS, arguments: [String(notedByMs), ...hashes] });
  }

  async audio(hashes: readonly string[]): Promise<Map<string, NotedAudio>> {
    const unique = [...new Set(hashes)];
    const found = new Map<string, NotedAudio>();
    if (unique.length === 0) return found;
    const [bytes, files, at] = await Promise.all(
      [AUDIO.bytes, AUDIO.file, AUDIO.at].map((key) => this.client.hmGet(key, unique)),
    );
    unique.forEach((hash, i) => {
      if (bytes![i] == null) return;
      const file = files![i];
      found.set(hash, { hash, bytes: Number(bytes![i]), ...(file ? { file } : {}), notedMs: Number(at![i] ?? 0) });
    });
    return found;
  }

  async *audioBatches(size: number): AsyncGenerator<NotedAudio[]> {
    let cursor = '0';
    do {
      const page = await this.client.hScan(AUDIO.bytes, cursor, { COUNT: size });
      cursor = String(page.cursor);
      const found = await this.audio(page.entries.map((e) => e.field));
      if (found.size > 0) yield [...found.values()];
    } while (cursor !== '0');
  }

  async audioBytes(): Promise<number> {
    return Number((await this.client.get(AUDIO.total)) ?? 0);
  }

  async libraryAudio(guildId: string): Promise<NotedAudio[]> {
    return [...(await this.audio(await this.client.hKeys(libraryKey(guildId)))).values()];
  }

  async libraryBytes(guildId: string, held: readonly string[], except: string): Promise<number> {
    const own = await this.client.hKeys(libraryKey(guildId));
    let counted = [...new Set(guildId === SHARED_GUILD ? own : [...own, ...held])].filter((h) => h !== except);
    if (counted.length === 0) return 0;
    if (guildId !== SHARED_GUILD) {
      const shared = await this.client.hmGet(libraryKey(SHARED_GUILD), counted);
      counted = counted.filter((_, i) => shared[i] == null);
      if (counted.length === 0) return 0;
    }
    return sum(await this.client.hmGet(AUDIO.bytes, counted));
  }

  async noteHolds(guildId: string, version: number, hashes: readonly string[]): Promise<void> {
    if (hashes.length === 0) return;
    await this.client.eval(NOTE_HOLDS, {
      keys: [holdsKey(guildId)],
      arguments: [String(version), guildId, HELD_BY, ...new Set(hashes)],
    });
  }

  async dropHolds(guildId: string, version: number, kept: readonly string[]): Promise<void> {
    await this.client.eval(DROP_HOLDS, {
      keys: [holdsKey(guildId)],
      arguments: [String(version), guildId, HELD_BY, ...new Set(kept)],
    });
  }

  async holders(hashes: readonly string[]): Promise<Map<string, string[]>> {
    const unique = [...new Set(hashes)];
    const members = await Promise.all(unique.map((h) => this.client.sMembers(HELD_BY + h)));
    return new Map(
      unique.flatMap((h, i) => (members[i]!.length > 0 ? [[h, members[i]!.sort()] as [string, string[]]] : [])),
    );
  }
}
