export type AudioKind = 'mp3' | 'aac' | 'flac' | 'wav' | 'aiff' | 'ogg' | 'mp4' | 'webm';

export type SniffResult = { audio: true; kind: AudioKind } | { audio: false; looksLike?: string };

/** How many leading bytes `sniffAudio` wants to see. */
export const SNIFF_BYTES = 16;

function ascii(bytes: Uint8Array, start: number, text: string): boolean {
  if (bytes.length < start + text.length) return false;
  for (let i = 0; i < text.length; i++) if (bytes[start + i] !== text.charCodeAt(i)) return false;
  return true;
}

/** Decides from the first bytes (never the name or Content-Type) whether a body is audio. */
export function sniffAudio(head: Uint8Array): SniffResult {
  const kind = audioKind(head);
  if (kind) return { audio: true, kind };
  const looksLike = notAudioKind(head);
  return looksLike ? { audio: false, looksLike } : { audio: false };
}

function audioKind(b: Uint8Array): AudioKind | null {
  if (ascii(b, 0, 'ID3')) return 'mp3';
  if (ascii(b, 0, 'fLaC')) return 'flac';
  if (ascii(b, 0, 'RIFF') && ascii(b, 8, 'WAVE')) return 'wav';
  if (ascii(b, 0, 'FORM') && (ascii(b, 8, 'AIFF') || ascii(b, 8, 'AIFC'))) return 'aiff';
  if (ascii(b, 0, 'OggS')) return 'ogg';
  if (ascii(b, 4, 'ftyp')) return 'mp4';
  if (b[0] === 0x1a && b[1] === 0x45 && b[2] === 0xdf && b[3] === 0xa3) return 'webm'; // EBML
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
  if (first === 0x3c) return 'a web page'; // '<': HTML, XML, SVG
  if (first === 0x7b || first === 0x5b) return 'JSON data'; // '{' or '['
  if (ascii(b, 0, '\x89PNG') || ascii(b, 0, 'GIF8') || (ascii(b, 0, 'RIFF') && ascii(b, 8, 'WEBP'))) return 'an image';
  if (b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'an image'; // JPEG
  if (ascii(b, 0, '%PDF')) return 'a PDF document';
  if (ascii(b, 0, 'PK\x03\x04')) return 'a zip archive';
  return null;
}
