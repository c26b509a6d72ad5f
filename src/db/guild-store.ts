import type { AnalysisStore } from './analysis-store.ts';
import { openGuildStateBackend } from './guild-state-backend.ts';
import type { GuildStateBackend, StoredGuildState } from './guild-state-backend.ts';
import { heldIn } from './held-tracks.ts';
import { addToLibrary } from './library-adds.ts';
import { acquireLibraryIndex } from './library-index.ts';
import type { LibraryIndex } from './library-index.ts';
import { migrateStore } from './migration-2026-12-07.ts';
import { storeTarget } from './open-keyv.ts';
import type { OrderMode } from '../audio/set/order-mode.ts';
import type { SongsMode, TransitionBars } from '../audio/transition/mix-style.ts';
import type { StoreTarget } from './open-keyv.ts';
import { SERVER_SETTINGS } from '../util/add-policy.ts';
import { setting } from '../util/config.ts';

export interface PlaylistEntry {
  /** Unique per entry: the same track may be queued again after it played. */
  id: string;
  /** Content hash of the analysed track. */
  hash: string;
  title: string;
  requesterId: string;
  addedAt: string;
  /**
   * The link it was downloaded from (uploads: the attachment's) as its digest (src/bot/playlist/stored-link.ts), so the same
   * link is not fetched twice; a record written before the digest holds the link itself.
   */
  source?: string;
}

/** An add accepted before its download: it holds the member's place under the limits until it lands or fails. */
export interface PendingAdd {
  id: string;
  requesterId: string;
  /** The link being fetched, as its digest (as PlaylistEntry.source). */
  source: string;
  at: string;
  /** When its job last said it still runs (absent: never yet); it lapses some minutes after (queue-operations.ts). */
  renewedAt?: string;
  /** The track's content hash, once its bytes are downloaded: it is held from then on (the disk quota keeps it). */
  hash?: string;
}

export interface GuildSettings {
  djRoleId?: string;
  maxQueuePerMember: number;
  maxAddsPerMinute: number;
  order: OrderMode;
  /** Minutes a set stays in an empty channel (paused) before it leaves; absent: 24/7, it stays until someone joins. */
  stayMinutes?: number;
  /** Minutes a set paused with /djset pause waits to be resumed before it leaves. */
  pauseMinutes?: number;
  /** Whole songs or DJ cuts; absent: DJ cuts. */
  songs?: SongsMode;
  /** Transition length in bars; absent: the planner's choice for each pair. */
  transitionBars?: TransitionBars;
  /** How transitions are announced: in the set's panel only (absent: the default), a line each, or a thread. */
  announce?: AnnounceMode;
}

export const ANNOUNCE_MODES = ['panel', 'line', 'thread'] as const;
export type AnnounceMode = (typeof ANNOUNCE_MODES)[number];

/** A live set, saved as it plays so a restart can resume it. */
export interface LiveSession {
  voiceChannelId: string;
  /** Where "now mixing" messages go. */
  textChannelId: string;
  order: OrderMode;
  startedAt: string;
  /** The track playing and where in it (track seconds), saved every few seconds. */
  current: { hash: string; title: string; requesterId?: string; positionSec: number; savedAt: string };
  /** The track picked to play after it (its transition may be rendering): held, so the disk quota leaves it. */
  nextHash?: string;
  /** The set's panel message in the text channel: the same message is edited after a restart. */
  panelMessageId?: string;
  /** The thread transitions are announced in (the `thread` setting). */
  threadId?: string;
}

/** Where a live set's song was heard, saved every few seconds beside the record (StoredGuildState.position). */
export interface SavedPosition {
  hash: string;
  positionSec: number;
  savedAt: string;
}

/**
 * The session with a saved position laid over it: one saved after the session's own, of the song it still plays (a
 * position of an earlier song, or of a session that ended, says nothing any more).
 */
