import { closeSync, openSync, readSync } from 'node:fs';

export type AudioKind = 'mp3' | 'aac' | 'flac' | 'wav' | 'aiff' | 'ogg' | 'mp4' | 'webm';

export type SniffResult = { audio: true; kind: AudioKind } | { audio: false; looksLike?: string };

/** How many leading bytes `sniffAudio` wants to see. */
export const SNIFF_BYTES = 16;

const ID3_HEADER = 10;
/** Zero bytes tolerated between an ID3 tag and the first frame (some taggers pad outside the tag's own size). */
const MAX_PADDING_AFTER_TAG = 64 * 1024;
/** Tags in a row before giving up (a file with two ID3 tags is seen; a chain of them is not music). */
const MAX_TAGS = 4;
/** Bytes read at each place looked at: enough for every check below. */
const WINDOW = 64;

/** `length` bytes from `offset` (fewer at the end of what is available). */
type ReadAt = (offset: number, length: number) => Uint8Array;

function ascii(bytes: Uint8Array, start: number, text: string): boolean {
  if (bytes.length < start + text.length) return false;
  for (let i = 0; i < text.length; i++) if (bytes[start + i] !== text.charCodeAt(i)) return false;
  return true;
}

/**
 * Decides from the first bytes (never the name or Content-Type) whether a body is audio. An ID3 tag must be followed
 * by MPEG audio, ADTS AAC or FLAC; a tag longer than `head` is taken as MP3 for now (`sniffAudioFile` reads past it).
 */
export function sniffAudio(head: Uint8Array): SniffResult {
  return sniffFrom((offset, length) => head.subarray(offset, offset + length), false);
}

/** Like `sniffAudio`, on a whole file: what follows an ID3 tag is always checked. Throws the fs error if unreadable. */
export function sniffAudioFile(file: string): SniffResult {
  const fd = openSync(file, 'r');
  try {
    return sniffFrom((offset, length) => {
      const buf = Buffer.alloc(length);
      return buf.subarray(0, readSync(fd, buf, 0, length, offset));
    }, true);
  } finally {
    closeSync(fd);
  }
}

/** `whole`: `read` sees the entire file, so running out of bytes means the file ends there. */
function sniffFrom(read: ReadAt, whole: boolean): SniffResult {
  let offset = 0;
  for (let tags = 0; tags <= MAX_TAGS; tags++) {
    const b = read(offset, WINDOW);
    if (!ascii(b, 0, 'ID3')) {
      const kind = offset === 0 ? audioKind(b) : afterTagKind(b);
      if (kind) return { audio: true, kind };
      const looksLike = notAudioKind(b);
      return looksLike ? { audio: false, looksLike } : { audio: false };
    }
    const end = id3End(b);
    if (end === undefined) return { audio: false };
    const next = skipZeros(read, offset + end);
    if (next === undefined) return whole ? { audio: false } : { audio: true, kind: 'mp3' };
    offset = next;
  }
  return { audio: false };
}

/** The tag's full length: a 10-byte header, a syncsafe size (7 bits a byte), and a footer when flagged. */
function id3End(b: Uint8Array): number | undefined {
  if (b.length < ID3_HEADER) return undefined;
  const [major = 0, , flags = 0, ...size] = b.subarray(3, ID3_HEADER);
  if (major < 2 || major > 4 || size.some((byte) => byte >= 0x80)) return undefined;
  const body = size.reduce((sum, byte) => sum * 128 + byte, 0);
  return ID3_HEADER + body + (major === 4 && flags & 0x10 ? ID3_HEADER : 0);
}

/** Where the first non-zero byte at or after `from` is, within the padding allowed; undefined if none is seen. */
function skipZeros(read: ReadAt, from: number): number | undefined {
  for (let at = from; at < from + MAX_PADDING_AFTER_TAG;) {
    const chunk = read(at, 4096);
    if (chunk.length === 0) return undefined;
    const nonZero = chunk.findIndex((byte) => byte !== 0);
    if (nonZero >= 0) return at + nonZero;
    at += chunk.length;
  }
  return undefined;
}

function audioKind(b: Uint8Array): AudioKind | null {
  if (ascii(b, 0, 'fLaC')) return 'flac';
  if (ascii(b, 0, 'RIFF') && ascii(b, 8, 'WAVE')) return 'wav';
  if (ascii(b, 0, 'FORM') && (ascii(b, 8, 'AIFF') || ascii(b, 8, 'AIFC'))) return 'aiff';
  if (ascii(b, 0, 'OggS')) return 'ogg';
  if (ascii(b, 4, 'ftyp')) return 'mp4';
  if (b[0] === 0x1a && b[1] === 0x45 && b[2] === 0xdf && b[3] === 0xa3) return 'webm'; // EBML
  return frameSyncKind(b);
}

/** What an ID3 tag may precede: the streams whose demuxers skip a leading tag. */
function afterTagKind(b: Uint8Array): AudioKind | null {
  if (ascii(b, 0, 'fLaC')) return 'flac';
  return frameSyncKind(b);
}

/** Bare MPEG audio frame (mp3 without ID3) or ADTS AAC: 11/12 sync bits, then sane header fields. */
function frameSyncKind(b: Uint8Array): AudioKind | null {
  const [b0 = 0, b1 = 0, b2 = 0] = b;
  if (b.length < 3 || b0 !== 0xff || (b1 & 0xe0) !== 0xe0) return null;
  const layer = (b1 >> 1) & 0b11;
  if (layer === 0) return (b1 & 0xf0) === 0xf0 && ((b2 >> 2) & 0xf) < 13 ? 'aac' : null;
  const version = (b1 >> 3) & 0b11;
  const bitrate = b2 >> 4;
  const sampleRate = (b2 >> 2) & 0b11;
  return version !== 1 && bitrate !== 0xf && sampleRate !== 0b11 ? 'mp3' : null;
}

function notAudioKind(b: Uint8Array): string | null {
  let start = ascii(b, 0, '\xef\xbb\xbf') ? 3 : 0; // UTF-8 BOM
  while (start < b.length && [0x09, 0x0a, 0x0d, 0x20].includes(b[start] ?? 0)) start++;
  const first = b[start];
  if (first === 0x3c) return 'a web page'; // '<': HTML, XML, SVG (and DASH manifests)
  if (first === 0x7b || first === 0x5b) return 'JSON data'; // '{' or '['
  if (ascii(b, start, '#EXTM3U') || ascii(b, start, 'ffconcat')) return 'a playlist';
  if (ascii(b, 0, '\x89PNG') || ascii(b, 0, 'GIF8') || (ascii(b, 0, 'RIFF') && ascii(b, 8, 'WEBP'))) return 'an image';
  if (b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'an image'; // JPEG
  if (ascii(b, 0, '%PDF')) return 'a PDF document';
  if (ascii(b, 0, 'PK\x03\x04')) return 'a zip archive';
  return null;
}
