import path from 'node:path';
import type Keyv from 'keyv';
import { ANALYZER_VERSION } from '../audio/analysis/analyzer-version.ts';
import type { StoredAnalysis } from './analysis-store.ts';
import { openKeyv } from './open-keyv.ts';
import { taggedTitle } from './tagged-title.ts';
import type { StoreTarget } from './open-keyv.ts';

/** The guild id the shared library's rows are kept under (Discord ids are digits, so it is never a server's). */
export const SHARED_GUILD = '*';
/** Discord's autocomplete shows at most 25 choices. */
export const SEARCH_LIMIT = 25;
/** Candidates scored for `/suggest` and the set's next pick: the best by tempo (half/double time too) and key. */
export const CANDIDATE_LIMIT = 100;
/** The first tempo window (± this fraction), widened twice over until enough candidates are found. */
const TEMPO_WINDOW = 0.08;

/** What the index keeps of a track: enough to show it and to pick candidates, without its analysis. */
export interface IndexedTrack {
  hash: string;
  title: string;
  bpm: number;
  camelot: string;
  keyStrength: number;
}

/** The title a stored track is shown under: the name it was first seen as, without the extension. */
export function libraryTitle(record: Pick<StoredAnalysis, 'sourceName'>): string {
  const ext = path.extname(record.sourceName);
  return ext && ext !== record.sourceName ? record.sourceName.slice(0, -ext.length) : record.sourceName;
}

/**
 * A track's row. Its title is the one a server's member gave it (`title`, when given), else its tags', else the name
 * the file was first seen as: a server's row never takes another server's name for the same bytes.
 */
export function indexedTrack(record: StoredAnalysis, title?: string): IndexedTrack {
  const { bpm, camelot, keyStrength } = record.analysis;
  return {
    hash: record.hash,
    title: title ?? taggedTitle(record.tags) ?? libraryTitle(record),
    bpm: Number.isFinite(bpm) ? bpm : 0,
    camelot: camelot ?? '',
    keyStrength: Number.isFinite(keyStrength) ? keyStrength : 0,
  };
}

/** A kept track's audio as the disk quota counts it: its bytes, its file's name once a recount saw it, when noted. */
export interface NotedAudio {
  hash: string;
  bytes: number;
  /** The file's name in the tracks folder; undefined until a recount finds it (the quota notes audio before it is kept). */
  file?: string;
  notedMs: number;
}

/**
 * What the disk quota (src/library/library-quota.ts) keeps beside the rows, so an add reads its own library rather than
 * every file and every server: the kept audio (noted before a file is kept, forgotten once it is removed, reconciled
 * with the folder by a recount, so every kept file is noted) and which servers may hold each track (noted by the guild
 * store before a write that holds it; a superset, each entry checked against the server's state).
 */
export interface QuotaIndex {
  /** Notes audio as kept; an entry without `file` keeps the name already noted. */
  noteAudio(entries: readonly NotedAudio[]): Promise<void>;
  /** Forgets audio noted at or before `notedByMs` (audio noted again since then stays). */
  forgetAudio(hashes: readonly string[], notedByMs: number): Promise<void>;
  /** The noted audio of these tracks. */
  audio(hashes: readonly string[]): Promise<Map<string, NotedAudio>>;
  /** All noted audio, a batch at a time (for a recount). */
  audioBatches(size: number): AsyncGenerator<NotedAudio[]>;
  /** The bytes of all noted audio. */
  audioBytes(): Promise<number>;
  /** The noted audio of one library's own rows (a server's: not the shared library's). */
  libraryAudio(guildId: string): Promise<NotedAudio[]>;
  /**
   * The noted bytes counted against a library: its rows' and, for a server, the tracks in `held` (less the shared
   * library's, which count against it alone), never `except`'s.
   */
  libraryBytes(guildId: string, held: readonly string[], except: string): Promise<number>;
  /** A write at `version` of the server's state is about to hold these tracks. */
  noteHolds(guildId: string, version: number, hashes: readonly string[]): Promise<void>;
  /** The state written at `version` holds only `kept`: the server's other entries noted at or before it go. */
  dropHolds(guildId: string, version: number, kept: readonly string[]): Promise<void>;
  /** The servers that may hold each of these tracks (absent: none). */
  holders(hashes: readonly string[]): Promise<Map<string, string[]>>;
}

