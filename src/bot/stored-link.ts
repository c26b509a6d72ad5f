import { createHash } from 'node:crypto';

/**
 * The longest link `/queue add url:` takes (Discord lets a member type 2,000 characters). Links to audio files are
 * far shorter; a signed cloud link with a session token can approach this.
 */
export const MAX_LINK_CHARS = 1024;

export function linkTooLong(length: number): string {
  return `That link is ${length.toLocaleString('en')} characters long; links of at most ${MAX_LINK_CHARS.toLocaleString('en')} are taken. Upload the file instead, or link to it by a shorter address.`;
}

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
