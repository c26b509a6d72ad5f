import { formatBytes } from '../../util/format-bytes.ts';

/** Discord's upload limit for members without Nitro in a server without boosts (10 MiB, which Discord calls 10 MB). */
const DISCORD_DEFAULT_UPLOAD = 10 * 2 ** 20;

/** A size as Discord states its limits (in MiB, called MB: 10, 50, 100, 500); other sizes in decimal units. */
export function uploadSize(bytes: number): string {
  return bytes % 2 ** 20 === 0 ? `${bytes / 2 ** 20} MB` : formatBytes(bytes);
}

/**
 * The largest file a member can add by uploading it here: what Discord lets them upload in this channel (the
 * interaction's `attachmentSizeLimit`: 10 MB for most members, more with Nitro or the server's boosts), or the bot's
 * own limit when that is lower.
 */
export function uploadLimit(interaction: { attachmentSizeLimit?: number | null }, botMaxBytes: number): number {
  const discord = interaction.attachmentSizeLimit && interaction.attachmentSizeLimit > 0 ? interaction.attachmentSizeLimit : DISCORD_DEFAULT_UPLOAD;
  return Math.min(discord, botMaxBytes);
}

/** An attachment over the bot's own limit (Discord let the member upload it). */
export function attachmentTooLarge(bytes: number, botMaxBytes: number): string {
  return `That file is ${formatBytes(bytes)}; Mini-DJ takes files up to ${formatBytes(botMaxBytes)}.`;
}
