import { SHARED_GUILD } from './library-index.ts';
import type { NotedAudio, QuotaIndex } from './library-index.ts';
import type { SqlClient } from './sql-client.ts';

/**
 * The disk quota's tables (migration step 4 of sql-library-index.ts). The noted bytes in all are kept in one row by
 * triggers: a SUM over 100,000 tracks at every add would hold the event loop (node:sqlite runs there).
 */
export function quotaTables(kind: SqlClient['kind']): string[] {
  const int = kind === 'postgres' ? 'BIGINT' : 'INTEGER';
  const tables = [
    `CREATE TABLE IF NOT EXISTS library_audio (hash TEXT PRIMARY KEY, bytes ${int} NOT NULL, file TEXT, noted_ms ${int} NOT NULL)`,
    `CREATE TABLE IF NOT EXISTS library_audio_total (id INTEGER PRIMARY KEY CHECK (id = 1), bytes ${int} NOT NULL)`,
    'INSERT INTO library_audio_total (id, bytes) VALUES (1, 0) ON CONFLICT (id) DO NOTHING',
    `CREATE TABLE IF NOT EXISTS track_holds (guild_id TEXT NOT NULL, hash TEXT NOT NULL, version ${int} NOT NULL, PRIMARY KEY (guild_id, hash))`,
    'CREATE INDEX IF NOT EXISTS track_holds_hash ON track_holds (hash)',
  ];
  if (kind === 'postgres') {
    return [
      ...tables,
      `CREATE OR REPLACE FUNCTION minidj_audio_total() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
        IF TG_OP IN ('DELETE', 'UPDATE') THEN UPDATE library_audio_total SET bytes = bytes - OLD.bytes WHERE id = 1; END IF;
        IF TG_OP IN ('INSERT', 'UPDATE') THEN UPDATE library_audio_total SET bytes = bytes + NEW.bytes WHERE id = 1; END IF;
        RETURN NULL; END $$`,
      'CREATE TRIGGER library_audio_total AFTER INSERT OR DELETE OR UPDATE OF bytes ON library_audio FOR EACH ROW EXECUTE FUNCTION minidj_audio_total()',
    ];
  }
  return [
    ...tables,
    'CREATE TRIGGER IF NOT EXISTS library_audio_ai AFTER INSERT ON library_audio BEGIN UPDATE library_audio_total SET bytes = bytes + new.bytes WHERE id = 1; END',
    'CREATE TRIGGER IF NOT EXISTS library_audio_ad AFTER DELETE ON library_audio BEGIN UPDATE library_audio_total SET bytes = bytes - old.bytes WHERE id = 1; END',
    'CREATE TRIGGER IF NOT EXISTS library_audio_au AFTER UPDATE OF bytes ON library_audio BEGIN UPDATE library_audio_total SET bytes = bytes - old.bytes + new.bytes WHERE id = 1; END',
  ];
}

interface AudioRow {
  hash: string;
  bytes: number | string;
  file: string | null;
  noted_ms: number | string;
}
const noted = (r: AudioRow): NotedAudio => ({
  hash: r.hash,
  bytes: Number(r.bytes),
  ...(r.file ? { file: r.file } : {}),
  notedMs: Number(r.noted_ms),
});
/** PostgreSQL returns a BIGINT sum as a string, and no row's sum as NULL. */
const sumOf = (rows: { bytes: number | string | null }[]): number => Number(rows[0]?.bytes ?? 0);
const marks = (n: number): string => Array.from({ length: n }, () => '?').join(', ');
/** Parameters per statement, well under either server's limit. */
const BATCH = 500;

function* chunks<T>(items: readonly T[], size = BATCH): Generator<T[]> {
  for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size);
}

/** The quota's side of the SQL library index (SqlLibraryIndex adds the rows' side). */
export class SqlQuotaIndex implements QuotaIndex {
  protected readonly sql: SqlClient;

  protected constructor(sql: SqlClient) {
    this.sql = sql;
  }

  async noteAudio(entries: readonly NotedAudio[]): Promise<void> {
    if (entries.length === 0) return;
    for (const chunk of chunks(entries, BATCH / 4)) {
      await this.sql.run(
        `INSERT INTO library_audio (hash, bytes, file, noted_ms) VALUES ${chunk.map(() => '(?, ?, ?, ?)').join(', ')}
          ON CONFLICT (hash) DO UPDATE SET bytes = excluded.bytes, file = COALESCE(excluded.file, library_audio.file), noted_ms = excluded.noted_ms`,
        chunk.flatMap((e) => [e.hash, e.bytes, e.file ?? null, e.notedMs]),
      );
    }
  }

  async forgetAudio(hashes: readonly string[], notedByMs: number): Promise<void> {
    if (hashes.length === 0) return;
    for (const chunk of chunks(hashes))
      await this.sql.run(`DELETE FROM library_audio WHERE hash IN (${marks(chunk.length)}) AND noted_ms <= ?`, [
        ...chunk,
        notedByMs,
      ]);
  }