function withSavedPosition(state: GuildState, saved: string | undefined): GuildState {
  const current = state.session?.current;
  if (!saved || !current) return state;
  const position = JSON.parse(saved) as SavedPosition;
  if (position.hash !== current.hash || position.savedAt <= current.savedAt) return state;
  return {
    ...state,
    session: {
      ...state.session!,
      current: { ...current, positionSec: position.positionSec, savedAt: position.savedAt },
    },
  };
}

/** A transition the set played, for the 👍/👎 buttons and for skips that judge it. */
export interface PlayedTransition {
  id: string;
  fromHash: string;
  toHash: string;
  fromTitle: string;
  toTitle: string;
  at: string;
  /** 👍/👎 by member (a second vote replaces the first). */
  votes?: Record<string, 'up' | 'down'>;
  /** Listeners skipped out of the song it led into. */
  skipped?: boolean;
}

/** One song the set played. */
export interface HistoryEntry {
  hash: string;
  playedAt: string;
  /** When its playlist entry was added; absent for library picks. */
  addedAt?: string;
  title?: string;
  /** Who queued it; absent for library picks. */
  requesterId?: string;
  /** The transition that led into it (absent for a set's first song). */
  transitionId?: string;
}

export interface GuildState {
  guildId: string;
  playlist: PlaylistEntry[];
  settings: GuildSettings;
  /** Oldest first, at most HISTORY_LIMIT entries. */
  history: HistoryEntry[];
  /** Recent successful adds, for the per-member rate limit; entries older than a minute may be pruned. */
  recentAdds: { requesterId: string; at: string }[];
  /** Downloads in flight, counted by the limits before a byte is fetched. */
  pendingAdds: PendingAdd[];
  /**
   * Tracks to put in this server's library. An update adds hashes here (see withTrack); the store moves them into the
   * library index (src/db/library-index.ts), the one place a library is read from, and keeps none in the record, so
   * the record stays small however large the library grows. Reads as [] — except a record from before the index,
   * which still holds its list until its first write (the index imported it when the store first opened).
   */
  library: string[];
  setStarterId?: string;
  session?: LiveSession;
  /** Newest last, at most TRANSITIONS_LIMIT. */
  transitions: PlayedTransition[];
  /** Bumped by every write. */
  version: number;
}

const sameSet = (a: ReadonlySet<string>, b: ReadonlySet<string>): boolean =>
  a.size === b.size && [...a].every((h) => b.has(h));

export const HISTORY_LIMIT = 500;
const TRANSITIONS_LIMIT = 50;

export function defaultGuildSettings(): GuildSettings {
  const { maxQueuePerMember, maxAddsPerMinute, pauseMinutes } = SERVER_SETTINGS;
  return {
    maxQueuePerMember: maxQueuePerMember.default,
    maxAddsPerMinute: maxAddsPerMinute.default,
    order: 'smart',
    pauseMinutes: pauseMinutes.default,
  };
}

export function defaultGuildState(guildId: string): GuildState {
  return {
    guildId,
    playlist: [],
    settings: defaultGuildSettings(),
    history: [],
    recentAdds: [],
    pendingAdds: [],
    library: [],
    transitions: [],
    version: 0,
  };
}

/** Fills fields a record written by an older version lacks. */
function normalize(guildId: string, stored: Partial<GuildState> | undefined): GuildState {
  const defaults = defaultGuildState(guildId);
  if (!stored) return defaults;
  return {
    ...defaults,
    ...stored,
    guildId,
    settings: { ...defaults.settings, ...stored.settings },
    library: stored.library ?? libraryOfOldRecord(stored),
  };
}

/** A record from before per-server libraries: the server owns the tracks its playlist, history, session and transitions name. */
function libraryOfOldRecord(stored: Partial<GuildState>): string[] {
  const hashes = new Set<string>();
  for (const e of stored.playlist ?? []) hashes.add(e.hash);
  for (const h of stored.history ?? []) hashes.add(h.hash);
  for (const t of stored.transitions ?? []) hashes.add(t.fromHash).add(t.toHash);
  if (stored.session) hashes.add(stored.session.current.hash);
  return [...hashes];
}

