import { formatBytes } from '../../util/format-bytes.ts';
import { AudioInputError, tooLongError } from './audio-input-error.ts';
import type { AudioKind } from './audio-sniff.ts';
import type { ProbedMedia, ProbedStream } from './media-probe.ts';

/**
 * The rules a file must meet before anything decodes it. A stored track vetted under an older version is vetted again
 * when it is next added or played (ingest-file.ts, deck-reader.ts).
 */
export const MEDIA_RULES_VERSION = 1;

const PCM_LE = ['pcm_u8', 'pcm_s16le', 'pcm_s24le', 'pcm_s32le', 'pcm_f32le', 'pcm_f64le'];
const PCM_BE = ['pcm_s8', 'pcm_s16be', 'pcm_s24be', 'pcm_s32be', 'pcm_f32be', 'pcm_f64be'];

/** The codecs each container may carry: what music is released in, decoded by ffmpeg's most exercised decoders. */
const ALLOWED_CODECS: Record<AudioKind, readonly string[]> = {
  mp3: ['mp3', 'mp2', 'mp1'],
  aac: ['aac'],
  flac: ['flac'],
  wav: PCM_LE,
  aiff: [...PCM_BE, 'pcm_s16le'],
  ogg: ['vorbis', 'opus', 'flac'],
  mp4: ['aac', 'alac', 'mp3', 'flac', 'opus'],
  webm: ['opus', 'vorbis', 'aac', 'flac', 'mp3', 'alac', ...PCM_LE, 'pcm_s16be'],
};

const CONTAINER: Record<AudioKind, string> = {
  mp3: 'MP3',
  aac: 'AAC',
  flac: 'FLAC',
  wav: 'WAV',
  aiff: 'AIFF',
  ogg: 'Ogg',
  mp4: 'MP4',
  webm: 'Matroska/WebM',
};

const MIN_SAMPLE_RATE = 8_000;
const MAX_SAMPLE_RATE = 192_000;
const MAX_CHANNELS = 8;
/** Streams in one file: audio, a cover picture, perhaps a video; a song needs no more. */
const MAX_STREAMS = 16;

/** The stream every decoder of the file maps, and what it is. */
export interface ChosenStream {
  index: number;
  codec: string;
  sampleRate: number;
  channels: number;
}

const REEXPORT = 'Re-export it as MP3, FLAC or WAV (44.1 or 48 kHz, stereo).';
const unsupported = (text: string): AudioInputError => new AudioInputError('unsupported', `${text} ${REEXPORT}`);

function plural(list: readonly string[]): string {
  const shown = list.filter((c) => !c.startsWith('pcm_') || c === 'pcm_s16le' || c === 'pcm_s16be');
  const named = shown.map((c) => (c.startsWith('pcm_') ? 'linear PCM' : c)).filter((c, i, all) => all.indexOf(c) === i);
  return named.length > 1 ? `${named.slice(0, -1).join(', ')} or ${named.at(-1)}` : named.join('');
}

/** The audio stream to decode: the one marked default, else the first; exactly one is ever decoded. */
function chooseAudio(streams: ProbedStream[]): ProbedStream {
  const audio = streams.filter((s) => s.type === 'audio');
  const chosen = audio.find((s) => s.isDefault) ?? audio[0];
  if (!chosen)
    throw new AudioInputError(
      'no-audio',
      'The file has no audio stream (a video without sound, an image, or not a media file).',
    );
  return chosen;
}

/** Refuses what the rules do not allow (codec for the container, rate, channels, streams, declared sizes); else the stream. */
export function checkMediaRules(
  kind: AudioKind,
  media: ProbedMedia,
  fileBytes: number,
  maxDurationSec?: number,
): ChosenStream {
  if (media.streams.length > MAX_STREAMS)
    throw unsupported(`The file holds ${media.streams.length} streams; a song has at most ${MAX_STREAMS}.`);
  for (const s of media.streams) {
    if (s.frames !== undefined && s.frames > fileBytes) {
      throw new AudioInputError(
        'corrupt',
        `This file is damaged or built to exhaust memory: a stream declares ${s.frames.toLocaleString('en')} frames in a ${formatBytes(fileBytes)} file. ${REEXPORT}`,
      );
    }
  }
  const s = chooseAudio(media.streams);
  const allowed = ALLOWED_CODECS[kind];
  const rate = s.sampleRate ?? 0;
  const channels = s.channels ?? 0;
  const rateOk = rate >= MIN_SAMPLE_RATE && rate <= MAX_SAMPLE_RATE;
  if (!allowed.includes(s.codec) || !rateOk || !(channels >= 1 && channels <= MAX_CHANNELS)) {
    const container = CONTAINER[kind];
    throw unsupported(
      `The audio in this ${container} file is ${s.codec} at ${rate.toLocaleString('en')} Hz with ${channels} channel${channels === 1 ? '' : 's'}; ` +
        `Mini-DJ plays ${plural(allowed)} in ${container}, at ${MIN_SAMPLE_RATE.toLocaleString('en')} to ${MAX_SAMPLE_RATE.toLocaleString('en')} Hz, with 1 to ${MAX_CHANNELS} channels.`,
    );
  }
  const declared = s.durationSec ?? media.durationSec;
  // One second past the limit, as the decoder allows.
  if (maxDurationSec !== undefined && declared !== undefined && declared > maxDurationSec + 1)
    throw tooLongError(declared, maxDurationSec);
  return { index: s.index, codec: s.codec, sampleRate: rate, channels };
}
