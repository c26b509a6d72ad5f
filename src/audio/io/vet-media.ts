import path from 'node:path';
import { formatBytes } from '../../util/format-bytes.ts';
import { AudioInputError, tooLongError } from './audio-input-error.ts';
import type { AudioInputErrorCode } from './audio-input-error.ts';
import type { AudioKind } from './audio-sniff.ts';
import { openFileInput } from './ffmpeg-input.ts';
import { ffmpegPath } from './ffmpeg-path.ts';
import { checkMediaRules, MEDIA_RULES_VERSION } from './media-rules.ts';
import type { ChosenStream } from './media-rules.ts';
import { pickTags } from './media-tags.ts';
import type { MediaTags } from './media-tags.ts';
import { probeMedia } from './media-probe.ts';
import { checkMp4SampleTables } from './mp4-sample-tables.ts';
import { statIfAny } from '../../util/stat-if-any.ts';

/** A file every decoder may open: what it is, how to open it, the one stream to decode, and its own tags. */
export interface VettedMedia {
  kind: AudioKind;
  /** ffmpeg input options: the sniffed demuxer, the file protocol only (ffmpeg-input.ts). */
  inputArgs: string[];
  seeksExactly: boolean;
  stream: ChosenStream;
  /** What decoders map: exactly the chosen audio stream. */
  mapArgs: string[];
  durationSec?: number;
  tags: MediaTags;
  bytes: number;
  /** The bytes vetted: device, inode, size and modification time. */
  identity: string;
  rulesVersion: number;
}

export interface VetOptions {
  ffmpeg?: string;
  /** Refuse larger files (ingest's MINIDJ_MAX_MB; a deck of a stored track has none). */
  maxBytes?: number;
  /** Refuse files declared longer (ingest's MINIDJ_MAX_MINUTES). */
  maxDurationSec?: number;
  timeoutMs?: number;
  nice?: number;
  direct?: boolean;
}

/** A probe reads headers: 71 ms on a real track; much longer is a file built to be slow. */
const PROBE_TIMEOUT_MS = 15_000;
/** Refusals that hold for the same bytes on every open (others — a missing file, a timeout — are tried again). */
const LASTING: ReadonlySet<AudioInputErrorCode> = new Set([
  'unsupported',
  'corrupt',
  'no-audio',
  'truncated',
  'too-long',
  'too-large',
]);
const CACHE_SIZE = 256;
const vetted = new Map<string, Promise<VettedMedia>>();

/** The file's size, once it is known to be a regular, non-empty file within `maxBytes`. */
async function regularFileBytes(file: string, maxBytes: number): Promise<{ bytes: number; key: string }> {
  const name = path.basename(file);
  const info = await statIfAny(file);
  if (!info) throw new AudioInputError('not-found', `Cannot read "${name}": no such file or no permission.`);
  if (!info.isFile())
    throw new AudioInputError('not-found', `"${name}" is not a regular file (a folder or a device, say).`);
  if (info.size > maxBytes) {
    throw new AudioInputError(
      'too-large',
      `The file is ${formatBytes(info.size)}; the limit is ${formatBytes(maxBytes)} (set MINIDJ_MAX_MB to change it).`,
    );
  }
  if (info.size === 0) throw new AudioInputError('corrupt', 'The file is empty.');
  return { bytes: info.size, key: `${info.dev}:${info.ino}:${info.size}:${info.mtimeMs}` };
}

async function vet(
  file: string,
  { bytes, key }: { bytes: number; key: string },
  ffmpeg: string,
  opts: VetOptions,
): Promise<VettedMedia> {
  const input = openFileInput(file);
  if (input.kind === 'mp4') await checkMp4SampleTables(file, bytes);
  const media = await probeMedia(file, input.args, {
    ffmpeg,
    timeoutMs: Math.min(opts.timeoutMs ?? PROBE_TIMEOUT_MS, PROBE_TIMEOUT_MS),
    nice: opts.nice,
    direct: opts.direct,
  });
  const stream = checkMediaRules(input.kind, media, bytes, opts.maxDurationSec);
  const chosen = media.streams.find((s) => s.index === stream.index);
  return {
    kind: input.kind,
    inputArgs: input.args,
    seeksExactly: input.seeksExactly,
    stream,
    mapArgs: ['-map', `0:${stream.index}`],
    durationSec: chosen?.durationSec ?? media.durationSec,
    tags: pickTags(media.tags, chosen?.tags),
    bytes,
    identity: key,
    rulesVersion: MEDIA_RULES_VERSION,
  };
}

/**
 * Checks a file against the rules before anything decodes it (media-rules.ts): the container sniffed from its bytes,
 * an MP4's sample tables read here, then what ffprobe — under the decoders' memory and CPU limits — says of its
 * streams. Refuses with an AudioInputError. Remembered per thread for the same bytes (path, inode, size, time), so
 * the decks that open a track again and again probe it once.
 */
export async function vetMedia(file: string, opts: VetOptions = {}, known?: VettedMedia): Promise<VettedMedia> {
  const found = await regularFileBytes(file, opts.maxBytes ?? Infinity);
  if (known && known.identity === found.key && known.rulesVersion === MEDIA_RULES_VERSION) {
    // Vetted on another thread under other limits, perhaps: only this caller's limit on the length is left to check.
    if (opts.maxDurationSec !== undefined && (known.durationSec ?? 0) > opts.maxDurationSec + 1)
      throw tooLongError(known.durationSec!, opts.maxDurationSec);
    return known;
  }
  const ffmpeg = opts.ffmpeg ?? ffmpegPath();
  const key = [path.resolve(file), found.key, ffmpeg, opts.maxBytes, opts.maxDurationSec].join('\0');
  let entry = vetted.get(key);
  if (entry) {
    // Most recently used last: the first key is the one to evict.
    vetted.delete(key);
    vetted.set(key, entry);
    return entry;
  }
  entry = vet(file, found, ffmpeg, opts);
  vetted.set(key, entry);
  if (vetted.size > CACHE_SIZE) vetted.delete(vetted.keys().next().value!);
  const mine = entry;
  entry.catch((error: unknown) => {
    if (!(error instanceof AudioInputError && LASTING.has(error.code)) && vetted.get(key) === mine) vetted.delete(key);
  });
  return entry;
}
