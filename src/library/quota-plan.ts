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
export const shareOf = (library: string, limits: QuotaLimits): number =>
  library === SHARED_GUILD ? limits.sharedBytes : limits.serverBytes;

/**
 * Which libraries a track counts against: the shared library's tracks count against it alone; any other track against
 * every server that has it in its library or holds it (a track waiting in a playlist counts against the server that
 * queued it).
 */
function countedAgainst(t: QuotaTrack): readonly string[] {
  if (t.libraries.includes(SHARED_GUILD)) return SHARED_ONLY;
  // Most tracks are held by none but their own libraries: no new list (a recount counts 100,000 of them).
  if (t.heldBy.every((g) => t.libraries.includes(g))) return t.libraries;
  return [...new Set([...t.libraries, ...t.heldBy])];
}
const SHARED_ONLY: readonly string[] = [SHARED_GUILD];

export function usageOf(tracks: Iterable<QuotaTrack>): LibraryUsage {
  return countUsage({ totalBytes: 0, sharedBytes: 0, byServer: new Map() }, tracks);
}

/** Adds these tracks to `usage` (a batch at a time, for a recount). */
export function countUsage(usage: LibraryUsage, tracks: Iterable<QuotaTrack>, except?: string): LibraryUsage {
  for (const t of tracks) {
    if (t.hash === except) continue;
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

/**
 * Kept tracks arranged for planRoom: by hash, by library (a track under each of its libraries, and those in none) and
 * by server holding it, with their usage (every track but `incoming`). A recount adds them a batch at a time; a plan
 * then reads only the lists its steps look at, never every track at once.
 */
export class KeptTracks<T extends QuotaTrack = QuotaTrack> {
  readonly incoming: string;
  readonly byHash = new Map<string, T>();
  readonly usage: LibraryUsage = { totalBytes: 0, sharedBytes: 0, byServer: new Map() };
  private readonly byLibrary = new Map<string, T[]>();
  private readonly byHolder = new Map<string, T[]>();
  private readonly noLibrary: T[] = [];
  /** How many tracks count against each server. */
  private readonly tracksOf = new Map<string, number>();

  constructor(incoming: string, tracks: Iterable<T> = []) {
    this.incoming = incoming;
    this.add(tracks);
  }

  add(tracks: Iterable<T>): void {
    for (const t of tracks) {
      // The same audio twice (two file names): the last one read stands, as in a map by hash. Counted before the
      // other is forgotten, so a server keeps its place in `usage.byServer` (servers over their part tie by it).
      const before = this.byHash.get(t.hash);
      this.count(t, 1);
      if (before) this.forget(before);
      this.byHash.set(t.hash, t);
      if (t.libraries.length === 0) this.noLibrary.push(t);
      for (const l of t.libraries) listIn(this.byLibrary, l).push(t);
      for (const g of t.heldBy) listIn(this.byHolder, g).push(t);
    }
  }

  /** The tracks in `library` (under their libraries as read), or in none. */
  inLibrary(library: string | undefined): readonly T[] {
    return library === undefined ? this.noLibrary : (this.byLibrary.get(library) ?? []);
  }

  heldBy(server: string): readonly T[] {
    return this.byHolder.get(server) ?? [];
  }

  private forget(t: T): void {
    const out = (list: T[] | undefined) => list?.splice(list.indexOf(t), 1);
    for (const l of t.libraries) out(this.byLibrary.get(l));
    for (const g of t.heldBy) out(this.byHolder.get(g));
    if (t.libraries.length === 0) out(this.noLibrary);
    this.byHash.delete(t.hash);
    this.count(t, -1);
  }

  /** A server is in `usage.byServer` while some track counts against it (as usageOf over a map by hash has it). */
  private count(t: T, sign: 1 | -1): void {
    if (t.hash === this.incoming) return;
    this.usage.totalBytes += sign * t.bytes;
    for (const library of countedAgainst(t)) {
      if (library === SHARED_GUILD) {
        this.usage.sharedBytes += sign * t.bytes;
        continue;
      }
      const tracks = (this.tracksOf.get(library) ?? 0) + sign;
      this.tracksOf.set(library, tracks);
      if (tracks === 0) this.usage.byServer.delete(library);
      else this.usage.byServer.set(library, (this.usage.byServer.get(library) ?? 0) + sign * t.bytes);
    }
  }
}

function listIn<T>(lists: Map<string, T[]>, key: string): T[] {
  let list = lists.get(key);
  if (!list) lists.set(key, (list = []));
  return list;
}

const arranged = <T extends QuotaTrack>(kept: readonly T[] | KeptTracks<T>, incoming: string): KeptTracks<T> => {
  if (!(kept instanceof KeptTracks)) return new KeptTracks(incoming, kept);
  if (kept.incoming !== incoming) throw new Error('kept tracks arranged for another incoming track');
  return kept;
};

/**
 * The working state of one plan: the tracks as they will be (one taken out of a library is a copy, one removed is
 * gone; the kept tracks themselves never change), their usage kept in step, and what it decided.
 */
class Planner {
  readonly kept: KeptTracks;
  readonly drop: { library: string; hash: string }[] = [];
  readonly remove: string[] = [];
  /** The bytes of the tracks in `remove`. */
  freedBytes = 0;
  /** Usage without the incoming track (it counts once, whether or not its pending add holds it already). */
  readonly usage: LibraryUsage;
  private readonly changed = new Map<string, QuotaTrack | undefined>();

  constructor(kept: KeptTracks) {
    this.kept = kept;
    this.usage = { ...kept.usage, byServer: new Map(kept.usage.byServer) };
  }

  /** The track as the plan has it now (undefined: removed, or never kept). */
  track(hash: string): QuotaTrack | undefined {
    return this.changed.has(hash) ? this.changed.get(hash) : this.kept.byHash.get(hash);
  }

  used(library: string): number {
    return library === SHARED_GUILD ? this.usage.sharedBytes : (this.usage.byServer.get(library) ?? 0);
  }

  /**
   * Kept tracks nothing holds, least recently played first, among those in `library` as read (undefined: in none)
   * that pass `which` as they are now (never the incoming one).
   */
  unheld(library: string | undefined, which: (t: QuotaTrack) => boolean): QuotaTrack[] {
    const found: QuotaTrack[] = [];
    for (const read of this.kept.inLibrary(library)) {
      const t = this.track(read.hash);
      if (t && t.heldBy.length === 0 && t.hash !== this.kept.incoming && which(t)) found.push(t);
    }
    return found.sort((a, b) => a.lastPlayedMs - b.lastPlayedMs || (a.hash < b.hash ? -1 : 1));
  }

  /** Takes the track out of `library`; gone from every library (and held by none), it is removed. */
  dropFrom(was: QuotaTrack, library: string): void {
    const before = countedAgainst(was);
    const t = { ...was, libraries: was.libraries.filter((l) => l !== library) };
    this.changed.set(t.hash, t);
    this.drop.push({ library, hash: t.hash });
    if (t.libraries.length === 0 && t.heldBy.length === 0) return this.removeTrack(t, before);
    const after = new Set(countedAgainst(t));
    this.uncount(
      t.bytes,
      before.filter((l) => !after.has(l)),
    );
    for (const l of after) if (!before.includes(l)) this.count(t.bytes, l);
  }

  removeTrack(t: QuotaTrack, counted: readonly string[] = countedAgainst(t)): void {
    this.changed.set(t.hash, undefined);
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
export function planRoom(
  kept: readonly QuotaTrack[] | KeptTracks,
  adder: string,
  incoming: { hash: string; bytes: number },
  limits: QuotaLimits,
): QuotaPlan {
  const plan = new Planner(arranged(kept, incoming.hash));
  const own = roomInShare(plan, adder, incoming, limits);
  if (!own.plan.ok || !own.newAudio) return own.plan;
  const freed = makeDiskRoom(plan, adder, incoming.bytes, limits);
  if (!freed.ok)
    return {
      ok: false,
      full: 'total',
      share: freed.share,
      keptBytes: plan.used(adder),
      heldBytes: heldBytes(plan, adder, incoming.hash),
    };
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
export function planOwnRoom(
  kept: readonly QuotaTrack[],
  adder: string,
  incoming: { hash: string; bytes: number },
  limits: QuotaLimits,
): OwnRoom {
  const plan = new Planner(arranged(kept, incoming.hash));
  return { ...roomInShare(plan, adder, incoming, limits), freedBytes: plan.freedBytes };
}

/** The adder's least recently played unheld tracks leave its library until the incoming one fits its share. */
function roomInShare(
  plan: Planner,
  adder: string,
  incoming: { hash: string; bytes: number },
  limits: QuotaLimits,
): Omit<OwnRoom, 'freedBytes'> {
  const existing = plan.track(incoming.hash);
  if (existing && (existing.libraries.includes(adder) || existing.libraries.includes(SHARED_GUILD)))
    return { plan: { ok: true, drop: [], remove: [], fromAdder: 0 }, newAudio: false };
  const share = shareOf(adder, limits);
  let fromAdder = 0;
  for (const t of plan.unheld(adder, (x) => x.libraries.includes(adder) && countedAgainst(x).includes(adder))) {
    if (plan.used(adder) + incoming.bytes <= share) break;
    plan.dropFrom(t, adder);
    fromAdder++;
  }
  if (plan.used(adder) + incoming.bytes > share)
    return {
      plan: {
        ok: false,
        full: 'library',
        share,
        keptBytes: plan.used(adder),
        heldBytes: heldBytes(plan, adder, incoming.hash),
      },
      newAudio: false,
    };
  return { plan: { ok: true, drop: plan.drop, remove: plan.remove, fromAdder }, newAudio: !existing };
}

/** What counts against the adder and something holds now (waiting, playing, pending): the part no eviction frees. */
function heldBytes(plan: Planner, adder: string, incoming: string): number {
  // Counted against the adder: in its library (as read: a plan only takes tracks out) or held by it.
  const hashes = new Set([...plan.kept.inLibrary(adder), ...plan.kept.heldBy(adder)].map((t) => t.hash));
  let bytes = 0;
  for (const hash of hashes) {
    const t = plan.track(hash);
    if (t && t.hash !== incoming && t.heldBy.length > 0 && countedAgainst(t).includes(adder)) bytes += t.bytes;
  }
  return bytes;
}

/**
 * Frees disk for new audio under the total (see planRoom): tracks in no library, then (for a server within its even
 * part of the disk) tracks of servers keeping more than theirs, then the adder's own. `share`: what the adder may keep
 * while the disk is full.
 */
function makeDiskRoom(
  plan: Planner,
  adder: string,
  bytes: number,
  limits: QuotaLimits,
): { ok: boolean; fromAdder: number; share: number } {
  const fits = () => plan.usage.totalBytes + bytes <= limits.totalBytes;
  const soleOwner = (t: QuotaTrack, library: string) => t.libraries.length === 1 && t.libraries[0] === library;
  for (const t of plan.unheld(undefined, (x) => x.libraries.length === 0)) {
    if (fits()) break;
    plan.removeTrack(t);
  }
  // An even part of what the shared library leaves, for each server with a library (the adder among them).
  const evenPart = (): number =>
    Math.min(
      limits.serverBytes,
      (limits.totalBytes - plan.usage.sharedBytes) / new Set([...plan.usage.byServer.keys(), adder]).size,
    );
  if (adder !== SHARED_GUILD && plan.used(adder) + bytes <= evenPart())
    takeFromServersOver(plan, adder, evenPart, fits);
  let fromAdder = 0;
  for (const t of plan.unheld(adder, (x) => soleOwner(x, adder))) {
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
      if (!queues.has(g))
        queues.set(
          g,
          plan.unheld(g, (x) => x.libraries.length === 1 && x.libraries[0] === g),
        );
      next = queues.get(g)!.shift();
      if (next) break;
    }
    if (!next) return;
    plan.dropFrom(next, next.libraries[0]!);
  }
}
