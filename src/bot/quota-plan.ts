import { SHARED_GUILD } from '../db/library-index.ts';

/** The disk the library's audio may use: in all, per server library, and for the shared library. */
export interface QuotaLimits {
  totalBytes: number;
  serverBytes: number;
  sharedBytes: number;
}

/** One kept track as the quota sees it. */
export interface QuotaTrack {
  hash: string;
  bytes: number;
  lastPlayedMs: number;
  /** The libraries it is in: guild ids, SHARED_GUILD for the shared library. */
  libraries: string[];
  /** The servers holding it now: waiting in a playlist, playing or about to play, or an add pending on it. */
  heldBy: string[];
}

export interface LibraryUsage {
  /** Disk used by every kept track. */
  totalBytes: number;
  sharedBytes: number;
  /** What counts against each server's share. */
  byServer: Map<string, number>;
}

/** What a library may keep: the shared library's share, or a server's. */
export const shareOf = (library: string, limits: QuotaLimits): number => (library === SHARED_GUILD ? limits.sharedBytes : limits.serverBytes);

/**
 * Which libraries a track counts against: the shared library's tracks count against it alone; any other track against
 * every server that has it in its library or holds it (a track waiting in a playlist counts against the server that
 * queued it).
 */
export function countedAgainst(t: QuotaTrack): string[] {
  if (t.libraries.includes(SHARED_GUILD)) return [SHARED_GUILD];
  return [...new Set([...t.libraries, ...t.heldBy])];
}

export function usageOf(tracks: Iterable<QuotaTrack>): LibraryUsage {
  return countUsage({ totalBytes: 0, sharedBytes: 0, byServer: new Map() }, tracks);
}

/** Adds these tracks to `usage` (a batch at a time, for a recount). */
export function countUsage(usage: LibraryUsage, tracks: Iterable<QuotaTrack>): LibraryUsage {
  for (const t of tracks) {
    usage.totalBytes += t.bytes;
    for (const library of countedAgainst(t)) {
      if (library === SHARED_GUILD) usage.sharedBytes += t.bytes;
      else usage.byServer.set(library, (usage.byServer.get(library) ?? 0) + t.bytes);
    }
  }
  return usage;
}

export type QuotaPlan =
  | {
      ok: true;
      /** Rows to take out of a library (the track stays for the libraries that still have it). */
      drop: { library: string; hash: string }[];
      /** Tracks no library has and nothing holds any more: their audio and analysis go. */
      remove: string[];
      /** How many of the adder's own tracks left its library. */
      fromAdder: number;
    }
  | {
      ok: false;
      /** `library`: the adder's own share is full of what it holds; `total`: the whole library is. */
      full: 'library' | 'total';
      share: number;
      /** What counts against the adder, and what of that it holds now (waiting, playing, pending): no room there. */
      keptBytes: number;
      heldBytes: number;
    };

/** The working state of one plan: the tracks as they will be, their usage kept in step, and what it decided. */
class Planner {
  readonly tracks: Map<string, QuotaTrack>;
  readonly drop: { library: string; hash: string }[] = [];
  readonly remove: string[] = [];
  /** The bytes of the tracks in `remove`. */
  freedBytes = 0;
  /** Usage without the incoming track (it counts once, whether or not its pending add holds it already). */
  readonly usage: LibraryUsage;
  private readonly incoming: string;

  constructor(tracks: readonly QuotaTrack[], incoming: string) {
    this.tracks = new Map(tracks.map((t) => [t.hash, { ...t, libraries: [...t.libraries] }]));
    this.incoming = incoming;
    this.usage = usageOf([...this.tracks.values()].filter((t) => t.hash !== incoming));
  }

  used(library: string): number {
    return library === SHARED_GUILD ? this.usage.sharedBytes : (this.usage.byServer.get(library) ?? 0);
  }

  /** Kept tracks nothing holds, least recently played first, that pass `which` (never the incoming one). */
  unheld(which: (t: QuotaTrack) => boolean): QuotaTrack[] {
    return [...this.tracks.values()].filter((t) => t.hash !== this.incoming && t.heldBy.length === 0 && which(t)).sort((a, b) => a.lastPlayedMs - b.lastPlayedMs || (a.hash < b.hash ? -1 : 1));
  }

  /** Takes the track out of `library`; gone from every library (and held by none), it is removed. */
  dropFrom(t: QuotaTrack, library: string): void {
    const before = countedAgainst(t);
    t.libraries = t.libraries.filter((l) => l !== library);
    this.drop.push({ library, hash: t.hash });
    if (t.libraries.length === 0 && t.heldBy.length === 0) return this.removeTrack(t, before);
    const after = new Set(countedAgainst(t));
    this.uncount(t.bytes, before.filter((l) => !after.has(l)));
    for (const l of after) if (!before.includes(l)) this.count(t.bytes, l);
  }

  removeTrack(t: QuotaTrack, counted = countedAgainst(t)): void {
    this.tracks.delete(t.hash);
    this.remove.push(t.hash);
    this.freedBytes += t.bytes;
    this.usage.totalBytes -= t.bytes;
    this.uncount(t.bytes, counted);
  }

  private uncount(bytes: number, libraries: readonly string[]): void {
    for (const l of libraries) this.count(-bytes, l);
  }

  private count(bytes: number, library: string): void {
    if (library === SHARED_GUILD) this.usage.sharedBytes += bytes;
    else this.usage.byServer.set(library, this.used(library) + bytes);
  }
}

/**
 * Makes room for `incoming` in `adder`'s library (a server's, or SHARED_GUILD), touching only what nothing holds:
 * first the adder's own share — its least recently played tracks leave its library (their audio goes once no library
 * has them) — then, when the audio is new, the disk in all: tracks in no library, the adder's own, and (for a server)
 * tracks of servers keeping more than an even part of the disk, the largest first. The shared library's tracks are
 * never removed for a server, nor a server's for the shared library, nor any track a server holds.
 */
