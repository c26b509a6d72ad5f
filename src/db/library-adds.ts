import type { PlaylistEntry } from './guild-store.ts';
import type { LibraryIndex } from './library-index.ts';

/**
 * Tracks put in a server's library go into the index: a member's (the playlist entry says whose) under the title the
 * entry has, the name this server gave it.
 */
export async function addToLibrary(
  index: LibraryIndex,
  guildId: string,
  playlist: readonly PlaylistEntry[],
  added: readonly string[],
): Promise<void> {
  if (added.length === 0) return;
  const requester = new Map(playlist.map((e) => [e.hash, e.requesterId]));
  const titles = new Map(playlist.map((e) => [e.hash, e.title]));
  const byMember = new Map<string | undefined, string[]>();
  for (const h of added) {
    const by = requester.get(h);
    const list = byMember.get(by);
    if (list) list.push(h);
    else byMember.set(by, [h]);
  }
  for (const [by, hashes] of byMember) await index.addHashes(guildId, hashes, by, titles);
}
