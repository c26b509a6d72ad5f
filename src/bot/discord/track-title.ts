import path from 'node:path';
import { escapeMarkdown } from 'discord.js';
import { MAX_TITLE_CHARS } from '../../util/add-policy.ts';

/** A readable title from a file name or a URL: its last path segment without the extension, decoded. */
export function titleFromSource(source: string): string {
  let name = source;
  try {
    const url = new URL(source);
    name = url.pathname.split('/').filter(Boolean).pop() ?? url.hostname;
  } catch {
    // not a URL: a plain file name
  }
  try {
    name = decodeURIComponent(name);
  } catch {
    // keep it as it is
  }
  const base = path.basename(name.replaceAll('\\', '/'));
  const ext = path.extname(base);
  const title = (ext && ext !== base ? base.slice(0, -ext.length) : base).replace(/[\p{Cc}]/gu, '').trim();
  return (title || 'Untitled').slice(0, MAX_TITLE_CHARS);
}

/** `title` made safe as a single file name (no separators, no control characters). */
export function fileNameFor(title: string, extension: string): string {
  const safe = title.replace(/[/\\:*?"<>|\p{Cc}]/gu, '_').replace(/^\.+/, '_');
  return `${safe || 'track'}.${extension}`;
}

/** Bidirectional overrides and isolates: they would turn the rest of the line around. */
const BIDI_CONTROLS = /[\u202a-\u202e\u2066-\u2069]/gu;

/**
 * `text` a member chose (a title, a file name, a search) as Discord shows it literally: every markdown construct
 * escaped with a backslash (Discord's markdown escapes any punctuation so). discord.js's `escapeMarkdown` with every
 * option covers emphasis, code, spoilers, headings, lists and masked links; mentions, `@everyone`, timestamps, channel
 * and emoji tags (all `<…>` or `@…`), autolinks (`scheme://`), quotes and subtext (`>`, `-#` at the start) are escaped
 * here. Clipped to `max` characters before escaping, so no cut leaves a stray backslash. Not for plain-text fields
 * (button labels, autocomplete choices, thread names), which show backslashes as they are.
 */
export function displayTitle(text: string, max = MAX_TITLE_CHARS): string {
  const clipped = text.length > max ? `${text.slice(0, max - 1)}…` : text;
  const escaped = escapeMarkdown(clipped.replace(BIDI_CONTROLS, '').replace(/\p{Cc}/gu, ' '), {
    heading: true,
    bulletedList: true,
    numberedList: true,
    maskedLink: true,
  })
    .replaceAll('<', '\\<')
    .replaceAll('@', '\\@')
    .replaceAll('://', '\\://');
  return /^[#>-]/.test(escaped) ? `\\${escaped}` : escaped;
}
