import type { AnalyzeOptions } from '../../audio/analysis/analyzer-pool.ts';
import type { GuildStore } from '../../db/guild-store.ts';
import { taggedTitle } from '../../db/tagged-title.ts';
import { addOutcome } from './add-outcome.ts';
import { fetchAndIngest } from './fetch-and-ingest.ts';
import type { IngestDeps } from './fetch-and-ingest.ts';
import type { LazyScorer } from '../../ai/lazy-scorer.ts';
import type { MemberInfo } from '../playlist/permissions.ts';
import { completeAdd, releaseAdd } from '../playlist/queue-operations.ts';
import { titleFromSource } from '../discord/track-title.ts';

/** Who adds, where, and with what. */
export interface AddContext {
  store: GuildStore;
  guildId: string;
  member: MemberInfo;
  deps: IngestDeps;
  scorer: LazyScorer;
}

/**
 * A reserved add (`pendingId`) downloaded from `source`, analysed and queued under the title its tags give ("Artist
 * — Title"), else the name it came as (`name`). Resolves with what the reply says; a download or analysis that fails
 * gives the place back and throws.
 */
export async function landDownload(
  ctx: AddContext,
  pendingId: string,
  download: { source: string; name: string },
  onStatus?: AnalyzeOptions['onStatus'],
): Promise<{ ok: boolean; message: string }> {
  const { store, guildId, member, deps } = ctx;
  const released = deps.reservations?.hold(guildId, pendingId);
  try {
    const named = titleFromSource(download.name);
    const { contentHash, analysis, tags, evicted } = await fetchAndIngest(download.source, named, deps, {
      owner: guildId,
      pendingId,
      ...(onStatus ? { onStatus } : {}),
    });
    const title = taggedTitle(tags) ?? named;
    const result = await completeAdd(store, guildId, member, pendingId, { hash: contentHash, title }, new Date());
    const made =
      evicted > 0
        ? ` To keep this server's library within its share of the disk, ${evicted === 1 ? '1 track' : `${evicted} tracks`} that nothing holds and that played least recently ${evicted === 1 ? 'was' : 'were'} taken out of it.`
        : '';
    return {
      ok: result.ok,
      message: (await addOutcome(result, { hash: contentHash, title, analysis }, deps, ctx.scorer)) + made,
    };
  } catch (error) {
    // The add's own error is the one thrown; a place not given back lapses unrenewed (RESERVATION_LAPSE_MS).
    await releaseAdd(store, guildId, pendingId).catch(() => undefined);
    throw error;
  } finally {
    released?.();
  }
}
