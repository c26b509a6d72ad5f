import type { StoreTarget } from './open-keyv.ts';

/** One guild's state as stored: its JSON and the version it was written at. */
export interface StoredGuildState {
  version: number;
  value: string;
  /**
   * Where the live set's song was heard last (a SavedPosition as JSON), kept beside the record: saved every few
   * seconds by every live set, it would otherwise rewrite the whole record (up to megabytes with a long playlist).
   */
  position?: string;
}

/**
 * One row per guild, written only while its version is still the one the writer read (compare-and-set), so
 * processes sharing a store cannot overwrite each other's updates.
 */
export interface GuildStateBackend {
  read(guildId: string): Promise<StoredGuildState | undefined>;
  /** Writes `next` if the stored version is `expected` (undefined: no row yet); false if another write came first. */
  write(guildId: string, expected: number | undefined, next: StoredGuildState): Promise<boolean>;
  /** Replaces the guild's saved position; no compare-and-set (the newest position wins, and the record decides whether it still applies). */
  writePosition(guildId: string, position: string): Promise<void>;
  /** Every guild with a row. */
  guildIds(): Promise<string[]>;
  close(): Promise<void>;
}

export async function openGuildStateBackend(target: StoreTarget): Promise<GuildStateBackend> {
  switch (target.kind) {
    case 'sqlite':
      return (await import('./sqlite-guild-backend.ts')).openSqliteGuildBackend(target.uri.slice('sqlite://'.length));
    case 'redis':
      return (await import('./redis-guild-backend.ts')).openRedisGuildBackend(target.uri);
    case 'postgres':
      return (await import('./postgres-guild-backend.ts')).openPostgresGuildBackend(target.uri);
  }
}
