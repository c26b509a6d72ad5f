import type { StoredAnalysis } from './analysis-store.ts';
import { MAX_TITLE_CHARS } from '../util/add-policy.ts';

/** A tag's text as one line: control characters dropped, spaces collapsed. */
function clean(text: string | undefined): string {
  return (text ?? '')
    .replace(/[\p{Cc}\p{Zl}\p{Zp}]/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

/** "Artist — Title" from a file's tags, or the title alone; undefined when the tags name no title. */
export function taggedTitle(tags: StoredAnalysis['tags']): string | undefined {
  const title = clean(tags?.title);
  if (!title) return undefined;
  const artist = clean(tags?.artist);
  return (artist ? `${artist} — ${title}` : title).slice(0, MAX_TITLE_CHARS);
}
