import { PermissionFlagsBits } from 'discord.js';
import type { BaseInteraction } from 'discord.js';
import type { MemberInfo } from './permissions.ts';

/** Who is acting, for the permission checks: user id, role ids and whether they have Manage Server. */
export function memberInfoOf(interaction: Pick<BaseInteraction, 'member' | 'user' | 'memberPermissions'>): MemberInfo {
  const member = interaction.member;
  let roleIds: string[] = [];
  if (member) {
    // A cached GuildMember has a role manager; an uncached API member carries the raw id array.
    roleIds = Array.isArray(member.roles) ? [...member.roles] : [...member.roles.cache.keys()];
  }
  const manageGuild = interaction.memberPermissions?.has(PermissionFlagsBits.ManageGuild) ?? false;
  return { id: interaction.user.id, roleIds, manageGuild };
}