/**
 * Every server's library, queried rather than scanned: a server sees the rows under its guild id and the shared
 * library's (SHARED_GUILD). Reads never load an analysis; callers load only the tracks they need.
 */
export interface LibraryIndex extends QuotaIndex {
  /** Puts analysed tracks in a server's library (or the shared one); a track already there keeps its first row. */
  add(guildId: string, tracks: readonly IndexedTrack[], addedBy?: string): Promise<void>;
  /**
   * Puts stored tracks in a library by hash, reading what the index keeps from their analyses (unanalysed: skipped),
   * each under the title this server's member gave it in `titles` (by hash), else its own (see indexedTrack).
   */
  addHashes(
    guildId: string,
    hashes: readonly string[],
    addedBy?: string,
    titles?: ReadonlyMap<string, string>,
  ): Promise<void>;
  /** Takes a track out of one library (a server's, or the shared one: SHARED_GUILD); the others keep it. */
  removeFrom(guildId: string, hash: string): Promise<void>;
  /** Takes a track out of every library (its audio and analysis are gone). */
  removeTrack(hash: string): Promise<void>;
  /** A re-analysed track's tempo and key, everywhere it is; each row keeps its title (its server's name for it). */
  refresh(track: IndexedTrack): Promise<void>;
  /** The libraries (guild ids; SHARED_GUILD for the shared one) each of these tracks is in; a track in none is absent. */
  libraryOwners(hashes: readonly string[]): Promise<Map<string, string[]>>;
  /** Titles starting with `typed` first, then containing it, case-insensitive, by title; at most `limit`. */
  search(guildId: string, typed: string, limit?: number): Promise<IndexedTrack[]>;
  /**
   * A track by title (exact, case-insensitive), content-hash prefix (at least 6 hex digits), or a title fragment that
   * matches only one track; undefined when nothing (or more than one) matches.
   */
  find(guildId: string, query: string): Promise<IndexedTrack | undefined>;
  /** Which of `hashes` the server may see. */
  visible(guildId: string, hashes: readonly string[]): Promise<Set<string>>;
  /** The title each of `hashes` the server may see has there (its own row's before the shared library's). */
  titles(guildId: string, hashes: readonly string[]): Promise<Map<string, string>>;
  /**
   * The tracks nearest to `bpm` in tempo, counting half and double time, nearest first (every track when the library
   * is that small); never those in `exclude`.
   */
  candidates(guildId: string, bpm: number, limit?: number, exclude?: ReadonlySet<string>): Promise<IndexedTrack[]>;
  /** What a server sees (or the shared library alone), by hash after `after`, at most `limit`. */
  page(guildId: string, after: string | undefined, limit: number, sharedOnly?: boolean): Promise<IndexedTrack[]>;
  /**
   * Whether a one-time step has run on this index: by default the import of the keyv-era libraries (GuildState.library,
   * the shared list).
   */
  imported(step?: string): Promise<boolean>;
  markImported(step?: string): Promise<void>;
  close(): Promise<void>;
}

/** The next string after every string starting with `prefix` (its last code point + 1): the bound of a prefix range. */
export function prefixEnd(prefix: string): string {
  const points = [...prefix];
  const last = points.pop()!.codePointAt(0)!;
  return points.join('') + String.fromCodePoint(last + 1);
}

/** Tempo distance as a fraction, the closest of same, half and double time. */
export function tempoDistance(bpm: number, target: number): number {
  return Math.min(Math.abs(bpm / target - 1), Math.abs((bpm * 2) / target - 1), Math.abs(bpm / (target * 2) - 1));
}

