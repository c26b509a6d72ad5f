import type { AnalysisStore } from '../db/analysis-store.ts';
import type { GuildStore } from '../db/guild-store.ts';
import { SHARED_GUILD } from '../db/library-index.ts';
import { TrackStorageError } from '../db/track-files.ts';
import type { TrackFiles } from '../db/track-files.ts';
import { formatBytes } from '../util/format-bytes.ts';
import { holdPendingTrack } from './queue-operations.ts';
import { planRoom, shareOf, usageOf } from './quota-plan.ts';
import type { QuotaLimits, QuotaPlan, QuotaTrack } from './quota-plan.ts';

export type { QuotaLimits };

/** The defaults: the library's audio in all, each server's library, the shared library (gigabytes). */
export const DEFAULT_QUOTA_GB = { total: 20, server: 2, shared: 5 } as const;

function gigabytes(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback * 1e9;
  const gb = Number(raw);
  if (!Number.isFinite(gb) || gb <= 0) throw new Error(`${name} must be a number of gigabytes above 0, got "${raw}".`);
  return gb * 1e9;
}

/** `MINIDJ_MAX_LIBRARY_GB`, `MINIDJ_SERVER_LIBRARY_GB`, `MINIDJ_SHARED_LIBRARY_GB`, with the defaults. */
export function quotaLimitsFromEnv(env: NodeJS.ProcessEnv = process.env): QuotaLimits {
  return {
    totalBytes: gigabytes(env, 'MINIDJ_MAX_LIBRARY_GB', DEFAULT_QUOTA_GB.total),
    serverBytes: gigabytes(env, 'MINIDJ_SERVER_LIBRARY_GB', DEFAULT_QUOTA_GB.server),
    sharedBytes: gigabytes(env, 'MINIDJ_SHARED_LIBRARY_GB', DEFAULT_QUOTA_GB.shared),
  };
}

/** The figures `/metrics` reports. */
export interface LibraryUsageFigures {
  limits: QuotaLimits;
  totalBytes: number;
  sharedBytes: number;
  /** Servers with something counted against their share, the largest of them, and how many are at their share. */
  servers: number;
  largestServerBytes: number;
  serversFull: number;
}

/** A track's way into a library: whose (a guild id, or SHARED_GUILD), and the pending add it belongs to, if any. */
export interface IncomingTrack {
  hash: string;
  bytes: number;
  library: string;
  pendingId?: string;
}

export interface LibraryQuotaDeps {
  files: TrackFiles;
  analyses: AnalysisStore;
  store: GuildStore;
  limits: QuotaLimits;
  /** Operator notices (what was removed, whose add was refused). */
  log?: (line: string) => void;
  onEvicted?: (tracks: number) => void;
  onRefused?: (full: 'library' | 'total') => void;
}

/** Figures are read again at most this often for `/metrics`. */
const USAGE_TTL_MS = 30_000;

/**
 * The library's disk quota by server (src/bot/quota-plan.ts decides): each server's library has its share, the shared
 * library its own, and all together a total. A new track's room is made only from what nothing holds; an add that
 * cannot get room is refused with a message naming whose share is full. One room is made at a time in a process.
 */
export class LibraryQuota {
  private readonly deps: LibraryQuotaDeps;
  private chain: Promise<unknown> = Promise.resolve();
  private figures: { at: number; value: Promise<LibraryUsageFigures> } | undefined;

  constructor(deps: LibraryQuotaDeps) {
    this.deps = deps;
  }

  get limits(): QuotaLimits {
    return this.deps.limits;
  }

  /**
   * Refuses now, before the track is analysed, when room could not be made for it (nothing is removed yet); from here
   * on its pending add holds it, so another process's quota leaves it alone while the add completes.
   */
  check(incoming: IncomingTrack): Promise<void> {
    return this.serially(async () => {
      if (incoming.pendingId) await holdPendingTrack(this.deps.store, incoming.library, incoming.pendingId, incoming.hash);
      this.planned(await this.kept(), incoming);
    });
  }

  /** Makes room for `incoming`'s audio in its library, or refuses; resolves to how many of that library's tracks left it. */
  makeRoom(incoming: IncomingTrack): Promise<number> {
    return this.serially(async () => {
      if (incoming.pendingId) await holdPendingTrack(this.deps.store, incoming.library, incoming.pendingId, incoming.hash);
      const kept = await this.kept();
      const plan = this.planned(kept, incoming);
      await this.carryOut(plan, kept);
      this.figures = undefined;
      return plan.fromAdder;
    });
  }

