import path from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { AnalysisStore, StoredAnalysis } from '../db/analysis-store.ts';
import type { GuildStore } from '../db/guild-store.ts';
import type { NotedAudio, QuotaIndex } from '../db/library-index.ts';
import type { KeptFile, TrackFiles } from '../db/track-files.ts';
import { countUsage, KeptTracks, usageOf } from './quota-plan.ts';
import type { LibraryUsage, QuotaTrack } from './quota-plan.ts';

/** A kept track as the quota plans with it, and its file. */
export type KeptTrack = QuotaTrack & { file: string };

export interface QuotaReadDeps {
  files: TrackFiles;
  analyses: AnalysisStore;
  store: GuildStore;
}

/** Files read, tracks looked up and counted between two turns of the event loop. */
const BATCH = 128;
/** Audio noted this lately whose file a recount did not find stays noted: its file may be on its way. */
const NOTED_GRACE_MS = 10 * 60_000;

/**
 * The tracks counted against `library` — its rows' noted audio and, for a server, what it holds — and the incoming
 * one, each with every library it is in and every server holding it: what planOwnRoom needs, read without a look at
 * any other server's library or state (only those of the servers the holds index names for these tracks).
 * Undefined when a noted track's file is nowhere to be found: only a recount can tell whether it is kept.
 */
export async function ownTracks(
  deps: QuotaReadDeps,
  library: string,
  held: ReadonlySet<string>,
  incoming: string,
  nowMs: number,
): Promise<KeptTrack[] | undefined> {
  const index = deps.analyses.library;
  const noted = new Map((await index.libraryAudio(library)).map((a) => [a.hash, a]));
  for (const [hash, a] of await index.audio([...held, incoming].filter((h) => !noted.has(h)))) noted.set(hash, a);
  const files = await keptFiles(deps, [...noted.values()]);
  if (!files) return undefined;
  const hashes = files.map((f) => f.hash);
  const [owners, holds] = await Promise.all([index.libraryOwners(hashes), deps.store.holdsOf(hashes, nowMs)]);
  return files.map((f) => ({ ...f, libraries: owners.get(f.hash) ?? [], heldBy: [...(holds.get(f.hash) ?? [])] }));
}

/** The files of noted audio: by the name a recount saw, else where its analysis says the bot keeps it. */
async function keptFiles(deps: QuotaReadDeps, noted: readonly NotedAudio[]): Promise<KeptFile[] | undefined> {
  const unnamed = noted.filter((a) => !a.file).map((a) => a.hash);
  const records = new Map((await deps.analyses.getMany(unnamed)).flatMap((r) => (r ? [[r.hash, r] as const] : [])));
  const found: KeptFile[] = [];
  for (let i = 0; i < noted.length; i += BATCH) {
    const part = await Promise.all(noted.slice(i, i + BATCH).map((a) => keptFile(deps.files, a, records.get(a.hash))));
    for (const f of part) {
      if (!f) return undefined;
      found.push(f);
    }
  }
  return found;
}

async function keptFile(
  files: TrackFiles,
  a: NotedAudio,
  record: StoredAnalysis | undefined,
): Promise<KeptFile | undefined> {
  const named = a.file ? await files.keptFile(a.file) : undefined;
  if (named || !record) return named;
  return files.keptFile(path.basename(files.pathFor(a.hash, record.sourceName)));
}

/** A recount: what counts against each library; for a plan, every kept track arranged for it. */
export interface Recount {
  usage: LibraryUsage;
  kept?: KeptTracks<KeptTrack>;
  atMs: number;
}

/**
 * Every kept track with its libraries and holders (every server's state read), a batch of files at a time with a turn
 * of the event loop between batches, each batch's noted audio made to match what was found; then the noted audio no
 * file was found for is forgotten (unless noted within NOTED_GRACE_MS: its file may be on its way). `plannedFor`: the
 * incoming track of a plan, which gets every kept track arranged for planRoom.
 */
export async function recount(deps: QuotaReadDeps, plannedFor?: string, nowMs = Date.now()): Promise<Recount> {
  const index = deps.analyses.library;
  const holds = await deps.store.trackHolds(nowMs);
  const kept = plannedFor === undefined ? undefined : new KeptTracks<KeptTrack>(plannedFor);
  const found = new Set<string>();
  const usage = usageOf([]);
  for await (const files of deps.files.batches(BATCH)) {
    const hashes = files.map((f) => f.hash);
    const [owners, noted] = await Promise.all([index.libraryOwners(hashes), index.audio(hashes)]);
    const tracks = files.map((f) => ({
      ...f,
      libraries: owners.get(f.hash) ?? [],
      heldBy: [...(holds.get(f.hash) ?? [])],
    }));
    countUsage(usage, tracks);
    kept?.add(tracks);
    for (const h of hashes) found.add(h);
    const changed = files.filter(
      (f) => noted.get(f.hash)?.bytes !== f.bytes || noted.get(f.hash)?.file !== path.basename(f.file),
    );
    await index.noteAudio(
      changed.map((f) => ({ hash: f.hash, bytes: f.bytes, file: path.basename(f.file), notedMs: nowMs })),
    );
    await nextTurn();
  }
  await forgetUnfound(index, found, nowMs);
  return { usage, ...(kept ? { kept } : {}), atMs: nowMs };
}

async function forgetUnfound(index: QuotaIndex, found: ReadonlySet<string>, startedMs: number): Promise<void> {
  const before = startedMs - NOTED_GRACE_MS;
  for await (const batch of index.audioBatches(BATCH * 4)) {
    await index.forgetAudio(
      batch.filter((a) => !found.has(a.hash) && a.notedMs <= before).map((a) => a.hash),
      before,
    );
    await nextTurn();
  }
}
