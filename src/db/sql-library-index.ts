import {
  CANDIDATE_LIMIT,
  MIN_HASH_PREFIX,
  prefixEnd,
  SEARCH_LIMIT,
  SHARED_GUILD,
  TEMPO_WINDOW,
  tempoCentres,
  tempoDistance,
  uniqueByHash,
} from './library-index.ts';
import type { AnalysisLookup, IndexedTrack, LibraryIndex } from './library-index.ts';
import { indexedTrack } from './library-index.ts';
import type { SqlClient } from './sql-client.ts';
import { quotaTables, SqlQuotaIndex } from './sql-quota-index.ts';

/** The schema, one step a version; each runs once, in a transaction, and `schema_version` says which have. */
export function migrations(kind: SqlClient['kind']): string[][] {
  const real = kind === 'postgres' ? 'DOUBLE PRECISION' : 'REAL';
  // Binary order on both, so a prefix is a range of the (guild_id, title_lower) index.
  const binary = kind === 'postgres' ? ' COLLATE "C"' : '';
  return [
    [
      `CREATE TABLE IF NOT EXISTS library_tracks (
        guild_id TEXT NOT NULL, hash TEXT NOT NULL, title TEXT NOT NULL, title_lower TEXT${binary} NOT NULL,
        bpm ${real} NOT NULL, camelot TEXT NOT NULL, key_strength ${real} NOT NULL, added_by TEXT, added_at TEXT NOT NULL,
        PRIMARY KEY (guild_id, hash))`,
      'CREATE INDEX IF NOT EXISTS library_tracks_title ON library_tracks (guild_id, title_lower)',
      'CREATE INDEX IF NOT EXISTS library_tracks_bpm ON library_tracks (guild_id, bpm)',
      'CREATE INDEX IF NOT EXISTS library_tracks_hash ON library_tracks (hash)',
      'CREATE TABLE IF NOT EXISTS library_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)',
    ],
    // SQLite: titles in an FTS5 trigram index, kept in step by triggers, for substrings no title-order scan finds
    // soon.
    kind === 'sqlite'
      ? [
          "CREATE VIRTUAL TABLE IF NOT EXISTS library_titles USING fts5(title_lower, content='library_tracks', content_rowid='rowid', tokenize='trigram')",
          'CREATE TRIGGER IF NOT EXISTS library_titles_ai AFTER INSERT ON library_tracks BEGIN INSERT INTO library_titles (rowid, title_lower) VALUES (new.rowid, new.title_lower); END',
          "CREATE TRIGGER IF NOT EXISTS library_titles_ad AFTER DELETE ON library_tracks BEGIN INSERT INTO library_titles (library_titles, rowid, title_lower) VALUES ('delete', old.rowid, old.title_lower); END",
          "CREATE TRIGGER IF NOT EXISTS library_titles_au AFTER UPDATE OF title_lower ON library_tracks BEGIN INSERT INTO library_titles (library_titles, rowid, title_lower) VALUES ('delete', old.rowid, old.title_lower); INSERT INTO library_titles (rowid, title_lower) VALUES (new.rowid, new.title_lower); END",
          "INSERT INTO library_titles (library_titles) VALUES ('rebuild')",
        ]
      : [],
    // PostgreSQL: each title's trigrams as they are (spaces and punctuation included, unlike pg_trgm's words) with its
    // guild's key in one GIN index, so a substring's candidates are about its matches in that guild alone; and the
    // title index with the hash, so a scan in title order filters the index alone.
    kind === 'postgres'
      ? [
          // GIN drops the repeated keys itself.
          `CREATE OR REPLACE FUNCTION minidj_title_keys(guild TEXT, title TEXT) RETURNS TEXT[] LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
            AS $$ SELECT ARRAY(SELECT substr(title, i, 3) FROM generate_series(1, length(title) - 2) AS i) || ('${GUILD_KEY}' || guild) $$`,
          // A short pending list: each search reads all of it (the default, 4 MB, until a vacuum); none at all made
          // adding tracks 2.5 times slower.
          'CREATE INDEX IF NOT EXISTS library_tracks_title_keys ON library_tracks USING gin (minidj_title_keys(guild_id, title_lower)) WITH (gin_pending_list_limit = 128)',
          'CREATE INDEX IF NOT EXISTS library_tracks_title_hash ON library_tracks (guild_id, title_lower, hash)',
          'DROP INDEX IF EXISTS library_tracks_title',
          'DROP INDEX IF EXISTS library_tracks_title_trgm',
          // Parallel workers cost more to start than these queries take, on a few shared cores.
          'ALTER TABLE library_tracks SET (parallel_workers = 0)',
        ]
      : [],
    quotaTables(kind),
  ];
}

