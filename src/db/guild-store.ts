import type Keyv from 'keyv';
import { openKeyv, storeTarget } from './open-keyv.ts';

export interface PlaylistEntry {
  /** Unique per entry: the same track may be queued again after it played. */
  id: string;
  /** Content hash of the analysed track. */
  hash: string;
  title: string;
  requesterId: string;
  addedAt: string;
}

export interface GuildSettings {
  djRoleId?: string;
  maxQueuePerMember: number;
  maxAddsPerMinute: number;
  order: 'smart' | 'queue';
}

/** A live set, saved as it plays so a restart can resume it. */
export interface LiveSession {
  voiceChannelId: string;
  /** Where "now mixing" messages go. */
  textChannelId: string;
  order: 'smart' | 'queue';
  startedAt: string;
  /** The track playing and where in it (track seconds), saved every few seconds. */
  current: { hash: string; title: string; requesterId?: string; positionSec: number; savedAt: string };
}

/** A transition the set played, for the 👍/👎 buttons and for skips that judge it. */
export interface PlayedTransition {
  id: string;
  fromHash: string;
  toHash: string;
  fromTitle: string;
  toTitle: string;
  at: string;
}

export interface GuildState {
  guildId: string;
  playlist: PlaylistEntry[];
  settings: GuildSettings;
  /** Oldest first, at most HISTORY_LIMIT entries. */
  history: { hash: string; playedAt: string; /** When its playlist entry was added; absent for library picks. */ addedAt?: string }[];
  /** Recent successful adds, for the per-member rate limit; entries older than a minute may be pruned. */
  recentAdds: { requesterId: string; at: string }[];
  setStarterId?: string;
  session?: LiveSession;
  /** Newest last, at most TRANSITIONS_LIMIT. */
  transitions: PlayedTransition[];
  /** Bumped by every write. */
  version: number;
}

export const HISTORY_LIMIT = 500;
export const TRANSITIONS_LIMIT = 50;

export function defaultGuildSettings(): GuildSettings {
  return { maxQueuePerMember: 10, maxAddsPerMinute: 5, order: 'smart' };
}

export function defaultGuildState(guildId: string): GuildState {
  return { guildId, playlist: [], settings: defaultGuildSettings(), history: [], recentAdds: [], transitions: [], version: 0 };
}

/** Fills fields a record written by an older version lacks. */
function normalize(guildId: string, stored: Partial<GuildState> | undefined): GuildState {
  const defaults = defaultGuildState(guildId);
  if (!stored) return defaults;
  return { ...defaults, ...stored, guildId, settings: { ...defaults.settings, ...stored.settings } };
}

/**
 * Each server's playlist, settings and history as one value per guild, so every update is one atomic write.
 * Updates to the same guild are serialized within this process; several processes sharing one store are not.
 */
export class GuildStore {
  private readonly keyv: Keyv;
  private readonly chains = new Map<string, Promise<unknown>>();

  private constructor(keyv: Keyv) {
    this.keyv = keyv;
  }

  static async open(setting = process.env.MINIDJ_DB): Promise<GuildStore> {
    return new GuildStore(await openKeyv(storeTarget(setting), 'guild'));
  }

  /** The guild's state; defaults for a guild never seen. */
  async get(guildId: string): Promise<GuildState> {
    return normalize(guildId, (await this.keyv.get(guildId)) as Partial<GuildState> | undefined);
  }

  /**
   * Runs `fn` on a copy of the current state after every earlier update to this guild has finished, and writes
   * what it returns with `version` bumped. When the result equals the current state nothing is written, so a
   * refused operation leaves the store (and `version`) exactly as it was. If `fn` throws, nothing is written.
   */
  update(guildId: string, fn: (state: GuildState) => GuildState | Promise<GuildState>): Promise<GuildState> {
    const previous = this.chains.get(guildId) ?? Promise.resolve();
    const run = previous.then(() => this.apply(guildId, fn));
    const tail = run.catch(() => undefined);
    this.chains.set(guildId, tail);
    void tail.then(() => {
      if (this.chains.get(guildId) === tail) this.chains.delete(guildId);
    });
    return run;
  }

  private async apply(guildId: string, fn: (state: GuildState) => GuildState | Promise<GuildState>): Promise<GuildState> {
    const current = await this.get(guildId);
    const proposed = await fn(structuredClone(current));
    const next: GuildState = { ...proposed, guildId, version: current.version, history: proposed.history.slice(-HISTORY_LIMIT), transitions: proposed.transitions.slice(-TRANSITIONS_LIMIT) };
    if (JSON.stringify(next) === JSON.stringify(current)) return current;
    next.version = current.version + 1;
    await this.keyv.set(guildId, next);
    return next;
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.chains.values()]);
    await this.keyv.disconnect();
  }
}
