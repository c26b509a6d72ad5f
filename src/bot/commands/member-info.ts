import { PermissionFlagsBits } from 'discord.js';
import type { BaseInteraction } from 'discord.js';
import type { MemberInfo } from '../playlist/permissions.ts';

/**
 * Who is acting, for the permission checks: user id, role ids, whether they have Manage Server and whether they started
 * the set playing now (`liveStarterId`: its starter, when one plays).
 */
export function memberInfoOf(
  interaction: Pick<BaseInteraction, 'member' | 'user' | 'memberPermissions'>,
  liveStarterId?: string,
): MemberInfo {
  const member = interaction.member;
  let roleIds: string[] = [];
  if (member) {
    // A cached GuildMember has a role manager; an uncached API member carries the raw id array.
    roleIds = Array.isArray(member.roles) ? [...member.roles] : [...member.roles.cache.keys()];
  }
  const manageGuild = interaction.memberPermissions?.has(PermissionFlagsBits.ManageGuild) ?? false;
  return {
    id: interaction.user.id,
    roleIds,
    manageGuild,
    startedLiveSet: liveStarterId !== undefined && liveStarterId === interaction.user.id,
  };
}