  async audio(hashes: readonly string[]): Promise<Map<string, NotedAudio>> {
    const found = new Map<string, NotedAudio>();
    for (const chunk of chunks([...new Set(hashes)])) {
      for (const r of await this.sql.all<AudioRow>(
        `SELECT hash, bytes, file, noted_ms FROM library_audio WHERE hash IN (${marks(chunk.length)})`,
        chunk,
      ))
        found.set(r.hash, noted(r));
    }
    return found;
  }

  async *audioBatches(size: number): AsyncGenerator<NotedAudio[]> {
    for (let after = ''; ;) {
      const rows = await this.sql.all<AudioRow>(
        'SELECT hash, bytes, file, noted_ms FROM library_audio WHERE hash > ? ORDER BY hash LIMIT ?',
        [after, size],
      );
      if (rows.length === 0) return;
      yield rows.map(noted);
      after = rows.at(-1)!.hash;
    }
  }

  async audioBytes(): Promise<number> {
    return sumOf(await this.sql.all('SELECT bytes FROM library_audio_total WHERE id = 1'));
  }

  async libraryAudio(guildId: string): Promise<NotedAudio[]> {
    const found: NotedAudio[] = [];
    for (let after = ''; ;) {
      const rows = await this.sql.all<AudioRow>(
        'SELECT a.hash, a.bytes, a.file, a.noted_ms FROM library_tracks t JOIN library_audio a ON a.hash = t.hash WHERE t.guild_id = ? AND t.hash > ? ORDER BY t.hash LIMIT ?',
        [guildId, after, BATCH * 2],
      );
      found.push(...rows.map(noted));
      if (rows.length < BATCH * 2) return found;
      after = rows.at(-1)!.hash;
    }
  }

  async libraryBytes(guildId: string, held: readonly string[], except: string): Promise<number> {
    if (guildId === SHARED_GUILD) {
      return sumOf(
        await this.sql.all(
          'SELECT SUM(a.bytes) AS bytes FROM library_tracks t JOIN library_audio a ON a.hash = t.hash WHERE t.guild_id = ? AND t.hash <> ?',
          [SHARED_GUILD, except],
        ),
      );
    }
    const notShared = 'NOT EXISTS (SELECT 1 FROM library_tracks s WHERE s.guild_id = ? AND s.hash = a.hash)';
    let bytes = sumOf(
      await this.sql.all(
        `SELECT SUM(a.bytes) AS bytes FROM library_tracks t JOIN library_audio a ON a.hash = t.hash WHERE t.guild_id = ? AND t.hash <> ? AND ${notShared}`,
        [guildId, except, SHARED_GUILD],
      ),
    );
    // What it holds beyond its library (a pending add, another server's track playing): few.
    for (const chunk of chunks([...new Set(held)].filter((h) => h !== except))) {
      const inLibrary = 'EXISTS (SELECT 1 FROM library_tracks t WHERE t.guild_id = ? AND t.hash = a.hash)';
      bytes += sumOf(
        await this.sql.all(
          `SELECT SUM(a.bytes) AS bytes FROM library_audio a WHERE a.hash IN (${marks(chunk.length)}) AND NOT ${inLibrary} AND ${notShared}`,
          [...chunk, guildId, SHARED_GUILD],
        ),
      );
    }
    return bytes;
  }

  async noteHolds(guildId: string, version: number, hashes: readonly string[]): Promise<void> {
    const newer =
      this.sql.kind === 'postgres'
        ? 'GREATEST(track_holds.version, excluded.version)'
        : 'max(track_holds.version, excluded.version)';
    for (const chunk of chunks([...new Set(hashes)], BATCH / 3)) {
      await this.sql.run(
        `INSERT INTO track_holds (guild_id, hash, version) VALUES ${chunk.map(() => '(?, ?, ?)').join(', ')} ON CONFLICT (guild_id, hash) DO UPDATE SET version = ${newer}`,
        chunk.flatMap((h) => [guildId, h, version]),
      );
    }
  }

  async dropHolds(guildId: string, version: number, kept: readonly string[]): Promise<void> {
    const keep = new Set(kept);
    const rows = await this.sql.all<{ hash: string }>(
      'SELECT hash FROM track_holds WHERE guild_id = ? AND version <= ?',
      [guildId, version],
    );
    for (const chunk of chunks(rows.map((r) => r.hash).filter((h) => !keep.has(h)))) {
      await this.sql.run(
        `DELETE FROM track_holds WHERE guild_id = ? AND version <= ? AND hash IN (${marks(chunk.length)})`,
        [guildId, version, ...chunk],
      );
    }
  }

  async holders(hashes: readonly string[]): Promise<Map<string, string[]>> {
    const found = new Map<string, string[]>();
    for (const chunk of chunks([...new Set(hashes)])) {
      const rows = await this.sql.all<{ guild_id: string; hash: string }>(
        `SELECT guild_id, hash FROM track_holds WHERE hash IN (${marks(chunk.length)}) ORDER BY hash, guild_id`,
        chunk,
      );
      for (const r of rows) found.set(r.hash, [...(found.get(r.hash) ?? []), r.guild_id]);
    }
    return found;
  }
}