export function tempoCentres(bpm: number): number[] {
  return [bpm, bpm / 2, bpm * 2];
}

export { TEMPO_WINDOW };

/** Keeps the first of each hash, in order. */
export function uniqueByHash(rows: readonly IndexedTrack[]): IndexedTrack[] {
  const seen = new Set<string>();
  return rows.filter((r) => (seen.has(r.hash) ? false : (seen.add(r.hash), true)));
}

export const MIN_HASH_PREFIX = 6;

/** The record lookups an index needs to fill rows by hash. */
export type AnalysisLookup = (hashes: readonly string[]) => Promise<(StoredAnalysis | undefined)[]>;

function lookupIn(keyv: Keyv): AnalysisLookup {
  return async (hashes) => {
    if (hashes.length === 0) return [];
    const records = (await keyv.getMany([...hashes])) as (StoredAnalysis | undefined)[];
    return records.map((r) => (r && r.analyzerVersion === ANALYZER_VERSION ? r : undefined));
  };
}

interface Shared {
  index: Promise<LibraryIndex>;
  refs: number;
}

const open = new Map<string, Shared>();

/**
 * The index for a store, one per process and target (the analysis and guild stores share it): SQL tables in the
 * SQLite file or the PostgreSQL database; on Redis, a hash of rows per library, filtered in memory.
 */
export function acquireLibraryIndex(target: StoreTarget): Promise<LibraryIndex> {
  let shared = open.get(target.uri);
  if (!shared) {
    const index = openLibraryIndex(target);
    shared = { index, refs: 0 };
    open.set(target.uri, shared);
    // Its opener gets the error; forgotten, so the next open tries again.
    index.catch(() => open.delete(target.uri));
  }
  shared.refs++;
  const entry = shared;
  return entry.index.then((index) => ({
    ...bound(index),
    close: async () => {
      if (--entry.refs > 0) return;
      if (open.get(target.uri) === entry) open.delete(target.uri);
      await index.close();
    },
  }));
}

/** The index's methods bound to it, so a handle can replace `close` alone. */
function bound(index: LibraryIndex): LibraryIndex {
  const methods = [
    'add',
    'addHashes',
    'removeFrom',
    'removeTrack',
    'refresh',
    'libraryOwners',
    'search',
    'find',
    'visible',
    'titles',
    'candidates',
    'page',
    'imported',
    'markImported',
    'close',
    'noteAudio',
    'forgetAudio',
    'audio',
    'audioBatches',
    'audioBytes',
    'libraryAudio',
    'libraryBytes',
    'noteHolds',
    'dropHolds',
    'holders',
  ] as const;
  return Object.fromEntries(
    methods.map((m) => [m, (index[m] as (...args: unknown[]) => unknown).bind(index)]),
  ) as unknown as LibraryIndex;
}

async function openLibraryIndex(target: StoreTarget): Promise<LibraryIndex> {
  const analyses = await openKeyv(target, 'analysis');
  const lookup = lookupIn(analyses);
  const closeKeyv = () => analyses.disconnect();
  switch (target.kind) {
    case 'sqlite': {
      const { openSqliteClient } = await import('./sql-client.ts');
      const { SqlLibraryIndex } = await import('./sql-library-index.ts');
      return SqlLibraryIndex.open(await openSqliteClient(target.uri.slice('sqlite://'.length)), lookup, closeKeyv);
    }
    case 'postgres': {
      const { openPostgresClient } = await import('./sql-client.ts');
      const { SqlLibraryIndex } = await import('./sql-library-index.ts');
      return SqlLibraryIndex.open(openPostgresClient(target.uri), lookup, closeKeyv);
    }
    case 'redis': {
      const { RedisLibraryIndex } = await import('./redis-library-index.ts');
      return RedisLibraryIndex.open(target.uri, await openKeyv(target, 'library-index'), lookup, closeKeyv);
    }
  }
}
