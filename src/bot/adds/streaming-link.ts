import { formatBytes } from '../../util/format-bytes.ts';
import { uploadSize } from '../../util/add-policy.ts';

/** Hosts of services that stream music from web pages and players, never as a file to download. */
const SERVICES: [RegExp, string][] = [
  [/^music\.youtube\.com$/, 'YouTube Music'],
  [/^((www|m)\.)?(youtube\.com|youtube-nocookie\.com|youtu\.be)$/, 'YouTube'],
  [/^(open\.|play\.)?spotify\.(com|link)$/, 'Spotify'],
  [/^((www|m|on)\.)?soundcloud\.com$|^snd\.sc$/, 'SoundCloud'],
  [/^(music|itunes|geo\.music)\.apple\.com$/, 'Apple Music'],
  [/^((www|link)\.)?deezer\.(com|page\.link)$|^dzr\.page\.link$/, 'Deezer'],
  [/^((www|listen)\.)?tidal\.com$/, 'Tidal'],
  [/^([a-z0-9-]+\.)?bandcamp\.com$/, 'Bandcamp'],
  [/^((www|m)\.)?mixcloud\.com$/, 'Mixcloud'],
  [/^music\.amazon\.[a-z.]+$/, 'Amazon Music'],
  [/^((www|m)\.)?audiomack\.com$/, 'Audiomack'],
];

/** The streaming service a link points to, if it is one (by its host name; nothing is fetched). */
export function streamingService(link: string): string | undefined {
  let host: string;
  try {
    host = new URL(link).hostname.toLowerCase().replace(/\.$/, '');
  } catch {
    // Not a URL at all: not a streaming link (the link's own check refuses it).
    return undefined;
  }
  return SERVICES.find(([pattern]) => pattern.test(host))?.[1];
}

/** The links in a message's text. */
export function linksIn(text: string): string[] {
  return [...text.matchAll(/https?:\/\/[^\s<>()"']+/gi)].map((m) => m[0]);
}

/** What to say to a streaming link: which service it is, and what works instead (with the member's real limits). */
export function streamingAnswer(service: string, uploadBytes: number, botMaxBytes: number): string {
  return (
    `That is a ${service} link: ${service} streams its music from its own player and never hands over the file, so Mini-DJ cannot play it. ` +
    `What works: upload the audio file itself (/queue add file:, up to ${uploadSize(uploadBytes)} for you here), or give a direct link to an audio file ` +
    `(one that downloads an mp3, flac, wav, ogg, opus or m4a, up to ${formatBytes(botMaxBytes)}).`
  );
}
