import { SqliteDatabase } from './sqlite-database.ts';
import type { GuildStateBackend, StoredGuildState } from './guild-state-backend.ts';

/** The `guild_state` table in the store's own database file. */
export async function openSqliteGuildBackend(file: string): Promise<GuildStateBackend> {
  const db = await SqliteDatabase.open(file, ['CREATE TABLE IF NOT EXISTS guild_state (guild_id TEXT PRIMARY KEY, version INTEGER NOT NULL, value TEXT NOT NULL)']);
  let closed = false;
  return {
    read: async (guildId) => (await db.all<StoredGuildState>('SELECT version, value FROM guild_state WHERE guild_id = ?', [guildId]))[0],
    async write(guildId, expected, next) {
      const changed = expected === undefined
        ? await db.run('INSERT INTO guild_state (guild_id, version, value) VALUES (?, ?, ?) ON CONFLICT (guild_id) DO NOTHING', [guildId, next.version, next.value])
        : await db.run('UPDATE guild_state SET version = ?, value = ? WHERE guild_id = ? AND version = ?', [next.version, next.value, guildId, expected]);
      return changed === 1;
    },
    guildIds: async () => (await db.all<{ guild_id: string }>('SELECT guild_id FROM guild_state')).map((r) => r.guild_id),
    async close() {
      if (closed) return;
      closed = true;
      await db.close();
    },
  };
}