/** SQLite: titles a trigram search may return before a title-order scan is the cheaper way (a common substring). */
const TRIGRAM_ROWS = 2000;
/** PostgreSQL: the titles looked through in order before a substring is looked up by its trigrams. */
export const SCAN_ROWS = 5000;
/**
 * PostgreSQL: a substring's matches in a guild fetched from the table by trigram before a title-order scan is the
 * cheaper way (a common one, whose first matches are after SCAN_ROWS titles).
 */
export const TRIGRAM_MATCHES = 300;
/** The guild's key among a title's trigrams in minidj_title_keys (never 3 characters long, so never a trigram). */
const GUILD_KEY = 'guild:';

/** Runs the steps not yet run; two processes starting together run each once (SQLite: BEGIN IMMEDIATE; PostgreSQL: a lock). */
async function migrate(sql: SqlClient): Promise<number> {
  const steps = migrations(sql.kind);
  return sql.transaction(async (tx) => {
    if (tx.kind === 'postgres') await tx.run("SELECT pg_advisory_xact_lock(hashtext('minidj library_index'))");
    await tx.run('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)');
    const [row] = await tx.all<{ version: number }>('SELECT max(version) AS version FROM schema_version');
    const from = Number(row?.version ?? 0);
    for (let v = from + 1; v <= steps.length; v++) {
      for (const statement of steps[v - 1]!) await tx.run(statement);
      await tx.run('INSERT INTO schema_version (version) VALUES (?)', [v]);
    }
    return steps.length;
  });
}

const COLUMNS = 'hash, title, bpm, camelot, key_strength';
interface Row {
  hash: string;
  title: string;
  bpm: number;
  camelot: string;
  key_strength: number;
}
type TitledRow = Row & { title_lower: string };
const byTitleLower = (a: TitledRow, b: TitledRow): number =>
  a.title_lower < b.title_lower
    ? -1
    : a.title_lower > b.title_lower
      ? 1
      : a.hash < b.hash
        ? -1
        : a.hash > b.hash
          ? 1
          : 0;
/** A typed string's distinct trigrams, as minidj_title_keys cuts a title (by code point). */
function titleTrigrams(q: string): string[] {
  const points = [...q];
  return [...new Set(points.slice(0, -2).map((_, i) => points.slice(i, i + 3).join('')))];
}
const track = (r: Row): IndexedTrack => ({
  hash: r.hash,
  title: r.title,
  bpm: Number(r.bpm),
  camelot: r.camelot,
  keyStrength: Number(r.key_strength),
});
const likeEscaped = (s: string): string => s.replace(/[\\%_]/g, (c) => `\\${c}`);
/** Rows per INSERT (9 parameters each, well under either server's limit). */
const BATCH = 500;

/** The rows; the disk quota's tables are its base's (sql-quota-index.ts). */
export class SqlLibraryIndex extends SqlQuotaIndex implements LibraryIndex {
  private readonly lookup: AnalysisLookup;
  private readonly closeLookup: () => Promise<void>;
  private constructor(sql: SqlClient, lookup: AnalysisLookup, closeLookup: () => Promise<void>) {
    super(sql);
    this.lookup = lookup;
    this.closeLookup = closeLookup;
  }

  static async open(
    sql: SqlClient,
    lookup: AnalysisLookup,
    closeLookup: () => Promise<void>,
  ): Promise<SqlLibraryIndex> {
    try {
      await migrate(sql);
      return new SqlLibraryIndex(sql, lookup, closeLookup);
    } catch (error) {
      // Best effort: the error that stopped the open is the one thrown.
      await sql.close().catch(() => undefined);
      await closeLookup().catch(() => undefined); // likewise
      throw error;
    }
  }

  async add(guildId: string, tracks: readonly IndexedTrack[], addedBy?: string): Promise<void> {
    const at = new Date().toISOString();
    for (let i = 0; i < tracks.length; i += BATCH) {
      const chunk = tracks.slice(i, i + BATCH);
      const values = chunk.map(() => '(?, ?, ?, ?, ?, ?, ?, ?, ?)').join(', ');
      const params = chunk.flatMap((t) => [
        guildId,
        t.hash,
        t.title,
        t.title.toLowerCase(),
        t.bpm,
        t.camelot,
        t.keyStrength,
        addedBy ?? null,
        at,
      ]);
      await this.sql.run(
        `INSERT INTO library_tracks (guild_id, hash, title, title_lower, bpm, camelot, key_strength, added_by, added_at) VALUES ${values} ON CONFLICT (guild_id, hash) DO NOTHING`,
        params,
      );
    }
  }

