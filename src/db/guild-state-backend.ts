import type { StoreTarget } from './open-keyv.ts';

/** One guild's state as stored: its JSON and the version it was written at. */
export interface StoredGuildState {
  version: number;
  value: string;
}

/**
 * One row per guild, written only while its version is still the one the writer read (compare-and-set), so
 * processes sharing a store cannot overwrite each other's updates.
 */
export interface GuildStateBackend {
  read(guildId: string): Promise<StoredGuildState | undefined>;
  /** Writes `next` if the stored version is `expected` (undefined: no row yet); false if another write came first. */
  write(guildId: string, expected: number | undefined, next: StoredGuildState): Promise<boolean>;
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
