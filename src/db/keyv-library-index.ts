import type Keyv from 'keyv';
import { CANDIDATE_LIMIT, indexedTrack, MIN_HASH_PREFIX, SEARCH_LIMIT, SHARED_GUILD, tempoDistance, uniqueByHash } from './library-index.ts';
import type { AnalysisLookup, IndexedTrack, LibraryIndex } from './library-index.ts';

/** Keys of the one-time steps' marks, apart from the libraries' (guild ids). */
const MARK = '\u0000';
const markKey = (step: string): string => (step === 'keyv-import' ? `${MARK}imported` : MARK + step);

/**
 * The index on Redis, which has no SQL: each library's rows are one keyv value, read whole and filtered in memory.
 * Right for small libraries; a large one belongs in PostgreSQL.
 */
export class KeyvLibraryIndex implements LibraryIndex {
  private readonly keyv: Keyv;
  private readonly lookup: AnalysisLookup;
  private readonly closeLookup: () => Promise<void>;

  constructor(keyv: Keyv, lookup: AnalysisLookup, closeLookup: () => Promise<void>) {
    this.keyv = keyv;
    this.lookup = lookup;
    this.closeLookup = closeLookup;
  }

  private async rows(guildId: string): Promise<IndexedTrack[]> {
    return ((await this.keyv.get(guildId)) as IndexedTrack[] | undefined) ?? [];
  }

  private async seen(guildId: string, sharedOnly = false): Promise<IndexedTrack[]> {
    const ids = sharedOnly || guildId === SHARED_GUILD ? [SHARED_GUILD] : [guildId, SHARED_GUILD];
    return uniqueByHash((await Promise.all(ids.map((id) => this.rows(id)))).flat()).sort((a, b) => a.hash.localeCompare(b.hash));
  }

  async add(guildId: string, tracks: readonly IndexedTrack[]): Promise<void> {
    const rows = await this.rows(guildId);
    const have = new Set(rows.map((r) => r.hash));
    const fresh = tracks.filter((t) => !have.has(t.hash));
    if (fresh.length > 0) await this.keyv.set(guildId, [...rows, ...uniqueByHash(fresh)]);
  }

  async addHashes(guildId: string, hashes: readonly string[], _addedBy?: string, titles?: ReadonlyMap<string, string>): Promise<void> {
    const records = await this.lookup(hashes);
    await this.add(guildId, records.flatMap((r) => (r ? [indexedTrack(r, titles?.get(r.hash))] : [])));
  }

  async removeShared(hash: string): Promise<void> {
    const rows = await this.rows(SHARED_GUILD);
    if (rows.some((r) => r.hash === hash)) await this.keyv.set(SHARED_GUILD, rows.filter((r) => r.hash !== hash));
  }

  private async eachLibrary(fn: (guildId: string, rows: IndexedTrack[]) => Promise<void>): Promise<void> {
    if (!this.keyv.iterator) throw new Error('this store cannot list its libraries');
    for await (const [key, value] of this.keyv.iterator(undefined)) {
      if (!String(key).startsWith(MARK)) await fn(String(key), value as IndexedTrack[]);
    }
  }

  async removeTrack(hash: string): Promise<void> {
    await this.eachLibrary(async (id, rows) => {
      if (rows.some((r) => r.hash === hash)) await this.keyv.set(id, rows.filter((r) => r.hash !== hash));
    });
  }

  async refresh(t: IndexedTrack): Promise<void> {
    await this.eachLibrary(async (id, rows) => {
      if (rows.some((r) => r.hash === t.hash)) await this.keyv.set(id, rows.map((r) => (r.hash === t.hash ? { ...t, title: r.title } : r)));
    });
  }

  async search(guildId: string, typed: string, limit = SEARCH_LIMIT): Promise<IndexedTrack[]> {
    const q = typed.trim().toLowerCase();
    return (await this.seen(guildId))
      .map((r) => ({ r, at: r.title.toLowerCase().indexOf(q) }))
      .filter((x) => x.at >= 0)
      .sort((a, b) => Number(a.at !== 0) - Number(b.at !== 0) || (a.r.title.toLowerCase() < b.r.title.toLowerCase() ? -1 : a.r.title.toLowerCase() > b.r.title.toLowerCase() ? 1 : 0))
      .slice(0, limit)
      .map((x) => x.r);
  }

  async find(guildId: string, query: string): Promise<IndexedTrack | undefined> {
    const q = query.trim().toLowerCase();
    if (q === '') return undefined;
    const library = await this.seen(guildId);
    const exact = library.find((r) => r.title.toLowerCase() === q);
    if (exact) return exact;
    if (q.length >= MIN_HASH_PREFIX && /^[0-9a-f]+$/.test(q)) {
      const byHash = library.filter((r) => r.hash.startsWith(q));
      if (byHash.length === 1) return byHash[0];
    }
    const partial = library.filter((r) => r.title.toLowerCase().includes(q));
    return partial.length === 1 ? partial[0] : undefined;
  }

  async visible(guildId: string, hashes: readonly string[]): Promise<Set<string>> {
    return new Set((await this.titles(guildId, hashes)).keys());
  }

  async titles(guildId: string, hashes: readonly string[]): Promise<Map<string, string>> {
    // `seen` keeps the server's own row of a track before the shared library's.
    const seen = new Map((await this.seen(guildId)).map((r) => [r.hash, r.title]));
    return new Map(hashes.flatMap((h) => (seen.has(h) ? [[h, seen.get(h)!] as const] : [])));
  }

  async candidates(guildId: string, bpm: number, limit = CANDIDATE_LIMIT, exclude: ReadonlySet<string> = new Set()): Promise<IndexedTrack[]> {
    return (await this.seen(guildId))
      .filter((r) => !exclude.has(r.hash))
      .sort((a, b) => tempoDistance(a.bpm, bpm) - tempoDistance(b.bpm, bpm) || a.hash.localeCompare(b.hash))
      .slice(0, limit);
  }

  async page(guildId: string, after: string | undefined, limit: number, sharedOnly = false): Promise<IndexedTrack[]> {
    return (await this.seen(guildId, sharedOnly)).filter((r) => after === undefined || r.hash > after).slice(0, limit);
  }

  async imported(step = 'keyv-import'): Promise<boolean> {
    return (await this.keyv.get(markKey(step))) !== undefined;
  }

  async markImported(step = 'keyv-import'): Promise<void> {
    await this.keyv.set(markKey(step), new Date().toISOString());
  }

  async close(): Promise<void> {
    await this.keyv.disconnect();
    await this.closeLookup();
  }
}