  async addHashes(
    guildId: string,
    hashes: readonly string[],
    addedBy?: string,
    titles?: ReadonlyMap<string, string>,
  ): Promise<void> {
    for (let i = 0; i < hashes.length; i += BATCH) {
      const records = await this.lookup(hashes.slice(i, i + BATCH));
      await this.add(
        guildId,
        records.flatMap((r) => (r ? [indexedTrack(r, titles?.get(r.hash))] : [])),
        addedBy,
      );
    }
  }

  async removeFrom(guildId: string, hash: string): Promise<void> {
    await this.sql.run('DELETE FROM library_tracks WHERE guild_id = ? AND hash = ?', [guildId, hash]);
  }

  async removeTrack(hash: string): Promise<void> {
    await this.sql.run('DELETE FROM library_tracks WHERE hash = ?', [hash]);
  }

  async refresh(t: IndexedTrack): Promise<void> {
    await this.sql.run('UPDATE library_tracks SET bpm = ?, camelot = ?, key_strength = ? WHERE hash = ?', [
      t.bpm,
      t.camelot,
      t.keyStrength,
      t.hash,
    ]);
  }

  async libraryOwners(hashes: readonly string[]): Promise<Map<string, string[]>> {
    const owners = new Map<string, string[]>();
    const unique = [...new Set(hashes)];
    for (let i = 0; i < unique.length; i += BATCH) {
      const chunk = unique.slice(i, i + BATCH);
      const rows = await this.sql.all<{ guild_id: string; hash: string }>(
        `SELECT guild_id, hash FROM library_tracks WHERE hash IN (${chunk.map(() => '?').join(', ')}) ORDER BY hash, guild_id`,
        chunk,
      );
      for (const r of rows) owners.set(r.hash, [...(owners.get(r.hash) ?? []), r.guild_id]);
    }
    return owners;
  }

  /** The same query on the server's rows and the shared library's, merged (a track in both once). */
  private async both(
    guildId: string,
    where: string,
    params: readonly unknown[],
    order: string,
    limit: number,
    index?: 'title' | 'bpm',
  ): Promise<IndexedTrack[]> {
    // SQLite has no statistics until ANALYZE: it may walk the primary key for `ORDER BY hash` past every row of a
    // large library, so the index is named where a title or tempo is looked up.
    const from =
      index && this.sql.kind === 'sqlite' ? `library_tracks INDEXED BY library_tracks_${index}` : 'library_tracks';
    const sql = `SELECT ${COLUMNS} FROM ${from} WHERE guild_id = ? AND ${where} ORDER BY ${order} LIMIT ?`;
    const ids = guildId === SHARED_GUILD ? [SHARED_GUILD] : [guildId, SHARED_GUILD];
    const parts = await Promise.all(ids.map((id) => this.sql.all<Row>(sql, [id, ...params, limit])));
    return uniqueByHash(parts.flat().map(track));
  }

  async search(guildId: string, typed: string, limit = SEARCH_LIMIT): Promise<IndexedTrack[]> {
    const q = typed.trim().toLowerCase();
    const byTitle = (a: IndexedTrack, b: IndexedTrack) =>
      a.title.toLowerCase() < b.title.toLowerCase()
        ? -1
        : a.title.toLowerCase() > b.title.toLowerCase()
          ? 1
          : a.hash.localeCompare(b.hash);
    if (q === '')
      return (await this.both(guildId, '1 = 1', [], 'title_lower', limit, 'title')).sort(byTitle).slice(0, limit);
    const end = prefixEnd(q);
    const prefix = (
      await this.both(guildId, 'title_lower >= ? AND title_lower < ?', [q, end], 'title_lower', limit, 'title')
    )
      .sort(byTitle)
      .slice(0, limit);
    if (prefix.length >= limit) return prefix;
    const rest = await this.containing(
      guildId,
      q,
      limit - prefix.length,
      `AND NOT (title_lower >= ? AND title_lower < ?)`,
      [q, end],
    );
    return uniqueByHash([...prefix, ...rest.sort(byTitle)]).slice(0, limit);
  }

