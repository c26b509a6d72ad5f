import { createClient } from '@redis/client';
import type { GuildStateBackend } from './guild-state-backend.ts';

/** KEYS[1]: the guild's hash; ARGV: expected version ('' for none yet), new version, value. Atomic on the server. */
const SET_IF_VERSION = `
local stored = redis.call('HGET', KEYS[1], 'version')
if (ARGV[1] == '' and stored) or (ARGV[1] ~= '' and stored ~= ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'version', ARGV[2], 'value', ARGV[3])
return 1`;

const keyOf = (guildId: string): string => `guild-state:${guildId}`;

/** A hash per guild (`version`, `value`, `position`); `version` and `value` written by a Lua script that checks the version. */
export async function openRedisGuildBackend(url: string): Promise<GuildStateBackend> {
  const client = createClient({ url });
  client.on('error', () => {
    // The client reconnects by itself; a command that cannot complete fails on its own.
  });
  await client.connect();
  return {
    async read(guildId) {
      const [version, value, position] = await client.hmGet(keyOf(guildId), ['version', 'value', 'position']);
      if (version == null || value == null) return undefined;
      return { version: Number(version), value, ...(position != null ? { position } : {}) };
    },
    async write(guildId, expected, next) {
      const written = await client.eval(SET_IF_VERSION, {
        keys: [keyOf(guildId)],
        arguments: [expected === undefined ? '' : String(expected), String(next.version), next.value],
      });
      return written === 1;
    },
    async writePosition(guildId, position) {
      await client.hSet(keyOf(guildId), 'position', position);
    },
    async guildIds() {
      const ids: string[] = [];
      for await (const keys of client.scanIterator({ MATCH: keyOf('*'), COUNT: 500 }))
        ids.push(...keys.map((k) => k.slice(keyOf('').length)));
      return ids;
    },
    close: () => client.close(),
  };
}