  private serially<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn);
    this.chain = run.catch(() => undefined);
    return run;
  }

  /** The plan for `incoming`, or the refusal the member is told. */
  private planned(kept: readonly QuotaTrack[], incoming: IncomingTrack): Extract<QuotaPlan, { ok: true }> {
    const plan = planRoom(kept, incoming.library, incoming, this.deps.limits);
    if (plan.ok) return plan;
    this.deps.onRefused?.(plan.full);
    this.deps.log?.(`[mini-dj] library quota: refused ${formatBytes(incoming.bytes)} for ${whose(incoming.library)} (${plan.full === 'library' ? 'its share' : 'the total'} is full)`);
    throw new TrackStorageError('disk-full', refusal(plan, incoming, this.deps.limits));
  }

  /** Rows out of their libraries first, then what no library keeps: its analysis (every row), then its audio. */
  private async carryOut(plan: Extract<QuotaPlan, { ok: true }>, kept: readonly (QuotaTrack & { file: string })[]): Promise<void> {
    if (plan.drop.length === 0 && plan.remove.length === 0) return;
    const removed = new Set(plan.remove);
    for (const d of plan.drop) if (!removed.has(d.hash)) await this.deps.analyses.library.removeFrom(d.library, d.hash);
    const files = new Map(kept.map((k) => [k.hash, k]));
    for (const hash of plan.remove) {
      await this.deps.analyses.delete(hash);
      await this.deps.files.remove(files.get(hash)!.file);
    }
    const freed = plan.remove.reduce((n, h) => n + files.get(h)!.bytes, 0);
    this.deps.onEvicted?.(plan.drop.length);
    const byLibrary = [...new Set(plan.drop.map((d) => d.library))].map((l) => `${plan.drop.filter((d) => d.library === l).length} from ${whose(l)}`);
    this.deps.log?.(`[mini-dj] library quota: took ${byLibrary.join(', ')} (least recently played, held by no server); removed ${plan.remove.length} track(s) no library keeps (${formatBytes(freed)}): ${plan.remove.map((h) => h.slice(0, 12)).join(', ')}`);
  }

  /** Every kept track with its libraries and the servers holding it. */
  private async kept(): Promise<(QuotaTrack & { file: string })[]> {
    const files = await this.deps.files.list();
    const owners = await this.deps.analyses.library.libraryOwners(files.map((f) => f.hash));
    const holds = await this.deps.store.trackHolds();
    return files.map((f) => ({ ...f, libraries: owners.get(f.hash) ?? [], heldBy: [...(holds.get(f.hash) ?? [])] }));
  }

  /** The usage `/metrics` reports, read again at most every 30 s. */
  usage(): Promise<LibraryUsageFigures> {
    if (!this.figures || Date.now() - this.figures.at > USAGE_TTL_MS) {
      const value = this.kept().then((kept) => figuresOf(kept, this.deps.limits));
      value.catch(() => (this.figures = undefined));
      this.figures = { at: Date.now(), value };
    }
    return this.figures.value;
  }
}

function figuresOf(kept: readonly QuotaTrack[], limits: QuotaLimits): LibraryUsageFigures {
  const usage = usageOf(kept);
  const servers = [...usage.byServer.values()];
  return {
    limits,
    totalBytes: usage.totalBytes,
    sharedBytes: usage.sharedBytes,
    servers: servers.length,
    largestServerBytes: Math.max(0, ...servers),
    serversFull: servers.filter((b) => b >= limits.serverBytes).length,
  };
}

const whose = (library: string): string => (library === SHARED_GUILD ? 'the shared library' : `server ${library}`);

/** What the member (or, for the shared library, the operator) is told: whose share is full, and what to do. */
function refusal(plan: Extract<QuotaPlan, { ok: false }>, incoming: IncomingTrack, limits: QuotaLimits): string {
  const shared = incoming.library === SHARED_GUILD;
  const size = formatBytes(incoming.bytes);
  if (plan.full === 'library' && incoming.bytes > shareOf(incoming.library, limits)) {
    return shared
      ? `This file (${size}) is larger than the shared library's whole share (${formatBytes(plan.share)}); raise MINIDJ_SHARED_LIBRARY_GB to add it.`
      : `This song (${size}) is larger than this server's whole library share (${formatBytes(plan.share)}), so it was not added.`;
  }
  if (plan.full === 'library') {
    return shared
      ? `The shared library is full: its share is ${formatBytes(plan.share)}, and ${formatBytes(plan.heldBytes)} of it is waiting in playlists or playing, so this file was not added. Raise MINIDJ_SHARED_LIBRARY_GB or try again once they have played.`
      : `This server's library is full: it may keep ${formatBytes(plan.share)} of music, and ${formatBytes(plan.heldBytes)} of that is songs waiting in its playlist, playing or being added, so this song (${size}) was not added. Remove some with /queue remove, or wait until some have played.`;
  }
  if (shared) return `The bot's whole music library is full (${formatBytes(limits.totalBytes)}) with songs the servers hold, so this file was not added. Raise MINIDJ_MAX_LIBRARY_GB.`;
  const whole = `The bot's music library is full (${formatBytes(limits.totalBytes)} for every server together)`;
  return plan.keptBytes + incoming.bytes > plan.share
    ? `${whole} and this server keeps its part of it (${formatBytes(plan.share)}, ${formatBytes(plan.heldBytes)} of that waiting in its playlist, playing or being added), so this song (${size}) was not added. Remove some with /queue remove, or wait until some have played.`
    : `${whole} with songs waiting in the servers' playlists, so this song (${size}) was not added. Try again once some have played; if this keeps happening, tell the bot owner.`;
}
