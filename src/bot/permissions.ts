import type { GuildState, PlaylistEntry } from '../db/guild-store.ts';

/** What the permission checks need to know about the member acting, taken from the interaction. */
export interface MemberInfo {
  id: string;
  roleIds: string[];
  /** Has the Manage Server permission. */
  manageGuild: boolean;
}

/** May control the whole set: the DJ role, Manage Server, or having started the current set. */
export function canControlSet(member: MemberInfo, state: GuildState): boolean {
  if (member.manageGuild) return true;
  const djRoleId = state.settings.djRoleId;
  if (djRoleId !== undefined && member.roleIds.includes(djRoleId)) return true;
  return state.setStarterId !== undefined && state.setStarterId === member.id;
}

export function canRemoveEntry(member: MemberInfo, entry: PlaylistEntry, state: GuildState): boolean {
  return entry.requesterId === member.id || canControlSet(member, state);
}
