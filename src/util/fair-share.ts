/**
 * Fair places in a bounded queue shared by owners (servers): `total` places in all, and each owner at most its share,
 * the places divided among the owners that hold some (counting the one asking), never more than `perOwner` and never
 * fewer than 1. An owner under its share is admitted even when every place is taken: the owner furthest over its share
 * gives up its newest place (`displace`), so owners flooding the queue cannot keep another's first song out.
 */
export interface ShareLimits {
  total: number;
  perOwner: number;
}

export type ShareDecision =
  | { admit: true; share: number; owners: number; displace?: string }
  | { admit: false; share: number; owners: number; reason: 'owner-share' | 'full' };

/** The share of each owner when `owners` hold places. */
function fairShare(owners: number, limits: ShareLimits): number {
  return Math.max(1, Math.min(limits.perOwner, Math.floor(limits.total / Math.max(1, owners))));
}

/** Whether `owner` may take one more place, given how many each owner holds now. */
export function admitFairly(held: ReadonlyMap<string, number>, owner: string, limits: ShareLimits): ShareDecision {
  const holders = [...held].filter(([, n]) => n > 0);
  const owners = holders.length + (holders.some(([o]) => o === owner) ? 0 : 1);
  const share = fairShare(owners, limits);
  if ((held.get(owner) ?? 0) >= share) return { admit: false, share, owners, reason: 'owner-share' };
  const used = holders.reduce((sum, [, n]) => sum + n, 0);
  if (used < limits.total) return { admit: true, share, owners };
  const heaviest = holders.filter(([o]) => o !== owner).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0];
  if (heaviest && heaviest[1] > share) return { admit: true, share, owners, displace: heaviest[0] };
  return { admit: false, share, owners, reason: 'full' };
}

/** Counts by owner, for admitFairly. */
export function countByOwner(owners: Iterable<string>): Map<string, number> {
  const counts = new Map<string, number>();
  for (const o of owners) counts.set(o, (counts.get(o) ?? 0) + 1);
  return counts;
}
