import type { GuildState, PlaylistEntry } from '../../db/guild-store.ts';

/** What the permission checks need to know about the member acting, taken from the interaction. */
export interface MemberInfo {
  id: string;
  roleIds: string[];
  /** Has the Manage Server permission. */
  manageGuild: boolean;
  /** Started the set that is playing in this server now (a set gone after a crash or a restart gives no rights). */
  startedLiveSet?: boolean;
}

/** May control the whole set: the DJ role, Manage Server, or having started the set playing now. */
export function canControlSet(member: MemberInfo, state: GuildState): boolean {
  return isDj(member, state) || member.startedLiveSet === true;
}

/** The DJ role or Manage Server: rights that do not depend on a set playing. */
export function isDj(member: MemberInfo, state: GuildState): boolean {
  if (member.manageGuild) return true;
  const djRoleId = state.settings.djRoleId;
  return djRoleId !== undefined && member.roleIds.includes(djRoleId);
}

export function canRemoveEntry(member: MemberInfo, entry: PlaylistEntry, state: GuildState): boolean {
  return entry.requesterId === member.id || canControlSet(member, state);
}
