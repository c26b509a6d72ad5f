/** A file's own title, artist and album (ID3v2, Vorbis comments, FLAC, MP4), as plain text. */
export interface MediaTags {
  title?: string;
  artist?: string;
  album?: string;
}

const MAX_TAG_CHARS = 100;
const FIELDS = ['title', 'artist', 'album'] as const;

/** Line breaks and tabs (which separate words) become spaces; other control and bidi-override characters go. */
const SPACING = /[\t\n\v\f\r\u0085\u2028\u2029]+/g;
const CONTROL = /[\p{Cc}\u200e\u200f\u202a-\u202e\u2066-\u2069]/gu;

/**
 * A tag value as text that is safe to store and show: control characters stripped, spaces collapsed, trimmed, at most
 * MAX_TAG_CHARS characters (whole code points). Undefined when nothing is left. Markdown is left alone: escaping is the
 * display's.
 */
export function sanitizeTag(raw: unknown): string | undefined {
  if (typeof raw !== 'string') return undefined;
  const text = raw.replace(SPACING, ' ').replace(CONTROL, '').replace(/ {2,}/g, ' ').trim();
  if (!text) return undefined;
  const chars = [...text];
  return chars.length > MAX_TAG_CHARS ? chars.slice(0, MAX_TAG_CHARS).join('').trimEnd() : text;
}

/** Title, artist and album from tag sets in order of preference, keys matched case-insensitively. */
export function pickTags(...sources: (Record<string, unknown> | undefined)[]): MediaTags {
  const tags: MediaTags = {};
  for (const field of FIELDS) {
    for (const source of sources) {
      const key = Object.keys(source ?? {}).find((k) => k.toLowerCase() === field);
      const value = key === undefined ? undefined : sanitizeTag(source![key]);
      if (value) {
        tags[field] = value;
        break;
      }
    }
  }
  return tags;
}
