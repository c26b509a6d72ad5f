import path from 'node:path';
import type { AnalysisStore } from '../db/analysis-store.ts';
import { heldIn } from '../db/held-tracks.ts';
import type { GuildStore } from '../db/guild-store.ts';
import { SHARED_GUILD } from '../db/library-index.ts';
import { TrackStorageError } from '../db/track-files.ts';
import type { TrackFiles } from '../db/track-files.ts';
import { setting } from '../util/config.ts';
import { formatBytes } from '../util/format-bytes.ts';
import { planOwnRoom, planRoom, shareOf } from './quota-plan.ts';
import type { LibraryUsage, QuotaLimits, QuotaPlan } from './quota-plan.ts';
import { ownTracks, recount } from './quota-tracks.ts';
import type { KeptTrack, Recount } from './quota-tracks.ts';

export type { QuotaLimits };

/** `MINIDJ_MAX_LIBRARY_GB`, `MINIDJ_SERVER_LIBRARY_GB`, `MINIDJ_SHARED_LIBRARY_GB`, with the defaults. */
export function quotaLimitsFromEnv(env: NodeJS.ProcessEnv = process.env): QuotaLimits {
  return {
    totalBytes: setting('MINIDJ_MAX_LIBRARY_GB', env) * 1e9,
    serverBytes: setting('MINIDJ_SERVER_LIBRARY_GB', env) * 1e9,
    sharedBytes: setting('MINIDJ_SHARED_LIBRARY_GB', env) * 1e9,
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

/** The noted audio is reconciled with the folder, and the servers' figures recounted, at least this often. */
export const RECOUNT_MS = 5 * 60_000;
/** The one-time step marking that a recount reconciled the noted audio with the folder (until then, every add recounts). */
const AUDIO_COUNTED = 'quota-audio-counted';

type Room = Extract<QuotaPlan, { ok: true }>;
const NOTHING_TO_DO: Room = { ok: true, drop: [], remove: [], fromAdder: 0 };

/** Notes the track a pending add downloaded: from now on the add holds it (the disk quota leaves it alone). */
async function holdPendingTrack(store: GuildStore, guildId: string, pendingId: string, hash: string): Promise<void> {
  await store.update(guildId, (state) => ({
    ...state,
    pendingAdds: state.pendingAdds.map((p) => (p.id === pendingId ? { ...p, hash } : p)),
  }));
}

/**
 * The library's disk quota by server (src/library/quota-plan.ts decides): each server's library has its share, the shared
 * library its own, and all together a total. A new track's room is made only from what nothing holds; an add that
 * cannot get room is refused with a message naming whose share is full. One room is made at a time in a process.
 *
 * An add reads as little as its decision needs. When the track fits — the adder's noted bytes and the noted total
 * (upper bounds: every kept file is noted, from before it is kept until it is removed) have room for it — nothing
 * is scanned: the adder's state and two index queries. When its own share is full, the plan reads its own library
 * and the holds of those tracks alone. Only a full disk (or audio not yet noted) reads every file and server, in
 * batches with a turn of the event loop between them.
 */
export class LibraryQuota {
  private readonly deps: LibraryQuotaDeps;
  private chain: Promise<unknown> = Promise.resolve();
  private counted = false;
  private running: Promise<Recount> | undefined;
  /** What the last recount counted against each library (its tracks are not kept: a large library is many). */
  private last: Pick<Recount, 'usage' | 'atMs'> | undefined;
  /** The last recount, or this quota's start: a short-lived process (`minidj library add`) starts none of its own. */
  private recountedAtMs = Date.now();

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
      if (incoming.pendingId)
        await holdPendingTrack(this.deps.store, incoming.library, incoming.pendingId, incoming.hash);
      await this.decide(incoming);
    });
  }

  /** Makes room for `incoming`'s audio in its library, or refuses; resolves to how many of that library's tracks left it. */
  makeRoom(incoming: IncomingTrack): Promise<number> {
    return this.serially(async () => {
      if (incoming.pendingId)
        await holdPendingTrack(this.deps.store, incoming.library, incoming.pendingId, incoming.hash);
      const { plan, kept } = await this.decide(incoming);
      await this.carryOut(plan, kept, Date.now());
      // Noted before its audio is kept, so the next add counts it.
      const file = kept.get(incoming.hash)?.file;
      await this.deps.analyses.library.noteAudio([
        {
          hash: incoming.hash,
          bytes: incoming.bytes,
          notedMs: Date.now(),
          ...(file ? { file: path.basename(file) } : {}),
        },
      ]);
      return plan.fromAdder;
    });
  }

  private serially<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn);
    // The caller has `run` and its error; the next in line runs either way.
    this.chain = run.catch(() => undefined);
    return run;
  }

  /** The room to make for `incoming` (see the class), or the refusal the member is told; with the tracks it read. */
  private async decide(incoming: IncomingTrack): Promise<{ plan: Room; kept: ReadonlyMap<string, KeptTrack> }> {
    const { analyses, store, limits } = this.deps;
    this.recountWhenDue();
    if (!(await this.audioCounted())) await this.recount();
    const nowMs = Date.now();
    const held =
      incoming.library === SHARED_GUILD ? new Set<string>() : heldIn(await store.get(incoming.library), nowMs);
    const [totalBytes, libraryBytes] = await Promise.all([
      analyses.library.audioBytes(),
      analyses.library.libraryBytes(incoming.library, [...held], incoming.hash),
    ]);
    if (
      libraryBytes + incoming.bytes <= shareOf(incoming.library, limits) &&
      totalBytes + incoming.bytes <= limits.totalBytes
    )
      return { plan: NOTHING_TO_DO, kept: new Map() };
    const own = await ownTracks(this.deps, incoming.library, held, incoming.hash, nowMs);
    if (own) {
      const room = planOwnRoom(own, incoming.library, incoming, limits);
      if (!room.plan.ok || !room.newAudio || totalBytes - room.freedBytes + incoming.bytes <= limits.totalBytes)
        return { plan: this.planned(room.plan, incoming), kept: byHash(own) };
    }
    const { kept } = await this.recountNow(incoming.hash);
    return { plan: this.planned(planRoom(kept!, incoming.library, incoming, limits), incoming), kept: kept!.byHash };
  }

  /** The plan, or the refusal the member is told. */
  private planned(plan: QuotaPlan, incoming: IncomingTrack): Room {
    if (plan.ok) return plan;
    this.deps.onRefused?.(plan.full);
    this.deps.log?.(
      `[mini-dj] library quota: refused ${formatBytes(incoming.bytes)} for ${whose(incoming.library)} (${plan.full === 'library' ? 'its share' : 'the total'} is full)`,
    );
    throw new TrackStorageError('disk-full', refusal(plan, incoming, this.deps.limits));
  }

  /**
   * Rows out of their libraries first, then what no library keeps: its analysis (every row), then its audio, then its
   * note (unless noted again after `decidedMs`: the same track added again in another process).
   */
  private async carryOut(plan: Room, kept: ReadonlyMap<string, KeptTrack>, decidedMs: number): Promise<void> {
    if (plan.drop.length === 0 && plan.remove.length === 0) return;
    const { analyses, files } = this.deps;
    const removed = new Set(plan.remove);
    for (const d of plan.drop) if (!removed.has(d.hash)) await analyses.library.removeFrom(d.library, d.hash);
    for (const hash of plan.remove) {
      await analyses.delete(hash);
      await files.remove(kept.get(hash)!.file);
    }
    await analyses.library.forgetAudio(plan.remove, decidedMs);
    const freed = plan.remove.reduce((n, h) => n + kept.get(h)!.bytes, 0);
    this.deps.onEvicted?.(plan.drop.length);
    const byLibrary = [...new Set(plan.drop.map((d) => d.library))].map(
      (l) => `${plan.drop.filter((d) => d.library === l).length} from ${whose(l)}`,
    );
    this.deps.log?.(
      `[mini-dj] library quota: took ${byLibrary.join(', ')} (least recently played, held by no server); removed ${plan.remove.length} track(s) no library keeps (${formatBytes(freed)}): ${plan.remove.map((h) => h.slice(0, 12)).join(', ')}`,
    );
  }

  private async audioCounted(): Promise<boolean> {
    this.counted ||= await this.deps.analyses.library.imported(AUDIO_COUNTED);
    return this.counted;
  }

  /** The latest recount, or the one under way: every file and server read, the noted audio reconciled with the folder. */
  recount(): Promise<Recount> {
    this.running ??= this.recountNow().finally(() => (this.running = undefined));
    return this.running;
  }

  /** `plannedFor`: the incoming track of a plan on every kept track (see recount). */
  private async recountNow(plannedFor?: string): Promise<Recount> {
    const counted = await recount(this.deps, plannedFor);
    await this.deps.analyses.library.markImported(AUDIO_COUNTED);
    this.counted = true;
    this.recountedAtMs = Math.max(this.recountedAtMs, counted.atMs);
    if (!this.last || counted.atMs >= this.last.atMs) this.last = { usage: counted.usage, atMs: counted.atMs };
    return counted;
  }

  /** A recount in the background when the last is RECOUNT_MS old (its failure is logged; the next may succeed). */
  private recountWhenDue(): void {
    if (this.running || Date.now() - this.recountedAtMs < RECOUNT_MS) return;
    this.recountedAtMs = Date.now();
    this.recount().catch((error: unknown) =>
      this.deps.log?.(`[mini-dj] library quota: the background recount failed: ${(error as Error).message}`),
    );
  }

  /**
   * The figures `/metrics` reports: the disk in all and the shared library's use as noted now (two index queries);
   * the servers' as of the last recount (at most RECOUNT_MS old; the first is awaited).
   */
  async usage(): Promise<LibraryUsageFigures> {
    this.recountWhenDue();
    const counted = this.last ?? (await this.recount());
    const index = this.deps.analyses.library;
    const [totalBytes, sharedBytes] = await Promise.all([index.audioBytes(), index.libraryBytes(SHARED_GUILD, [], '')]);
    return figuresOf({ totalBytes, sharedBytes, byServer: counted.usage.byServer }, this.deps.limits);
  }
}

const byHash = (kept: readonly KeptTrack[]): Map<string, KeptTrack> => new Map(kept.map((k) => [k.hash, k]));

function figuresOf(usage: LibraryUsage, limits: QuotaLimits): LibraryUsageFigures {
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
  if (shared)
    return `The bot's whole music library is full (${formatBytes(limits.totalBytes)}) with songs the servers hold, so this file was not added. Raise MINIDJ_MAX_LIBRARY_GB.`;
  const whole = `The bot's music library is full (${formatBytes(limits.totalBytes)} for every server together)`;
  return plan.keptBytes + incoming.bytes > plan.share
    ? `${whole} and this server keeps its part of it (${formatBytes(plan.share)}, ${formatBytes(plan.heldBytes)} of that waiting in its playlist, playing or being added), so this song (${size}) was not added. Remove some with /queue remove, or wait until some have played.`
    : `${whole} with songs waiting in the servers' playlists, so this song (${size}) was not added. Try again once some have played; if this keeps happening, tell the bot owner.`;
}