/** Conflicting writes in a row before an update gives up (each retry re-runs `fn` on the state that won). */
export const UPDATE_ATTEMPTS = 50;

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Each server's playlist, settings and history as one value per guild, so every update is one atomic write.
 * A write goes through only if the guild's version is still the one its update read (compare-and-set), so any
 * number of processes can share one store; within a process, updates to a guild also queue, so they rarely clash.
 */
export class GuildStore {
  private readonly backend: GuildStateBackend;
  private readonly chains = new Map<string, Promise<unknown>>();
  /** The index opened with this store, on its own target. */
  private readonly ownIndex: LibraryIndex;
  /** The servers' libraries, queried; kept in step with the hashes each write adds to `library`. */
  libraryIndex: LibraryIndex;
  readonly target: StoreTarget;

  private constructor(backend: GuildStateBackend, libraryIndex: LibraryIndex, target: StoreTarget) {
    this.backend = backend;
    this.ownIndex = libraryIndex;
    this.libraryIndex = libraryIndex;
    this.target = target;
  }

  static async open(dbSetting = setting('MINIDJ_DB')): Promise<GuildStore> {
    const target = storeTarget(dbSetting);
    const backend = await openGuildStateBackend(target);
    let store: GuildStore;
    try {
      store = new GuildStore(backend, await acquireLibraryIndex(target), target);
    } catch (error) {
      await backend.close();
      throw error;
    }
    try {
      await store.migrate(target);
    } catch (error) {
      await store.close();
      throw error;
    }
    return store;
  }

  private migrate(sharedTarget: StoreTarget): Promise<void> {
    return migrateStore({
      guildTarget: this.target,
      backend: this.backend,
      index: this.libraryIndex,
      sharedTarget,
      state: (guildId) => this.get(guildId),
    });
  }

  /**
   * Libraries live with the analyses: when the analysis store is on another target than this one (tests keep them in
   * two files), the tracks this store's writes add go to the analysis store's index, migrated there once.
   */
  async useLibraryOf(analyses: AnalysisStore): Promise<void> {
    if (analyses.target.uri === this.target.uri || this.libraryIndex === analyses.library) return;
    this.libraryIndex = analyses.library;
    await this.migrate(analyses.target);
  }

  /** The guild's state; defaults for a guild never seen. */
  async get(guildId: string): Promise<GuildState> {
    return (await this.load(guildId)).state;
  }

  /**
   * Runs `fn` on the current state, as just read, after every earlier update to this guild in this process has
   * finished, and writes what it returns with `version` bumped. If another process wrote first, `fn` runs again on its
   * result, so `fn` must only compute the new state (a caller keeps what its last run decided); what it changes in the
   * state it is given is not written unless it returns it.
   * When the result equals the current state nothing is written, so a refused operation leaves the store (and
   * `version`) exactly as it was. If `fn` throws, nothing is written.
   */
  update(guildId: string, fn: (state: GuildState) => GuildState | Promise<GuildState>): Promise<GuildState> {
    const previous = this.chains.get(guildId) ?? Promise.resolve();
    const run = previous.then(() => this.apply(guildId, fn));
    // The caller has `run` and its error; the guild's next update runs either way.
    const tail = run.catch(() => undefined);
    this.chains.set(guildId, tail);
    void tail.then(() => {
      if (this.chains.get(guildId) === tail) this.chains.delete(guildId);
    });
    return run;
  }