export function planRoom(kept: readonly QuotaTrack[], adder: string, incoming: { hash: string; bytes: number }, limits: QuotaLimits): QuotaPlan {
  const plan = new Planner(kept, incoming.hash);
  const own = roomInShare(plan, adder, incoming, limits);
  if (!own.plan.ok || !own.newAudio) return own.plan;
  const freed = makeDiskRoom(plan, adder, incoming.bytes, limits);
  if (!freed.ok) return { ok: false, full: 'total', share: freed.share, keptBytes: plan.used(adder), heldBytes: heldBytes(plan, adder, incoming.hash) };
  return { ok: true, drop: plan.drop, remove: plan.remove, fromAdder: own.plan.fromAdder + freed.fromAdder };
}

/** planRoom's first step: what it decides when the disk in all has room for the new audio it adds. */
export interface OwnRoom {
  plan: QuotaPlan;
  /** The incoming audio is not kept yet: the plan holds if the disk then has room for it (after `freedBytes`). */
  newAudio: boolean;
  freedBytes: number;
}

/**
 * planRoom's first step alone: room in the adder's own share. It reads only the tracks counted against the adder
 * (in its library or held by it, with every library and holder of each) and the incoming one, so those are all
 * `kept` need hold; when the disk in all has room for the new audio after `freedBytes`, planRoom decides the same.
 */
export function planOwnRoom(kept: readonly QuotaTrack[], adder: string, incoming: { hash: string; bytes: number }, limits: QuotaLimits): OwnRoom {
  const plan = new Planner(kept, incoming.hash);
  return { ...roomInShare(plan, adder, incoming, limits), freedBytes: plan.freedBytes };
}

/** The adder's least recently played unheld tracks leave its library until the incoming one fits its share. */
function roomInShare(plan: Planner, adder: string, incoming: { hash: string; bytes: number }, limits: QuotaLimits): Omit<OwnRoom, 'freedBytes'> {
  const existing = plan.tracks.get(incoming.hash);
  if (existing && (existing.libraries.includes(adder) || existing.libraries.includes(SHARED_GUILD))) return { plan: { ok: true, drop: [], remove: [], fromAdder: 0 }, newAudio: false };
  const share = shareOf(adder, limits);
  let fromAdder = 0;
  for (const t of plan.unheld((x) => x.libraries.includes(adder) && countedAgainst(x).includes(adder))) {
    if (plan.used(adder) + incoming.bytes <= share) break;
    plan.dropFrom(t, adder);
    fromAdder++;
  }
  if (plan.used(adder) + incoming.bytes > share) return { plan: { ok: false, full: 'library', share, keptBytes: plan.used(adder), heldBytes: heldBytes(plan, adder, incoming.hash) }, newAudio: false };
  return { plan: { ok: true, drop: plan.drop, remove: plan.remove, fromAdder }, newAudio: !existing };
}

/** What counts against the adder and something holds now (waiting, playing, pending): the part no eviction frees. */
function heldBytes(plan: Planner, adder: string, incoming: string): number {
  return [...plan.tracks.values()].filter((t) => t.hash !== incoming && t.heldBy.length > 0 && countedAgainst(t).includes(adder)).reduce((n, t) => n + t.bytes, 0);
}

/**
 * Frees disk for new audio under the total (see planRoom): tracks in no library, then (for a server within its even
 * part of the disk) tracks of servers keeping more than theirs, then the adder's own. `share`: what the adder may keep
 * while the disk is full.
 */
function makeDiskRoom(plan: Planner, adder: string, bytes: number, limits: QuotaLimits): { ok: boolean; fromAdder: number; share: number } {
  const fits = () => plan.usage.totalBytes + bytes <= limits.totalBytes;
  const soleOwner = (t: QuotaTrack, library: string) => t.libraries.length === 1 && t.libraries[0] === library;
  for (const t of plan.unheld((x) => x.libraries.length === 0)) {
    if (fits()) break;
    plan.removeTrack(t);
  }
  // An even part of what the shared library leaves, for each server with a library (the adder among them).
  const evenPart = (): number => Math.min(limits.serverBytes, (limits.totalBytes - plan.usage.sharedBytes) / new Set([...plan.usage.byServer.keys(), adder]).size);
  if (adder !== SHARED_GUILD && plan.used(adder) + bytes <= evenPart()) takeFromServersOver(plan, adder, evenPart, fits);
  let fromAdder = 0;
  for (const t of plan.unheld((x) => soleOwner(x, adder))) {
    if (fits()) break;
    plan.dropFrom(t, adder);
    fromAdder++;
  }
  return { ok: fits(), fromAdder, share: adder === SHARED_GUILD ? limits.sharedBytes : evenPart() };
}

/** Servers over their even part give up their least recently played unheld tracks, the one furthest over first. */
function takeFromServersOver(plan: Planner, adder: string, evenPart: () => number, fits: () => boolean): void {
  const queues = new Map<string, QuotaTrack[]>();
  while (!fits()) {
    const even = evenPart();
    const over = [...plan.usage.byServer].filter(([g, used]) => g !== adder && used > even).sort((a, b) => b[1] - a[1]);
    let next: QuotaTrack | undefined;
    for (const [g] of over) {
      if (!queues.has(g)) queues.set(g, plan.unheld((x) => x.libraries.length === 1 && x.libraries[0] === g));
      next = queues.get(g)!.shift();
      if (next) break;
    }
    if (!next) return;
    plan.dropFrom(next, next.libraries[0]!);
  }
}
