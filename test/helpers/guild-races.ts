import { addToQueue } from '../../src/bot/playlist/queue-operations.ts';
import type { GuildStore, GuildState, PlaylistEntry } from '../../src/db/guild-store.ts';
import { openKeyv, storeTarget } from '../../src/db/open-keyv.ts';

export interface AddsPlan {
  /** Names this batch's songs (and its members, unless `memberId` is given) apart from other batches'. */
  tag: string;
  count: number;
  /** One member sending every add; otherwise each add is by its own member. */
  memberId?: string;
}

/** `plan.count` concurrent `/queue add`s through one store, every one a different song; resolves to how many were accepted. */
export async function concurrentAdds(
  store: GuildStore,
  guildId: string,
  plan: AddsPlan,
  now = new Date(),
): Promise<number> {
  const results = await Promise.all(
    Array.from({ length: plan.count }, (_, i) => {
      const member = { id: plan.memberId ?? `${plan.tag}-member-${i}`, roleIds: [], manageGuild: false };
      return addToQueue(store, guildId, member, { hash: `${plan.tag}-hash-${i}`, title: `${plan.tag} song ${i}` }, now);
    }),
  );
  return results.filter((r) => r.ok).length;
}

/** A guild's state written the way GuildStore kept it before compare-and-set: one value in keyv's 'guild' namespace. */
export async function writeLegacyGuildState(
  setting: string,
  state: Partial<GuildState> & { guildId: string },
): Promise<void> {
  const keyv = await openKeyv(storeTarget(setting), 'guild');
  try {
    await keyv.set(state.guildId, state);
  } finally {
    await keyv.disconnect();
  }
}

export function legacyEntry(n: number): PlaylistEntry {
  return {
    id: `legacy-${n}`,
    hash: `legacy-hash-${n}`,
    title: `Legacy song ${n}`,
    requesterId: `legacy-member-${n}`,
    addedAt: new Date(Date.UTC(2025, 0, 1, 0, 0, n)).toISOString(),
  };
}
