import path from 'node:path';
import { AudioInputError } from './audio-input-error.ts';
import type { AudioKind } from './audio-sniff.ts';
import { sniffAudioFile } from './audio-sniff.ts';

const DEMUXER: Record<AudioKind, string[]> = {
  mp3: ['-f', 'mp3'],
  aac: ['-f', 'aac'],
  flac: ['-f', 'flac'],
  wav: ['-f', 'wav'],
  aiff: ['-f', 'aiff'],
  ogg: ['-f', 'ogg'],
  // External data references would open other files; off by default, said here so no build's default matters.
  mp4: ['-f', 'mov', '-enable_drefs', '0'],
  webm: ['-f', 'matroska'],
};

const KINDS = 'MP3, AAC, FLAC, WAV, AIFF, Ogg, MP4/M4A or WebM';

/**
 * Whether ffmpeg's input seek (`-ss` before `-i`) lands on the exact sample. Measured on Debian's ffmpeg 5.1 with one
 * released track in each kind, 12 positions each, against a decode from the start: MP3 (CBR, VBR with and without a
 * Xing table), ADTS AAC, FLAC, WAV, AIFF and MP4 exact at all; Ogg Vorbis 14–23 ms off at some positions (a lapped
 * Vorbis block: the first packet after a seek is timed as if whole), Ogg Opus 10 ms, WebM/Matroska 3–17.5 ms at every
 * position. A deck of those decodes from the start and drops what comes before its first frame.
 */
const SEEKS_EXACTLY: Record<AudioKind, boolean> = {
  mp3: true,
  aac: true,
  flac: true,
  wav: true,
  aiff: true,
  mp4: true,
  ogg: false,
  webm: false,
};

/**
 * ffmpeg input options that open `file` and nothing else: its kind is sniffed from its bytes and that demuxer is
 * forced (ffmpeg's own probing would follow playlists and manifests hidden behind an ID3 tag to other files and URLs),
 * only the file protocol is allowed, and the name is given as `file:<absolute path>` so it is never read as a URL.
 * Throws an AudioInputError when the bytes are not a kind we decode.
 */
export function fileInputArgs(file: string): string[] {
  return openFileInput(file).args;
}

/** The same, the kind sniffed, and whether an input seek in this file lands on the exact sample (else decode from its start). */
export function openFileInput(file: string): { args: string[]; kind: AudioKind; seeksExactly: boolean } {
  let sniffed;
  try {
    sniffed = sniffAudioFile(file);
  } catch {
    throw new AudioInputError('not-found', `Cannot read "${path.basename(file)}": no such file or no permission.`);
  }
  if (!sniffed.audio && sniffed.looksLike === 'an image') {
    throw new AudioInputError('no-audio', 'The file has no audio stream: it is an image.');
  }
  if (!sniffed.audio) {
    const detail = sniffed.looksLike ? `; it looks like ${sniffed.looksLike}` : '';
    throw new AudioInputError(
      'corrupt',
      `This is not audio that can be decoded: the file is corrupt or not an audio format (it does not start like ${KINDS}${detail}).`,
    );
  }
  const { kind } = sniffed;
  return {
    args: ['-protocol_whitelist', 'file', ...DEMUXER[kind], '-i', `file:${path.resolve(file)}`],
    kind,
    seeksExactly: SEEKS_EXACTLY[kind],
  };
}

/** Raw samples on stdin: the pipe is the only protocol ffmpeg may open for it. */
export function pipeInputArgs(format: string[]): string[] {
  return ['-protocol_whitelist', 'pipe', ...format, '-i', 'pipe:0'];
}

/** An output file named so ffmpeg cannot take it for a URL or another protocol. */
export function fileOutputArg(file: string): string {
  return `file:${path.resolve(file)}`;
}
