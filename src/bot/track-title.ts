import path from 'node:path';

const MAX_TITLE = 100;

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
  return (title || 'Untitled').slice(0, MAX_TITLE);
}

/** `title` made safe as a single file name (no separators, no control characters). */
export function fileNameFor(title: string, extension: string): string {
  const safe = title.replace(/[/\\:*?"<>|\p{Cc}]/gu, '_').replace(/^\.+/, '_');
  return `${safe || 'track'}.${extension}`;
}
