import type Keyv from 'keyv';
import type { TrackAnalysis } from '../audio/analysis/analysis-types.ts';
import { ANALYZER_VERSION } from '../audio/analysis/analyzer-version.ts';
import type { MediaTags } from '../audio/io/media-tags.ts';
import { acquireLibraryIndex, indexedTrack, SHARED_GUILD } from './library-index.ts';
import type { LibraryIndex } from './library-index.ts';
import { openKeyv, storeTarget } from './open-keyv.ts';
import type { StoreTarget } from './open-keyv.ts';
import { setting } from '../util/config.ts';

export interface StoredAnalysis {
  hash: string;
  analyzerVersion: string;
  analyzedAt: string;
  /** Name of the file it was first seen as; the content hash is the identity. */
  sourceName: string;
  bytes: number;
  analysis: TrackAnalysis;
  /** The file's own title, artist and album, as plain text (sanitised; escaped where shown). */
  tags?: MediaTags;
  /** The media rules (src/audio/io/media-rules.ts) the file last passed; absent: stored before there were any. */
  mediaRulesVersion?: number;
}

/**
 * Analyses by content hash. Each record is one value written in one statement, only once the analysis is complete,
 * so an interrupted ingest leaves nothing behind rather than half a record.
 */
export class AnalysisStore {
  readonly target: StoreTarget;
  private readonly keyv: Keyv;
  /** Every server's library and the shared one, queried (src/db/library-index.ts); shared with the guild store. */
  readonly library: LibraryIndex;

  private constructor(keyv: Keyv, library: LibraryIndex, target: StoreTarget) {
    this.keyv = keyv;
    this.library = library;
    this.target = target;
  }

  static async open(dbSetting = setting('MINIDJ_DB')): Promise<AnalysisStore> {
    const target = storeTarget(dbSetting);
    const keyv = await openKeyv(target, 'analysis');
    return new AnalysisStore(keyv, await acquireLibraryIndex(target), target);
  }

  /** The current-version records of these hashes, in the same order; undefined where there is none. */
  async getMany(hashes: readonly string[]): Promise<(StoredAnalysis | undefined)[]> {
    if (hashes.length === 0) return [];
    const records = (await this.keyv.getMany([...hashes])) as (StoredAnalysis | undefined)[];
    return records.map((r) => (r && r.analyzerVersion === ANALYZER_VERSION ? r : undefined));
  }

  /** Hashes in the shared library, from the index. */
  async sharedHashes(): Promise<string[]> {
    const hashes: string[] = [];
    for (
      let page = await this.library.page(SHARED_GUILD, undefined, 1000, true);
      page.length > 0;
      page = await this.library.page(SHARED_GUILD, page.at(-1)!.hash, 1000, true)
    ) {
      hashes.push(...page.map((t) => t.hash));
    }
    return hashes;
  }

  /** Puts a stored track in the shared library (or takes it out); the operator's command, not a member's. */
  async setShared(hash: string, shared: boolean): Promise<void> {
    if (shared) await this.library.addHashes(SHARED_GUILD, [hash]);
    else await this.library.removeFrom(SHARED_GUILD, hash);
  }

  /** The stored analysis, or undefined when there is none or it was made by another analyzer version. */
  async get(hash: string): Promise<StoredAnalysis | undefined> {
    const record = (await this.keyv.get(hash)) as StoredAnalysis | undefined;
    if (!record || record.analyzerVersion !== ANALYZER_VERSION) return undefined;
    return record;
  }

  async put(record: Omit<StoredAnalysis, 'analyzerVersion' | 'analyzedAt'>): Promise<StoredAnalysis> {
    if (record.analysis.analyzerVersion !== ANALYZER_VERSION)
      throw new Error('refusing to store an analysis from another analyzer version');
    const full: StoredAnalysis = { ...record, analyzerVersion: ANALYZER_VERSION, analyzedAt: new Date().toISOString() };
    // A track analysed again (a new analyzer version) keeps its rows, with its new tempo and key; the rows first, so
    // a process that dies between the two writes leaves the old record, which reads as none and is analysed again.
    await this.library.refresh(indexedTrack(full));
    await this.keyv.set(record.hash, full);
    return full;
  }

  /**
   * Notes that a stored track passed the current media rules, with the tags read then. The analysis and the index rows
   * are not touched (nothing they hold changed).
   */
  async markVetted(
    record: StoredAnalysis,
    vetted: { tags: MediaTags; mediaRulesVersion: number },
  ): Promise<StoredAnalysis> {
    const full: StoredAnalysis = { ...record, tags: vetted.tags, mediaRulesVersion: vetted.mediaRulesVersion };
    await this.keyv.set(record.hash, full);
    return full;
  }

  /** Removes the analysis, and the track from every library (the quota's removals). */
  async delete(hash: string): Promise<boolean> {
    await this.library.removeTrack(hash);
    return this.keyv.delete(hash);
  }

  /** Every current-version record (for library-wide features: suggest, ordering). */
  async *entries(): AsyncGenerator<StoredAnalysis> {
    if (!this.keyv.iterator) throw new Error(`the ${this.target.kind} store cannot list its records`);
    for await (const [, value] of this.keyv.iterator(undefined)) {
      const record = value as StoredAnalysis;
      if (record?.analyzerVersion === ANALYZER_VERSION) yield record;
    }
  }

  async close(): Promise<void> {
    await this.library.close();
    await this.keyv.disconnect();
  }
}
