import { setting } from './config.ts';
import { formatBytes } from './format-bytes.ts';

/**
 * Every bound a member meets when adding songs, in one place: the slash commands' definitions (their options' minimum,
 * maximum and length, the numbers their descriptions state), the checks and the messages all read them here, so a
 * bound changed here changes all three (test/add-policy.test.ts compares the registered commands with it). It lives
 * in src/util because its readers span the pipeline: the store's defaults (src/db), the downloads (src/ingest), the
 * decoder's limits (src/audio/io) and every room of src/bot. The operator's limits are `MINIDJ_*` settings, declared
 * in config.ts and read here.
 */

/** A per-server setting `/djset settings` takes as a whole number: its option, its bounds, and its default (if any). */
export interface SettingBounds {
  option: string;
  min: number;
  max: number;
  default?: number;
}

/** The per-server settings with numeric bounds, by their GuildSettings field. */
export const SERVER_SETTINGS = {
  /** Songs one member may have waiting (queued or downloading). */
  maxQueuePerMember: { option: 'max_queued', min: 1, max: 100, default: 10 },
  /** Songs one member may add in RATE_WINDOW_MS. */
  maxAddsPerMinute: { option: 'adds_per_minute', min: 1, max: 60, default: 5 },
  /** Minutes a set stays in an empty channel, paused; 0 (and no default): 24/7. */
  stayMinutes: { option: 'stay', min: 0, max: 1440 },
  /** Minutes a paused set waits to be resumed. */
  pauseMinutes: { option: 'pause_minutes', min: 1, max: 1440, default: 30 },
} as const satisfies Record<string, SettingBounds>;

/** Why `value` given for a setting's option is out of its bounds, if it is. */
export function outOfBounds(bounds: SettingBounds, value: number): string | undefined {
  if (Number.isInteger(value) && value >= bounds.min && value <= bounds.max) return undefined;
  return `${bounds.option} takes a whole number from ${bounds.min} to ${bounds.max}.`;
}

/** The window `maxAddsPerMinute` counts adds in. */
export const RATE_WINDOW_MS = 60_000;

/** Downloads in flight at once: a member's, and a whole server's. */
export const MAX_MEMBER_DOWNLOADS = 2;
export const MAX_GUILD_DOWNLOADS = 4;

/** The attachment options of `/queue add`, in the order their files are added: one add takes this many files. */
export const FILE_OPTIONS = ['file', 'file2', 'file3', 'file4', 'file5'] as const;
export type FileOption = (typeof FILE_OPTIONS)[number];

/** What Discord lets a member type into `/queue add url:`. */
export const URL_OPTION_CHARS = 2000;

/**
 * The longest link `/queue add url:` takes. Links to audio files are far shorter; a signed cloud link with a session
 * token can approach this.
 */
export const MAX_LINK_CHARS = 1024;

export function linkTooLong(length: number): string {
  return `That link is ${length.toLocaleString('en')} characters long; links of at most ${MAX_LINK_CHARS.toLocaleString('en')} are taken. Upload the file instead, or link to it by a shorter address.`;
}

/** Discord's choice names and most embed fields hold 100 characters: a title longer than that is cut. */
export const MAX_TITLE_CHARS = 100;

/** Discord's upload limit for members without Nitro in a server without boosts (10 MiB, which Discord calls 10 MB). */
export const DISCORD_DEFAULT_UPLOAD = 10 * 2 ** 20;

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
  const discord =
    interaction.attachmentSizeLimit && interaction.attachmentSizeLimit > 0
      ? interaction.attachmentSizeLimit
      : DISCORD_DEFAULT_UPLOAD;
  return Math.min(discord, botMaxBytes);
}

/** An attachment over the bot's own limit (Discord let the member upload it). */
export function attachmentTooLarge(bytes: number, botMaxBytes: number): string {
  return `That file is ${formatBytes(bytes)}; Mini-DJ takes files up to ${formatBytes(botMaxBytes)}.`;
}

/** The operator's limits on a member's file (MINIDJ_MAX_MB, MINIDJ_MAX_MINUTES, MINIDJ_MIN_SECONDS). */
export interface FileLimits {
  maxBytes: number;
  maxDurationSec: number;
  minDurationSec: number;
}

export function fileLimits(env: NodeJS.ProcessEnv = process.env): FileLimits {
  return {
    maxBytes: setting('MINIDJ_MAX_MB', env) * 1e6,
    maxDurationSec: setting('MINIDJ_MAX_MINUTES', env) * 60,
    minDurationSec: setting('MINIDJ_MIN_SECONDS', env),
  };
}
