import type { GuildStateBackend } from './guild-state-backend.ts';
import type { GuildState } from './guild-store.ts';
import { heldIn } from './held-tracks.ts';
import { addToLibrary } from './library-adds.ts';
import { SHARED_GUILD } from './library-index.ts';
import type { LibraryIndex } from './library-index.ts';
import { openKeyv } from './open-keyv.ts';
import type { StoreTarget } from './open-keyv.ts';

/** The mark this migration leaves in the library index once every step has run. */
export const MIGRATION_2026_12_07 = 'migration-2026-12-07';
/** Marks that versions before it left for its steps 2–4, each run separately then: a step already marked is not run again. */
const LIBRARIES_IMPORTED = 'keyv-import';
const PLAYLISTS_INDEXED = 'playlists-indexed';
const HOLDS_INDEXED = 'holds-indexed';

export interface MigrationInput {
  /** Where the guild records are (and where keyv kept them before). */
  guildTarget: StoreTarget;
  backend: GuildStateBackend;
  /** The index libraries are read from (the analysis store's, when that is on another target). */
  index: LibraryIndex;
  /** Where keyv kept the shared library's list: the analysis store's target. */
  sharedTarget: StoreTarget;
  /** A guild's state as the store reads it (`library` is an old record's list, or the tracks it names). */
  state(guildId: string): Promise<GuildState>;
}

/**
 * The one migration of stores from before the guild table and the library index (dated 2026-12-07), run when a store
 * opens, until it has run once to the end:
 * 1. the guild records keyv kept (its 'guild' namespace) copied into the guild table, where none is yet;
 * 2. every server's library list (an old record's `library`, or the tracks a still older one names) and keyv's shared
 *    list into the index;
 * 3. the tracks waiting in every playlist into their server's library (a version that wrote the record before the
 *    index row may have died between the two);
 * 4. the tracks every server holds into the holds the disk quota looks up.
 * Every step is idempotent, so two processes starting together, or a start that died half-way, do no harm. After it
 * nothing reads or writes keyv's 'guild' and 'shared-library' namespaces.
 */
export async function migrateStore(input: MigrationInput): Promise<void> {
  const { index } = input;
  if (await index.imported(MIGRATION_2026_12_07)) return;
  const copied = await copyGuildRecords(input);
  const [libraries, playlists, holds] = await Promise.all(
    [LIBRARIES_IMPORTED, PLAYLISTS_INDEXED, HOLDS_INDEXED].map(async (step) => !(await index.imported(step))),
  );
  for (const guildId of await input.backend.guildIds()) {
    const fresh = copied.has(guildId);
    if (!libraries && !playlists && !holds && !fresh) continue;
    const state = await input.state(guildId);
    if (libraries || fresh) await index.addHashes(guildId, state.library);
    if (playlists || fresh)
      await addToLibrary(index, guildId, state.playlist, [...new Set(state.playlist.map((e) => e.hash))]);
    if (holds || fresh) await index.noteHolds(guildId, state.version, [...heldIn(state)]);
  }
  if (libraries) await index.addHashes(SHARED_GUILD, await keyvSharedList(input.sharedTarget));
  await index.markImported(MIGRATION_2026_12_07);
}

/** Step 1: the guilds whose keyv record this run copied (a row another process wrote first wins). */
async function copyGuildRecords(input: MigrationInput): Promise<Set<string>> {
  const copied = new Set<string>();
  const legacy = await openKeyv(input.guildTarget, 'guild');
  try {
    if (!legacy.iterator) return copied;
    for await (const [key, value] of legacy.iterator(undefined)) {
      const guildId = String(key);
      const old = value as Partial<GuildState> | undefined;
      if (!old || (await input.backend.read(guildId))) continue;
      const row = { version: typeof old.version === 'number' ? old.version : 0, value: JSON.stringify(old) };
      if (await input.backend.write(guildId, undefined, row)) copied.add(guildId);
    }
  } finally {
    await legacy.disconnect();
  }
  return copied;
}

async function keyvSharedList(target: StoreTarget): Promise<string[]> {
  const shared = await openKeyv(target, 'shared-library');
  try {
    return ((await shared.get('hashes')) as string[] | undefined) ?? [];
  } finally {
    await shared.disconnect();
  }
}
