import { createHash } from 'node:crypto';

/**
 * What a playlist entry and a pending add keep of the link a song came from: its digest, 50 characters whatever the
 * link's length, which is all the duplicate check needs. (A 1,000-song playlist of 2,000-character links was a 2.3 MB
 * guild record, rewritten at every track change and position save.)
 */
export function linkKey(link: string): string {
  return `sha256:${createHash('sha256').update(link).digest('base64url')}`;
}

/** Whether a kept source is this link: its digest, or the link itself as records written before the digest kept it. */
export function isLink(kept: string | undefined, link: string, key = linkKey(link)): boolean {
  return kept === key || kept === link;
}