  /**
   * Titles containing `q`, by title. SQLite: a rare substring (≥ 3 characters, at most TRIGRAM_ROWS titles in all
   * libraries) is looked up in the trigram index; a common one is found at once by a scan in title order.
   */
  private async containing(
    guildId: string,
    q: string,
    limit: number,
    extra = '',
    extraParams: readonly unknown[] = [],
  ): Promise<IndexedTrack[]> {
    if (this.sql.kind === 'sqlite' && [...q].length >= 3) {
      const match = `"${q.replace(/"/g, '""')}"`;
      const hits = await this.sql.all<{ rowid: number }>(
        'SELECT rowid FROM library_titles WHERE library_titles MATCH ? LIMIT ?',
        [match, TRIGRAM_ROWS + 1],
      );
      if (hits.length <= TRIGRAM_ROWS) {
        if (hits.length === 0) return [];
        // By rowid, the few titles found (`+guild_id`: not by a walk of the guild's rows in title order).
        const ids = hits.map((h) => h.rowid);
        const sql = `SELECT ${COLUMNS} FROM library_tracks WHERE rowid IN (${ids.map(() => '?').join(', ')}) AND +guild_id IN (?, ?) AND instr(title_lower, ?) > 0 ${extra} ORDER BY title_lower LIMIT ?`;
        const rows = await this.sql.all<Row>(sql, [...ids, guildId, SHARED_GUILD, q, ...extraParams, limit * 2]);
        return uniqueByHash(rows.map(track)).slice(0, limit);
      }
    }
    if (this.sql.kind === 'postgres') {
      const ids = guildId === SHARED_GUILD ? [SHARED_GUILD] : [guildId, SHARED_GUILD];
      const rows = (await Promise.all(ids.map((id) => this.containingPg(id, q, limit, extra, extraParams)))).flat();
      return uniqueByHash(rows.sort(byTitleLower).map(track)).slice(0, limit);
    }
    return this.both(guildId, `instr(title_lower, ?) > 0 ${extra}`, [q, ...extraParams], 'title_lower', limit, 'title');
  }

  /**
   * PostgreSQL, one guild's rows: the first SCAN_ROWS titles in order, where a common substring is found (and a small
   * library whole); else its matches by trigram when there are at most TRIGRAM_MATCHES; else the titles after the
   * first in order, those matches being common enough for the scan to stop soon. Each step is bounded: a weak trigram
   * (`t -`) or a substring common overall but absent from the first titles is no longer thousands of rows fetched to
   * be sorted.
   */
  private async containingPg(
    id: string,
    q: string,
    limit: number,
    extra: string,
    extraParams: readonly unknown[],
  ): Promise<TitledRow[]> {
    const filter = `title_lower LIKE ? ESCAPE '\\' ${extra}`;
    const params = [`%${likeEscaped(q)}%`, ...extraParams];
    const order = 'ORDER BY title_lower, hash';
    const rowColumns = COLUMNS.split(', ')
      .map((c) => `r.${c}`)
      .join(', ');
    // Index-only scans in title order (the inner LIMIT keeps that plan: without it, a substring estimated rare is
    // planned as a scan of every row and a sort), the filter on the index's tuples; rows read for the matches alone.
    // The first scan also returns its last title (n = SCAN_ROWS), where the second starts: none, the library was whole.
    const head = await this.sql.all<TitledRow & { hit: boolean; n: string }>(
      `SELECT ${rowColumns}, m.title_lower, m.hit, m.n FROM (SELECT * FROM (SELECT hash, title_lower, (${filter}) AS hit, row_number() OVER (${order}) AS n FROM (SELECT hash, title_lower FROM library_tracks WHERE guild_id = ? ${order} LIMIT ?) s) t WHERE hit OR n = ? LIMIT ?) m JOIN library_tracks r ON r.guild_id = ? AND r.hash = m.hash`,
      [...params, id, SCAN_ROWS, SCAN_ROWS, limit, id],
    );
    const first = head.filter((r) => r.hit);
    const edge = head.find((r) => Number(r.n) === SCAN_ROWS);
    if (first.length >= limit || !edge) return first;
    const trigrams = titleTrigrams(q);
    if (trigrams.length > 0) {
      // Only GIN or a scan of every row can answer `@>` on the keys (no `guild_id =` for a btree walk to take).
      const found = await this.sql.all<TitledRow & { found: string }>(
        `SELECT ${COLUMNS}, title_lower, count(*) OVER () AS found FROM (SELECT ${COLUMNS}, title_lower FROM library_tracks WHERE minidj_title_keys(guild_id, title_lower) @> ?::text[] AND ${filter} LIMIT ?) t ${order} LIMIT ?`,
        [[GUILD_KEY + id, ...trigrams], ...params, TRIGRAM_MATCHES + 1, limit],
      );
      if (found.length === 0 || Number(found[0]!.found) <= TRIGRAM_MATCHES) return found;
    }
    const rest = await this.sql.all<TitledRow>(
      `SELECT ${rowColumns}, m.title_lower FROM (SELECT * FROM (SELECT hash, title_lower FROM library_tracks WHERE guild_id = ? AND (title_lower, hash) > (?, ?) ${order} LIMIT ?) t WHERE ${filter} LIMIT ?) m JOIN library_tracks r ON r.guild_id = ? AND r.hash = m.hash`,
      [id, edge.title_lower, edge.hash, 2 ** 31 - 1, ...params, limit - first.length, id],
    );
    return [...first, ...rest];
  }

