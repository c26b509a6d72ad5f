import { mkdirSync } from 'node:fs';
import path from 'node:path';
import sqlite3 from 'sqlite3';
import { BUSY_TIMEOUT_MS, retryWhileBusy } from './sqlite-busy.ts';
import type { GuildStateBackend, StoredGuildState } from './guild-state-backend.ts';

// node-sqlite3 (already @keyv/sqlite's driver) rather than node:sqlite, which prints an ExperimentalWarning on Node 22.

function opened(file: string): Promise<sqlite3.Database> {
  return new Promise((resolve, reject) => {
    const db = new sqlite3.Database(file, (error) => (error ? reject(error) : resolve(db)));
  });
}

/** Runs a statement; resolves to the number of rows it changed. */
function run(db: sqlite3.Database, sql: string, params: unknown[] = []): Promise<number> {
  return new Promise((resolve, reject) => {
    db.run(sql, params, function (this: sqlite3.RunResult, error: Error | null) {
      if (error) reject(error);
      else resolve(this.changes);
    });
  });
}

function row<T>(db: sqlite3.Database, sql: string, params: unknown[] = []): Promise<T | undefined> {
  return new Promise((resolve, reject) => {
    db.get(sql, params, (error: Error | null, result: T | undefined) => (error ? reject(error) : resolve(result)));
  });
}

/** The `guild_state` table in the store's own database file. */
export async function openSqliteGuildBackend(file: string): Promise<GuildStateBackend> {
  mkdirSync(path.dirname(file), { recursive: true });
  const db = await opened(file);
  try {
    // Writers wait for each other instead of failing with SQLITE_BUSY; WAL lets readers go on meanwhile.
    db.configure('busyTimeout', BUSY_TIMEOUT_MS);
    await retryWhileBusy(() => row(db, 'PRAGMA journal_mode = WAL'));
    await run(db, 'CREATE TABLE IF NOT EXISTS guild_state (guild_id TEXT PRIMARY KEY, version INTEGER NOT NULL, value TEXT NOT NULL)');
  } catch (error) {
    db.close();
    throw error;
  }
  return {
    read: (guildId) => row<StoredGuildState>(db, 'SELECT version, value FROM guild_state WHERE guild_id = ?', [guildId]),
    async write(guildId, expected, next) {
      const changed = expected === undefined
        ? await run(db, 'INSERT INTO guild_state (guild_id, version, value) VALUES (?, ?, ?) ON CONFLICT (guild_id) DO NOTHING', [guildId, next.version, next.value])
        : await run(db, 'UPDATE guild_state SET version = ?, value = ? WHERE guild_id = ? AND version = ?', [next.version, next.value, guildId, expected]);
      return changed === 1;
    },
    async guildIds() {
      const rows = await new Promise<{ guild_id: string }[]>((resolve, reject) => {
        db.all('SELECT guild_id FROM guild_state', (error: Error | null, result: { guild_id: string }[]) => (error ? reject(error) : resolve(result)));
      });
      return rows.map((r) => r.guild_id);
    },
    close: () => new Promise<void>((resolve, reject) => db.close((error) => (error ? reject(error) : resolve()))),
  };
}
