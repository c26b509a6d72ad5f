import pg from 'pg';
import type { GuildStateBackend } from './guild-state-backend.ts';

const CREATE_TABLES = [
  'CREATE TABLE IF NOT EXISTS guild_state (guild_id TEXT PRIMARY KEY, version BIGINT NOT NULL, value TEXT NOT NULL)',
  'CREATE TABLE IF NOT EXISTS guild_position (guild_id TEXT PRIMARY KEY, value TEXT NOT NULL)',
];

/** The `guild_state` and `guild_position` tables, on a pool of its own (@keyv/postgres's is shared and ended by its stores). */
export async function openPostgresGuildBackend(url: string): Promise<GuildStateBackend> {
  const pool = new pg.Pool({ connectionString: url, max: 4 });
  pool.on('error', () => {
    // An idle connection dropped: the pool replaces it, and a query on a dead server fails by itself.
  });
  try {
    const client = await pool.connect();
    try {
      // Two processes creating the table at once can collide in the catalogue despite IF NOT EXISTS.
      await client.query('BEGIN');
      await client.query("SELECT pg_advisory_xact_lock(hashtext('minidj guild_state'))");
      for (const create of CREATE_TABLES) await client.query(create);
      await client.query('COMMIT');
    } catch (error) {
      // A connection that failed cannot roll back (the server does on disconnect): the first error is the one thrown.
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  } catch (error) {
    await pool.end();
    throw error;
  }
  return {
    async read(guildId) {
      const { rows } = await pool.query<{ version: string; value: string; position: string | null }>(
        'SELECT s.version, s.value, p.value AS position FROM guild_state s LEFT JOIN guild_position p ON p.guild_id = s.guild_id WHERE s.guild_id = $1',
        [guildId],
      );
      const found = rows[0];
      return (
        found && {
          version: Number(found.version),
          value: found.value,
          ...(found.position !== null ? { position: found.position } : {}),
        }
      );
    },
    async write(guildId, expected, next) {
      // A concurrent UPDATE of the same row waits for the first to commit, then re-checks the version and matches nothing.
      const { rowCount } =
        expected === undefined
          ? await pool.query(
              'INSERT INTO guild_state (guild_id, version, value) VALUES ($1, $2, $3) ON CONFLICT (guild_id) DO NOTHING',
              [guildId, next.version, next.value],
            )
          : await pool.query('UPDATE guild_state SET version = $2, value = $3 WHERE guild_id = $1 AND version = $4', [
              guildId,
              next.version,
              next.value,
              expected,
            ]);
      return rowCount === 1;
    },
    async writePosition(guildId, position) {
      await pool.query(
        'INSERT INTO guild_position (guild_id, value) VALUES ($1, $2) ON CONFLICT (guild_id) DO UPDATE SET value = EXCLUDED.value',
        [guildId, position],
      );
    },
    async guildIds() {
      const { rows } = await pool.query<{ guild_id: string }>('SELECT guild_id FROM guild_state');
      return rows.map((r) => r.guild_id);
    },
    close: () => pool.end(),
  };
}
