import { SqliteDatabase } from './sqlite-database.ts';
import type { GuildStateBackend, StoredGuildState } from './guild-state-backend.ts';

/** The `guild_state` table in the store's own database file. */
export async function openSqliteGuildBackend(file: string): Promise<GuildStateBackend> {
  const db = await SqliteDatabase.open(file, [
    'CREATE TABLE IF NOT EXISTS guild_state (guild_id TEXT PRIMARY KEY, version INTEGER NOT NULL, value TEXT NOT NULL)',
    'CREATE TABLE IF NOT EXISTS guild_position (guild_id TEXT PRIMARY KEY, value TEXT NOT NULL)',
  ]);
  let closed = false;
  return {
    async read(guildId) {
      const [row] = await db.all<StoredGuildState & { position: string | null }>(
        'SELECT s.version, s.value, p.value AS position FROM guild_state s LEFT JOIN guild_position p ON p.guild_id = s.guild_id WHERE s.guild_id = ?',
        [guildId],
      );
      return (
        row && { version: row.version, value: row.value, ...(row.position !== null ? { position: row.position } : {}) }
      );
    },
    async write(guildId, expected, next) {
      const changed =
        expected === undefined
          ? await db.run(
              'INSERT INTO guild_state (guild_id, version, value) VALUES (?, ?, ?) ON CONFLICT (guild_id) DO NOTHING',
              [guildId, next.version, next.value],
            )
          : await db.run('UPDATE guild_state SET version = ?, value = ? WHERE guild_id = ? AND version = ?', [
              next.version,
              next.value,
              guildId,
              expected,
            ]);
      return changed === 1;
    },
    async writePosition(guildId, position) {
      await db.run(
        'INSERT INTO guild_position (guild_id, value) VALUES (?, ?) ON CONFLICT (guild_id) DO UPDATE SET value = excluded.value',
        [guildId, position],
      );
    },
    guildIds: async () =>
      (await db.all<{ guild_id: string }>('SELECT guild_id FROM guild_state')).map((r) => r.guild_id),
    async close() {
      if (closed) return;
      closed = true;
      await db.close();
    },
  };
}