  async find(guildId: string, query: string): Promise<IndexedTrack | undefined> {
    const q = query.trim().toLowerCase();
    if (q === '') return undefined;
    const exact = (await this.both(guildId, 'title_lower = ?', [q], 'title_lower, hash', 1, 'title')).sort((a, b) =>
      a.hash.localeCompare(b.hash),
    );
    if (exact[0]) return exact[0];
    if (q.length >= MIN_HASH_PREFIX && /^[0-9a-f]+$/.test(q)) {
      const byHash = await this.both(guildId, 'hash >= ? AND hash < ?', [q, prefixEnd(q)], 'hash', 2);
      if (byHash.length === 1) return byHash[0];
    }
    const partial = await this.containing(guildId, q, 2);
    return partial.length === 1 ? partial[0] : undefined;
  }

  async visible(guildId: string, hashes: readonly string[]): Promise<Set<string>> {
    return new Set((await this.titles(guildId, hashes)).keys());
  }

  async titles(guildId: string, hashes: readonly string[]): Promise<Map<string, string>> {
    const found = new Map<string, string>();
    for (let i = 0; i < hashes.length; i += BATCH) {
      const chunk = hashes.slice(i, i + BATCH);
      const rows = await this.sql.all<{ guild_id: string; hash: string; title: string }>(
        `SELECT guild_id, hash, title FROM library_tracks WHERE guild_id IN (?, ?) AND hash IN (${chunk.map(() => '?').join(', ')})`,
        [guildId, SHARED_GUILD, ...chunk],
      );
      for (const r of rows) if (r.guild_id === guildId || !found.has(r.hash)) found.set(r.hash, r.title);
    }
    return found;
  }

  async candidates(
    guildId: string,
    bpm: number,
    limit = CANDIDATE_LIMIT,
    exclude: ReadonlySet<string> = new Set(),
  ): Promise<IndexedTrack[]> {
    const want = limit + exclude.size;
    const nearest = (rows: IndexedTrack[]) =>
      uniqueByHash(rows)
        .filter((r) => !exclude.has(r.hash))
        .sort((a, b) => tempoDistance(a.bpm, bpm) - tempoDistance(b.bpm, bpm) || a.hash.localeCompare(b.hash))
        .slice(0, limit);
    // A library this small is scored whole, as before the index.
    const all = await this.page(guildId, undefined, want + 1);
    if (all.length <= want || !(bpm > 0)) return nearest(all);
    let found: IndexedTrack[] = [];
    for (let window = TEMPO_WINDOW; window <= 1; window *= 2) {
      const reads = tempoCentres(bpm).flatMap((c) => [
        this.both(guildId, 'bpm >= ? AND bpm <= ?', [c, c * (1 + window)], 'bpm', want, 'bpm'),
        this.both(guildId, 'bpm < ? AND bpm >= ?', [c, c / (1 + window)], 'bpm DESC', want, 'bpm'),
      ]);
      found = nearest((await Promise.all(reads)).flat());
      if (found.length >= limit) return found;
    }
    return found;
  }

  async page(guildId: string, after: string | undefined, limit: number, sharedOnly = false): Promise<IndexedTrack[]> {
    const rows = await this.both(sharedOnly ? SHARED_GUILD : guildId, 'hash > ?', [after ?? ''], 'hash', limit);
    return rows.sort((a, b) => a.hash.localeCompare(b.hash)).slice(0, limit);
  }

  async imported(step = 'keyv-import'): Promise<boolean> {
    return (await this.sql.all('SELECT value FROM library_meta WHERE key = ?', [step])).length > 0;
  }

  async markImported(step = 'keyv-import'): Promise<void> {
    await this.sql.run('INSERT INTO library_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING', [
      step,
      new Date().toISOString(),
    ]);
  }

  async close(): Promise<void> {
    await this.sql.close();
    await this.closeLookup();
  }
}