  private async apply(
    guildId: string,
    fn: (state: GuildState) => GuildState | Promise<GuildState>,
  ): Promise<GuildState> {
    const indexed = new Set<string>();
    for (let attempt = 1; attempt <= UPDATE_ATTEMPTS; attempt++) {
      const { state: current, stored } = await this.load(guildId);
      const version = current.version + 1;
      // Taken before `fn` sees the state (no copy of it is made: a record is rewritten at every track change and
      // position save, and each pass over it holds the event loop), as are the tracks it holds.
      const unchanged = JSON.stringify({ ...current, library: [], version });
      const libraryBefore = [...current.library];
      const before = new Set(libraryBefore);
      const heldBefore = heldIn(current);
      const proposed = await fn(current);
      const next: GuildState = {
        ...proposed,
        guildId,
        version,
        library: [],
        history: proposed.history.slice(-HISTORY_LIMIT),
        transitions: proposed.transitions.slice(-TRANSITIONS_LIMIT),
      };
      // A record from before the index drops its list at its first write: the index has had it since the import.
      const added = proposed.library.filter((h) => !before.has(h) && !indexed.has(h));
      // The index first: a process that dies between the two writes leaves a track in the library whose playlist
      // entry was never written (as a refused add does), never an entry whose track the library lacks (which the next
      // pick would drop as unplayable).
      await addToLibrary(this.libraryIndex, guildId, next.playlist, added);
      for (const h of added) indexed.add(h);
      // Nothing but the library changed: no write (a refused operation leaves the record, and `version`, as they were).
      const value = JSON.stringify(next);
      if (value === unchanged) return { ...next, version: current.version, library: libraryBefore };
      const heldAfter = heldIn(next);
      const holdsChanged = !sameSet(heldBefore, heldAfter);
      // Noted before the write, dropped after it: the index never lacks a track the stored state holds.
      if (holdsChanged)
        await this.libraryIndex.noteHolds(
          guildId,
          version,
          [...heldAfter].filter((h) => !heldBefore.has(h)),
        );
      if (await this.backend.write(guildId, stored?.version, { version, value })) {
        if (holdsChanged) await this.libraryIndex.dropHolds(guildId, version, [...heldAfter]);
        return next;
      }
      await pause(Math.random() * Math.min(2 ** attempt, 50));
    }
    throw new Error(
      `Guild ${guildId}: another process changed the state first ${UPDATE_ATTEMPTS} times in a row; the update was not written.`,
    );
  }

  /**
   * Saves where the set's song is heard without rewriting the record (nor bumping `version`): `get` and `update` read
   * it over the session while it is newer than the session's own and of the song the session still plays.
   */
  async savePosition(guildId: string, position: SavedPosition): Promise<void> {
    await this.backend.writePosition(guildId, JSON.stringify(position));
  }

  /** The stored state (undefined: none yet). */
  private async load(guildId: string): Promise<{ state: GuildState; stored?: StoredGuildState }> {
    const stored = await this.backend.read(guildId);
    if (!stored) return { state: normalize(guildId, undefined) };
    const state = withSavedPosition(
      { ...normalize(guildId, JSON.parse(stored.value) as Partial<GuildState>), version: stored.version },
      stored.position,
    );
    return { state, stored };
  }

  /** Every guild with a stored state. */
  guildIds(): Promise<string[]> {
    return this.backend.guildIds();
  }

  /**
   * The servers holding each track now: waiting in its playlist, playing or about to play in its set, or an add of it
   * pending (downloaded, not yet in the playlist). Reads every server's state.
   */
  async trackHolds(nowMs = Date.now()): Promise<Map<string, Set<string>>> {
    const holds = new Map<string, Set<string>>();
    for (const id of await this.guildIds()) {
      for (const hash of heldIn(await this.get(id), nowMs)) holds.set(hash, (holds.get(hash) ?? new Set()).add(id));
    }
    return holds;
  }

  /** trackHolds for these tracks alone: reads only the states of the servers the index says may hold them. */
  async holdsOf(hashes: readonly string[], nowMs = Date.now()): Promise<Map<string, Set<string>>> {
    const byGuild = new Map<string, string[]>();
    for (const [hash, ids] of await this.libraryIndex.holders(hashes))
      for (const id of ids) byGuild.set(id, [...(byGuild.get(id) ?? []), hash]);
    const holds = new Map<string, Set<string>>();
    for (const [id, maybe] of byGuild) {
      const held = heldIn(await this.get(id), nowMs);
      for (const hash of maybe) if (held.has(hash)) holds.set(hash, (holds.get(hash) ?? new Set()).add(id));
    }
    return holds;
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.chains.values()]);
    await Promise.all([this.backend.close(), this.ownIndex.close()]);
  }
}
